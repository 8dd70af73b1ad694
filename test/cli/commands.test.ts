// CLI commands against a real HTTP server on 127.0.0.1 standing in for a node's API: request
// bodies, tokens, idempotency keys, text and --json output, and the exit codes 0/1/2/3.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Server } from '../../node-core/src/board/types.js';
import { cleanEnv, deadPort, FakeNode, json, runCli, runInProcess } from './helpers.js';

function server(p: Partial<Server> & { host: string }): Server {
  return { app: 'Mid', ip: '10.0.0.1', env: 'preprod', available: true, action: 'Available', since: 0, comment: '', holder: null, until: null, maintenance: false, queue: [], holderNode: null, ...p };
}
const conflict = { success: false, error: 'Conflict', message: 'server-01 is held by bob until 15:00', code: 'CONFLICT', details: { holder: 'bob' } };

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

describe('status', () => {
  const health = { success: true, status: 'ok', nodeId: 'n1', clusterId: 'lab', role: 'slave', term: 4, leader: { nodeId: 'n2', nodeIP: '10.0.0.2', apiPort: 8777 }, quorum: true, stale: false, staleMs: 120, voters: ['n1', 'n2', 'n3'], peers: 2 };

  it('prints role, term, leader, quorum, stale and peers from GET /api/health', async () => {
    node.route('GET /api/health', (_q, res) => json(res, 200, health));
    const r = await cli('status');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^role\s+slave$/m);
    expect(r.stdout).toMatch(/^term\s+4$/m);
    expect(r.stdout).toMatch(/^leader\s+n2 \(10\.0\.0\.2:8777\)$/m);
    expect(r.stdout).toMatch(/^quorum\s+yes$/m);
    expect(r.stdout).toMatch(/^stale\s+no$/m);
    expect(r.stdout).toMatch(/^peers\s+2$/m);
  });

  it('--json prints the raw answer; the token goes as a bearer header', async () => {
    node.route('GET /api/health', (_q, res) => json(res, 200, health));
    const r = await cli('status', '--json', '--token', 'sekret-token');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(health);
    expect(node.requests[0]?.headers.authorization).toBe('Bearer sekret-token');
  });
});

describe('servers', () => {
  const list = [
    server({ host: 'server-01' }),
    server({ host: 'server-02', env: 'prod', action: 'Reserved', available: false, holder: 'alice', until: Math.floor(Date.now() / 1000) + 3600 }),
    server({ host: 'server-03', env: 'prod', action: 'Reserved', available: false, holder: 'bob', until: Math.floor(Date.now() / 1000) + 60 }),
  ];
  beforeEach(() => {
    node.route('GET /api/servers', (_q, res) => json(res, 200, { lastUpdate: 1, serversList: list }));
  });

  it('prints a table, filtered by --env and --mine', async () => {
    const all = await cli('servers');
    expect(all.code).toBe(0);
    expect(all.stdout.trimEnd().split('\n')).toHaveLength(4);
    const mine = await cli('servers', '--env', 'prod', '--mine');
    expect(mine.stdout).toMatch(/server-02\s+Mid\s+prod\s+Reserved\s+alice\s+in (59m \d+s|1h)/);
    expect(mine.stdout).not.toContain('server-03');
  });

  it('--json prints the raw ServersData, or the filtered list when filtering', async () => {
    expect(JSON.parse((await cli('servers', '--json')).stdout)).toEqual({ lastUpdate: 1, serversList: list });
    const filtered = JSON.parse((await cli('servers', '--json', '--status', 'available')).stdout) as Server[];
    expect(filtered.map((s) => s.host)).toEqual(['server-01']);
  });
});

