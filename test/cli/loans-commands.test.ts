// `peerboard loans` against a real node (real SQLite, real HTTP on 127.0.0.1, its real LoanManager on a
// loopback loan port, admin and user tokens): the table, --json, recall and return committed through the
// board, and refusals with their exit codes (usage 2, refused 1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoansView } from '../../node-core/src/loans/types.js';
import { TestCluster, type TestNode } from '../cluster/cluster-helpers.js';
import { cleanEnv, runInProcess } from './helpers.js';

const TOKENS = { adminToken: 'admin-token-loans-12', userToken: 'user-token-loans-123' };
/** the other farm: its master's loan port is 127.0.0.1:9 (nothing listens: a recall's message goes nowhere) */
const peer = { clusterId: 'farm-b', masterId: 'b-master', address: '127.0.0.1', loanPort: 9, peerboard: true };
let cluster: TestCluster;
let t: TestNode;
let admin: NodeJS.ProcessEnv;
let reader: NodeJS.ProcessEnv;
let out = '';
let inn = '';

beforeAll(async () => {
  cluster = await TestCluster.create({ ...TOKENS, loanPort: 0, loanHeartbeatMs: 200 });
  t = await cluster.add('loan1');
  await cluster.settled();
  admin = cleanEnv({ PEERBOARD_NODE: t.api, PEERBOARD_TOKEN: TOKENS.adminToken, PEERBOARD_USER: 'alice' });
  reader = cleanEnv({ PEERBOARD_NODE: t.api, PEERBOARD_TOKEN: TOKENS.userToken });
  const now = Date.now();
  out = `${t.node.nodeId}:worker-x:${now}`;
  inn = `b-master:worker-y:${now}`;
  await t.node.submit({ type: 'loan-start', loan: { id: out, direction: 'out', workerId: 'worker-x', workerName: 'build-07', peer, leaseMs: 600_000 } }, { user: 'system' });
  await t.node.submit({ type: 'loan-start', loan: { id: inn, direction: 'in', workerId: 'worker-y', workerName: 'green-2', peer, leaseMs: 600_000 } }, { user: 'system' });
}, 30_000);
afterAll(() => cluster?.close());

const cli = (env: NodeJS.ProcessEnv, ...args: string[]) => runInProcess(args, env);
const view = async (): Promise<LoansView> => (JSON.parse((await cli(reader, 'loans', '--json')).stdout) as { loans: LoansView }).loans;

describe('peerboard loans', () => {
  it('lists the loans as a table (direction, worker, farm, since, until, state), then neighbours and the load', async () => {
    const r = await cli(reader, 'loans');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^farm test · loan port \d+ · this node is the master/);
    const rows = r.stdout.split('\n');
    const head = rows.find((l) => l.startsWith('DIRECTION'))!;
    expect(head).toMatch(/^DIRECTION\s+WORKER\s+FARM\s+SINCE \(.+\)\s+UNTIL \/ ENDED\s+STATE\s+ID$/);
    expect(rows.find((l) => l.includes('build-07'))).toMatch(/^lent\s+build-07\s+farm-b\s+.+active/);
    expect(rows.find((l) => l.includes('green-2'))).toMatch(/^borrowed\s+green-2\s+farm-b\s+.+active, not connected/);
    expect(r.stdout).toContain('\nneighbours\n');
    expect(r.stdout).toMatch(/\nload: /);
  });

  it('--json prints the node answer: the LoansView', async () => {
    const v = await view();
    expect(v.clusterId).toBe('test');
    expect(v.master).toBe(true);
    expect(v.active.map((l) => [l.id, l.direction]).sort()).toEqual([
      [inn, 'in'],
      [out, 'out'],
    ]);
  });

  it('refuses a bad id before any request (exit 2), the wrong direction and an unknown loan (exit 1), and the user token (exit 1)', async () => {
    const long = await cli(admin, 'loans', 'recall', 'x'.repeat(201));
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/bad loan id .*at most 200 characters/);
    expect((await cli(admin, 'loans', 'return', '../../api/servers')).code).toBe(2);
    const wrong = await cli(admin, 'loans', 'recall', inn);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/borrowed worker/);
    const unknown = await cli(admin, 'loans', 'return', 'b-master:nobody:1', '--json');
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout || unknown.stderr)).toMatchObject({ code: 'NOT_FOUND' });
    const user = await cli(reader, 'loans', 'recall', out);
    expect(user.code).toBe(1);
    expect(user.stderr).toMatch(/admin/);
    expect((await view()).active).toHaveLength(2);
  });

  it('recall ends the lent loan and return the borrowed one: both in recent with their reasons, and in the history', async () => {
    const r1 = await cli(admin, 'loans', 'recall', out);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stdout).toBe(`recalled loan ${out}\n`);
    const r2 = await cli(admin, 'loans', 'return', inn);
    expect(r2.code, r2.stderr).toBe(0);
    const v = await view();
    expect(v.active).toEqual([]);
    expect(v.recent.map((l) => [l.id, l.endReason])).toEqual([
      [inn, 'returned'],
      [out, 'recalled'],
    ]);
    const table = (await cli(reader, 'loans')).stdout;
    expect(table).toMatch(/lent\s+build-07\s+farm-b\s+.+ended: recalled/);
    const history = await cli(reader, 'history', '--json');
    expect(history.stdout).toContain('loan of build-07 ended: recalled');
    expect(history.stdout).toContain('alice');
  });
});
