// Issue 14's CLI items against a real HTTP server on 127.0.0.1: history with the date, its zone said
// once, node names and the bookkeeping rows hidden unless --all; maintenance --reason; status names.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, FakeNode, json, runCli, runInProcess } from './helpers.js';

let node: FakeNode;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  node = await new FakeNode().start();
  env = cleanEnv({ PEERBOARD_NODE: node.url, PEERBOARD_USER: 'alice' });
});
afterEach(async () => {
  await node.stop();
});
const cli = (...args: string[]) => runInProcess(args, env);
const posts = () => node.requests.filter((r) => r.method === 'POST');
// 2023-11-14 22:13:20 UTC
const row = { nodeIP: '10.0.0.1', timestamp: 1_700_000_000, operation: 'reserve', serverHost: 's1', comment: 'x', id: 3, user: 'bob', nodeId: 'n1', nodeName: 'Lab rack A', result: 'ok' };

describe('history', () => {
  beforeEach(() => node.route('GET /api/history', (_q, res) => json(res, 200, { items: [row], total: 1, limit: 50, offset: 0 })));

  it('hides the bookkeeping rows unless --all or an --operation is given', async () => {
    expect((await cli('history')).code).toBe(0);
    expect((await cli('history', '--all')).code).toBe(0);
    expect((await cli('history', '--operation', 'user-register')).code).toBe(0);
    expect(node.requests.map((r) => r.url)).toEqual(['/api/history?system=false&limit=50', '/api/history?limit=50', '/api/history?operation=user-register&limit=50']);
  });

  it('shows the date and says the zone once (a real process under TZ); --json keeps the raw epoch', async () => {
    const berlin = await runCli(['history'], { ...env, TZ: 'Europe/Berlin' });
    expect(berlin.code).toBe(0);
    const lines = berlin.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME \(Europe\/Berlin, UTC\+01:00\)\s+USER\s+OPERATION\s+HOST\s+RESULT\s+NODE\s+COMMENT$/);
    expect(lines[1]).toMatch(/^2023-11-14 23:13\s+bob\s+reserve\s+s1\s+ok\s+Lab rack A\s+x$/);
    const utc = await runCli(['history'], { ...env, TZ: 'UTC' });
    expect(utc.stdout).toMatch(/^TIME \(UTC\)\s+USER/);
    expect(utc.stdout).toMatch(/\n2023-11-14 22:13\s+bob/);
    const raw = await cli('history', '--json');
    expect(JSON.parse(raw.stdout).items[0].timestamp).toBe(1_700_000_000);
  }, 60_000);
});

describe('maintenance --reason', () => {
  beforeEach(() => node.route('POST /api/servers/s1/maintenance', (_q, res) => json(res, 200, { success: true, server: { host: 's1', maintenance: true } })));

  it('posts the reason with on, and prints it', async () => {
    expect(await cli('maintenance', 's1', 'on', '--reason', 'kernel upgrade')).toMatchObject({ code: 0, stdout: 's1: maintenance on (kernel upgrade)\n' });
    expect(await cli('maintenance', 's1', 'on', '-r', 'Zoë’s disk swap')).toMatchObject({ code: 0 });
    expect(posts().map((p) => p.body)).toEqual([{ on: true, reason: 'kernel upgrade' }, { on: true, reason: 'Zoë’s disk swap' }]);
  });

  it('refuses a reason over 200 characters or with off, as a usage error, sending nothing', async () => {
    const long = await cli('maintenance', 's1', 'on', '--reason', 'r'.repeat(201));
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/--reason is 201 characters; at most 200/);
    const off = await cli('maintenance', 's1', 'off', '--reason', 'done');
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/--reason goes with maintenance on/);
    expect(posts()).toHaveLength(0);
    expect((await cli('maintenance', 's1', 'on', '--reason', 'r'.repeat(200))).code).toBe(0);
  });

  it('passes the node’s refusal on (exit 1)', async () => {
    node.route('POST /api/servers/s1/maintenance', (_q, res) => json(res, 400, { success: false, error: 'Bad Request', message: 'request body: reason: Too big', code: 'BAD_REQUEST', details: {} }));
    const r = await cli('maintenance', 's1', 'on', '--reason', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/reason: Too big/);
  });
});

describe('reserve', () => {
  it('says the zone of the end time it prints', async () => {
    const until = 1_700_000_000 + 7200;
    node.route('POST /api/servers/s1/reserve', (_q, res) => json(res, 200, { success: true, server: { host: 's1', holder: 'alice', until } }));
    const r = await runCli(['reserve', 's1', '--for', '2h'], { ...env, TZ: 'Europe/Berlin' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^reserved s1 for alice until .* \(2023-11-15 01:13 Europe\/Berlin, UTC\+01:00\)\n$/);
  }, 30_000);
});

describe('promote', () => {
  const view = { clusterView: [{ nodeIP: '10.0.0.1', role: 'master', nodeId: 'n1', name: 'Lab rack A' }, { nodeIP: '10.0.0.2', role: 'slave', nodeId: 'n2', name: 'bob@build7' }, { nodeIP: '10.0.0.3', role: 'slave', nodeId: 'n3' }] };
  beforeEach(() => {
    node.route('GET /api/state', (_q, res) => json(res, 200, view));
    node.route('POST /promote', (_q, res) => json(res, 200, { success: true, leaderId: 'n2' }));
  });

  it('takes a node name, and names the new master', async () => {
    expect(await cli('promote', 'bob@build7')).toMatchObject({ code: 0, stdout: 'bob@build7 (n2) is now master\n' });
    expect(posts()[0]?.body).toEqual({ role: 'master', ip: '10.0.0.2', nodeId: 'n2' });
    const unknown = await cli('promote', 'Lab rack B');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no node "Lab rack B" in the cluster view; known: Lab rack A: n1 \(10\.0\.0\.1\), bob@build7: n2 \(10\.0\.0\.2\), n3 \(10\.0\.0\.3\)/);
    expect((await cli('promote', 'bad\u0007name')).code).toBe(2);
    expect((await cli('promote', 'x'.repeat(65))).code).toBe(2);
  });
});

describe('status', () => {
  it('names this node and the leader', async () => {
    node.route('GET /api/health', (_q, res) =>
      json(res, 200, { status: 'ok', nodeId: 'n1', name: 'Lab rack A', clusterId: 'lab', role: 'slave', term: 4, leader: { nodeId: 'n2', nodeIP: '10.0.0.2', apiPort: 8777, name: 'bob@build7' }, quorum: true, stale: false, voters: [], peers: 2 }),
    );
    const r = await cli('status');
    expect(r.stdout).toMatch(/^node\s+Lab rack A \(n1\)$/m);
    expect(r.stdout).toMatch(/^leader\s+bob@build7 \(n2, 10\.0\.0\.2:8777\)$/m);
  });
});