describe('reserve, release, extend, queue', () => {
  it('reserve sends user, durationSec, comment and one idempotency key (body and header)', async () => {
    node.route('POST /api/servers/server-01/reserve', (q, res) =>
      json(res, 200, { success: true, server: server({ host: 'server-01', holder: (q.body as { user: string }).user, until: Math.floor(Date.now() / 1000) + 7200 }) }),
    );
    const r = await cli('reserve', 'server-01', '--for', '2h', '-m', 'perf run');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^reserved server-01 for alice until in (1h 59m|2h) \((\d{4}-\d\d-\d\d )?\d\d:\d\d [^)]+\)/); // the date too when it ends on another day
    const req = posts()[0]!;
    expect(req.body).toMatchObject({ user: 'alice', durationSec: 7200, comment: 'perf run' });
    const key = (req.body as { idempotencyKey: string }).idempotencyKey;
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(req.headers['idempotency-key']).toBe(key);
    await cli('reserve', 'server-01', '--until', '2999-01-01T00:00:00Z', '--user', 'carol');
    expect(posts()[1]?.body).toMatchObject({ user: 'carol', until: Date.UTC(2999, 0, 1) / 1000 });
    expect((posts()[1]?.body as { idempotencyKey: string }).idempotencyKey).not.toBe(key);
  });

  it('a refusal exits 1 with the node’s message, or its error body with --json', async () => {
    node.route('POST /api/servers/server-01/reserve', (_q, res) => json(res, 409, conflict));
    const r = await cli('reserve', 'server-01');
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: 'peerboard: server-01 is held by bob until 15:00 (CONFLICT)\n' });
    const j = await cli('reserve', 'server-01', '--json');
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toEqual(conflict);
  });

  it('retries once after a network error with the same idempotency key', async () => {
    let calls = 0;
    node.route('POST /api/servers/server-01/release', (_q, res) => {
      calls++;
      if (calls === 1) return 'destroy';
      json(res, 200, { success: true, server: server({ host: 'server-01' }) });
    });
    const r = await cli('release', 'server-01');
    expect(r).toMatchObject({ code: 0, stdout: 'released server-01\n' });
    const [a, b] = posts();
    expect(b).toBeDefined();
    expect((a!.body as { idempotencyKey: string }).idempotencyKey).toBe((b!.body as { idempotencyKey: string }).idempotencyKey);
    expect(a!.body).toMatchObject({ user: 'alice' });
  });

  it('release says who the queue handed the server to', async () => {
    node.route('POST /api/servers/s1/release', (_q, res) => json(res, 200, { success: true, server: server({ host: 's1', holder: 'bob' }) }));
    expect(await cli('release', 's1')).toMatchObject({ code: 0, stdout: 'released s1 (now held by bob, next in its queue)\n' });
  });

  it('extend and queue send their bodies', async () => {
    node.route('POST /api/servers/s1/extend', (_q, res) => json(res, 200, { success: true, server: server({ host: 's1', holder: 'alice', until: 2e9 }) }));
    node.route('POST /api/servers/s1/queue', (_q, res) =>
      json(res, 200, { success: true, server: server({ host: 's1', holder: 'bob', queue: [{ user: 'x', durationSec: 1, comment: '', since: 0 }, { user: 'alice', durationSec: 1800, comment: 'after bob', since: 0 }] }) }),
    );
    expect((await cli('extend', 's1', '--for', '30m')).code).toBe(0);
    expect(posts()[0]?.body).toMatchObject({ user: 'alice', durationSec: 1800 });
    const q = await cli('queue', 's1', '--for', '30m', '-m', 'after bob');
    expect(q).toMatchObject({ code: 0, stdout: 'queued for s1 at position 2\n' });
    expect(posts()[1]?.body).toMatchObject({ user: 'alice', durationSec: 1800, comment: 'after bob' });
  });

  it('reserve --wait queues when held and returns once the node grants it', async () => {
    let polls = 0;
    node.route('POST /api/servers/s1/reserve', (_q, res) => json(res, 409, conflict));
    node.route('POST /api/servers/s1/queue', (_q, res) => json(res, 200, { success: true, server: server({ host: 's1', holder: 'bob', queue: [{ user: 'alice', durationSec: 3600, comment: '', since: 0 }] }) }));
    node.route('GET /api/servers/s1', (_q, res) => {
      polls++;
      json(res, 200, server({ host: 's1', holder: polls >= 3 ? 'alice' : 'bob', until: 2e9 }));
    });
    const r = await cli('reserve', 's1', '--wait', '--poll-ms', '20', '--timeout', '10s');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/s1 is held by bob; queued at position 1/);
    expect(r.stdout).toMatch(/^reserved s1 for alice/);
    expect(polls).toBe(3);
    expect(posts()[1]?.body).toMatchObject({ user: 'alice', durationSec: 3600 });
  });

  it('reserve --wait gives up after --timeout with exit 1', async () => {
    node.route('POST /api/servers/s1/reserve', (_q, res) => json(res, 409, conflict));
    node.route('POST /api/servers/s1/queue', (_q, res) => json(res, 200, { success: true, server: server({ host: 's1', holder: 'bob' }) }));
    node.route('GET /api/servers/s1', (_q, res) => json(res, 200, server({ host: 's1', holder: 'bob' })));
    const r = await cli('reserve', 's1', '--wait', '--poll-ms', '50', '--timeout', '1s');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not granted within 1s; you are still in its queue \(TIMEOUT\)/);
  });
});

describe('history, promote, maintenance', () => {
  it('history passes the filters in the query string and prints a table', async () => {
    node.route('GET /api/history', (_q, res) =>
      json(res, 200, { items: [{ nodeIP: '10.0.0.1', timestamp: 1_700_000_000, operation: 'reserve', serverHost: 's1', comment: 'x', id: 3, user: 'bob', nodeId: 'n1', result: 'ok' }], total: 1, limit: 5, offset: 0 }),
    );
    const r = await cli('history', '--user', 'bob', '--host', 's1', '--operation', 'reserve', '--limit', '5');
    expect(r.code).toBe(0);
    expect(node.requests[0]?.url).toBe('/api/history?user=bob&host=s1&operation=reserve&limit=5');
    expect(r.stdout).toMatch(/bob\s+reserve\s+s1\s+ok\s+10\.0\.0\.1\s+x/);
    expect((await cli('history', '--limit', '0')).code).toBe(2);
  });

  it('promote finds the node’s ip in the cluster view and posts seed 000’s body', async () => {
    node.route('GET /api/state', (_q, res) => json(res, 200, { clusterView: [{ nodeIP: '10.0.0.1', role: 'master', nodeId: 'n1' }, { nodeIP: '10.0.0.2', role: 'slave', nodeId: 'n2' }] }));
    node.route('POST /promote', (_q, res) => json(res, 200, { success: true, leaderId: 'n2' }));
    const r = await cli('promote', 'n2');
    expect(r).toMatchObject({ code: 0, stdout: 'n2 is now master\n' });
    expect(posts()[0]?.body).toEqual({ role: 'master', ip: '10.0.0.2', nodeId: 'n2' });
    const byIp = await cli('promote', '10.0.0.1');
    expect(byIp.code).toBe(0);
    expect(posts()[1]?.body).toEqual({ role: 'master', ip: '10.0.0.1', nodeId: 'n1' });
    const unknown = await cli('promote', 'n9');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no node "n9" in the cluster view; known: n1 \(10\.0\.0\.1\), n2 \(10\.0\.0\.2\)/);
    expect(posts()).toHaveLength(2);
  });

  it('maintenance on|off posts {on}', async () => {
    node.route('POST /api/servers/s1/maintenance', (_q, res) => json(res, 200, { success: true, server: server({ host: 's1', maintenance: true }) }));
    expect(await cli('maintenance', 's1', 'on')).toMatchObject({ code: 0, stdout: 's1: maintenance on\n' });
    expect(await cli('maintenance', 's1', 'OFF')).toMatchObject({ code: 0 });
    expect(posts().map((p) => p.body)).toEqual([{ on: true }, { on: false }]);
    // the history names who switched it: PEERBOARD_USER here, --user when given
    expect(await cli('maintenance', 's1', 'on', '--user', 'Zoë')).toMatchObject({ code: 0 });
    expect(posts().map((p) => p.headers['x-peerboard-user'])).toEqual(['alice', 'alice', "utf-8''Zo%C3%AB"]);
    expect((await cli('maintenance', 's1', 'maybe')).code).toBe(2);
  });
});

describe('usage errors (2) and unreachable nodes (3)', () => {
  it.each([
    [['reserve']],
    [['reserve', 's1', '--for', '2x']],
    [['reserve', 's1', '--for', '1h', '--until', '23:59']],
    [['extend', 's1']],
    [['queue', 's1']],
    [['frobnicate']],
    [['servers', '--colour']],
    [['status', '--node', 'ftp://x']],
    [['status', 'extra']],
    // the board's own limits, checked before any request (issue 11: one set of limits)
    [['reserve', 's1', '--for', '31d']],
    [['extend', 's1', '--for', '5w']],
    [['queue', 's1', '--for', '31d']],
    [['reserve', 'web 01', '--for', '1h']],
    [['reserve', 'a/b', '--for', '1h']],
    [['release', 'h'.repeat(129)]],
    [['reserve', 's1', '--for', '1h', '-m', 'c'.repeat(1001)]],
  ])('%j exits 2 without contacting the node', async (args) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^peerboard: /);
    expect(node.requests).toHaveLength(0);
  });

  it('--help works on every command and exits 0', async () => {
    for (const c of ['servers', 'reserve', 'release', 'extend', 'queue', 'status', 'history', 'promote', 'maintenance', 'config']) {
      const r = await cli(c, '--help');
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(/^Usage: peerboard /);
    }
  });

  it('exits 3 when nothing listens; --json prints an error body', async () => {
    const port = await deadPort();
    const r = await runInProcess(['status', '--node', `http://127.0.0.1:${port}`], env);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach the node at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    const j = await runInProcess(['reserve', 's1', '--json', '--node', `http://127.0.0.1:${port}`], env);
    expect(j.code).toBe(3);
    expect(JSON.parse(j.stdout)).toMatchObject({ success: false, code: 'UNREACHABLE' });
  });

  it('a non-JSON answer is a refusal (1), not a crash', async () => {
    node.route('GET /api/health', (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>not a node</html>');
    });
    const r = await cli('status');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not JSON; is http:\/\/127\.0\.0\.1:\d+ a Peerboard node\?/);
  });
});

describe('the real process', () => {
  it('exit codes 0, 1, 2 and 3 reach the shell', async () => {
    node.route('GET /api/health', (_q, res) => json(res, 200, { success: true, role: 'master' }));
    node.route('POST /api/servers/s1/release', (_q, res) => json(res, 403, { success: false, error: 'Forbidden', message: 'held by bob', code: 'FORBIDDEN', details: {} }));
    expect((await runCli(['status'], env)).code).toBe(0);
    const refused = await runCli(['release', 's1'], env);
    expect(refused).toMatchObject({ code: 1, stderr: 'peerboard: held by bob (FORBIDDEN)\n' });
    expect((await runCli(['reserve'], env)).code).toBe(2);
    const port = await deadPort();
    expect((await runCli(['status', '--node', `http://127.0.0.1:${port}`], env)).code).toBe(3);
  });
});
