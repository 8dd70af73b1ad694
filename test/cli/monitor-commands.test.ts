// `peerboard checks`, `alerts` and `notifications` against a real node (real SQLite, real HTTP on
// 127.0.0.1, admin and user tokens): tables, --json, the flags turned into a check, refusals with
// their exit codes, and a verdict the master decides from two locations' reports, delivered to a
// real webhook receiver.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, waitFor, type TestNode } from '../cluster/cluster-helpers.js';
import { cleanEnv, FakeNode, json, runCli, runInProcess } from './helpers.js';

const TOKENS = { adminToken: 'admin-token-monitor-1', userToken: 'user-token-monitor-12' };
let cluster: TestCluster;
let t: TestNode;
let receiver: Server;
let hookUrl = '';
const hooks: unknown[] = [];
let admin: NodeJS.ProcessEnv;
let reader: NodeJS.ProcessEnv;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hooks.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  cluster = await TestCluster.create(TOKENS);
  t = await cluster.add('mon1');
  await cluster.settled();
  admin = cleanEnv({ PEERBOARD_NODE: t.api, PEERBOARD_TOKEN: TOKENS.adminToken, PEERBOARD_USER: 'alice' });
  reader = cleanEnv({ PEERBOARD_NODE: t.api, PEERBOARD_TOKEN: TOKENS.userToken });
}, 30_000);
afterAll(async () => {
  await cluster?.close();
  receiver?.closeAllConnections();
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
});

const cli = (env: NodeJS.ProcessEnv, ...args: string[]) => runInProcess(args, env);
const lines = (text: string) => text.trimEnd().split('\n');
async function checkIds(): Promise<number[]> {
  const r = await cli(reader, 'checks', '--json');
  return (JSON.parse(r.stdout) as { checks: Array<{ id: number }> }).checks.map((c) => c.id);
}

describe('checks', () => {
  it('adds a check from its flags, lists it, shows it, updates it and removes it', async () => {
    const add = await cli(admin, 'checks', 'add', '--name', 'web', '--type', 'http', '--target', 'http://127.0.0.1:9/health', '--server', 'srv1', '--interval', '30s', '--timeout', '2s', '--retries', '2', '--method', 'head', '--expect-status', '200,204', '--keyword', 'ok', '--cert-expiry-days', '14', '--json');
    expect(add.code).toBe(0);
    const created = JSON.parse(add.stdout) as { id: number; check: Record<string, unknown> };
    expect(created.check).toMatchObject({ name: 'web', type: 'http', server: 'srv1', intervalSec: 30, timeoutMs: 2000, retries: 2, method: 'HEAD', expectStatus: [200, 204], keyword: 'ok', certExpiryDays: 14, enabled: true, createdBy: 'alice', verdict: 'UNKNOWN' });
    const id = created.id;

    const list = await cli(reader, 'checks');
    expect(list.code).toBe(0);
    const [head, row] = lines(list.stdout);
    expect(head).toMatch(/^ID\s+NAME\s+TYPE\s+TARGET\s+SERVER\s+VERDICT\s+LOCATIONS UP\s+UPTIME 24H$/);
    expect(row).toMatch(new RegExp(`^${id}\\s+web\\s+http\\s+http://127\\.0\\.0\\.1:9/health\\s+srv1\\s+UNKNOWN\\s+0/0\\s+-$`));
    expect((await cli(reader, 'checks', 'list')).stdout).toBe(list.stdout);

    const show = await cli(reader, 'checks', 'show', String(id));
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^schedule\s+every 30s, timeout 2000 ms, 2 retries$/m);
    expect(show.stdout).toMatch(/^expect\s+200,204$/m);
    expect(show.stdout).toMatch(/no location has reported yet/);

    const upd = await cli(admin, 'checks', 'update', String(id), '--interval', '10', '--disabled', '--no-server');
    expect(upd).toMatchObject({ code: 0, stdout: `updated check ${id} "web": http http://127.0.0.1:9/health, every 10s, disabled\n` });
    const shown = JSON.parse((await cli(reader, 'checks', 'show', String(id), '--json')).stdout) as { check: Record<string, unknown> };
    expect(shown.check).toMatchObject({ intervalSec: 10, enabled: false, server: null, keyword: 'ok' });
    expect(lines((await cli(reader, 'checks')).stdout)[1]).toMatch(/UNKNOWN \(disabled\)/);
    expect((await cli(admin, 'checks', 'update', String(id), '--enabled')).code).toBe(0);

    expect(await cli(admin, 'checks', 'remove', String(id))).toMatchObject({ code: 0, stdout: `removed check ${id}\n` });
    expect(await checkIds()).not.toContain(id);
  });

  it('refuses bad flags and bad definitions locally as usage errors (exit 2), sending nothing', async () => {
    const before = await checkIds();
    const cases: Array<[string[], RegExp]> = [
      [['--type', 'kafka', '--target', 'x'], /bad --type "kafka": one of http, tcp, ping, dns/],
      [['--type', 'http', '--target', 'not a url'], /bad --target: target "not a url" is not a URL/],
      [['--type', 'http', '--target', 'http://127.0.0.1/', '--interval', '4s'], /bad --interval: must be at least 5 seconds/],
      [['--type', 'http', '--target', 'http://127.0.0.1/', '--interval', '1.5'], /bad --interval "1.5"/],
      [['--type', 'http', '--target', 'http://127.0.0.1/', '--interval', '9'.repeat(40)], /bad --interval/],
      [['--type', 'http', '--target', 'http://127.0.0.1/', '--timeout', '10s', '--interval', '5s'], /bad --timeout: must not exceed the interval \(5000 ms\)/],
      [['--type', 'http', '--target', 'http://127.0.0.1/', '--retries', '6'], /bad --retries "6": 0-5/],
      [['--type', 'http', '--target', 'http://127.0.0.1/', '--expect-status', '200,abc'], /bad --expect-status "200,abc"/],
      [['--type', 'http', '--target', 'http://127.0.0.1/', '--expect-status', Array(21).fill('200').join(',')], /at most 20 codes/],
      [['--type', 'tcp', '--target', '127.0.0.1:99999'], /bad --target: target "127.0.0.1:99999" must be host:port/],
      [['--type', 'tcp', '--target', '127.0.0.1:80', '--keyword', 'x'], /bad --keyword: applies to http checks only, not tcp/],
      [['--type', 'dns', '--target', 'example.com', '--dns-type', 'PTR'], /bad --dns-type "PTR"/],
      [['--type', 'http', '--target', `http://127.0.0.1/${'a'.repeat(3000)}`], /bad --target/],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(admin, 'checks', 'add', '--name', 'bad', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      expect(r.stdout).toBe('');
    }
    const long = await cli(admin, 'checks', 'add', '--name', 'n'.repeat(101), '--type', 'ping', '--target', '127.0.0.1');
    expect(long).toMatchObject({ code: 2 });
    expect(long.stderr).toMatch(/bad --name: .*100/);
    expect((await cli(admin, 'checks', 'add', '--type', 'ping', '--target', '127.0.0.1')).stderr).toMatch(/required option '--name <name>'/);
    expect((await cli(admin, 'checks', 'update', '1')).stderr).toMatch(/give at least one flag to change/);
    for (const bad of ['0', '-1', 'abc', '1'.repeat(16), '1e3']) {
      const r = await cli(admin, 'checks', 'remove', bad);
      expect(r.code, bad).toBe(2);
    }
    expect((await cli(admin, 'checks', 'remove', 'abc')).stderr).toMatch(/bad check id "abc"/);
    expect(await checkIds()).toEqual(before);
  });

  it("passes the node's refusals on (exit 1), as text or as the JSON error body", async () => {
    const missing = await cli(reader, 'checks', 'show', '999999');
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toBe('peerboard: no check with id 999999 (NOT_FOUND)\n');
    const json = await cli(admin, 'checks', 'remove', '999999', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ success: false, code: 'NOT_FOUND' });
    // a change with the user token: admin only
    const user = await cli(reader, 'checks', 'add', '--name', 'x', '--type', 'ping', '--target', '127.0.0.1');
    expect(user.code).toBe(1);
    expect(user.stderr).toMatch(/needs admin rights.*\(FORBIDDEN\)/);
    // the merged definition is the node's to check: a timeout beyond the stored interval
    const ok = JSON.parse((await cli(admin, 'checks', 'add', '--name', 'p', '--type', 'ping', '--target', '127.0.0.1', '--interval', '5s', '--timeout', '1s', '--json')).stdout) as { id: number };
    const merged = await cli(admin, 'checks', 'update', String(ok.id), '--timeout', '6s');
    expect(merged.code).toBe(1);
    expect(merged.stderr).toMatch(/timeoutMs: must not exceed the interval \(5000 ms\).*\(BAD_REQUEST\)/);
    // private targets forbidden by an admin: the node refuses
    expect((await fetch(`${t.api}/api/monitoring/settings`, { method: 'PUT', headers: { authorization: `Bearer ${TOKENS.adminToken}`, 'content-type': 'application/json' }, body: '{"allowPrivateTargets":false}' })).status).toBe(200);
    try {
      const priv = await cli(admin, 'checks', 'add', '--name', 'lo', '--type', 'tcp', '--target', '127.1:22');
      expect(priv.code).toBe(1);
      expect(priv.stderr).toMatch(/target 127\.0\.0\.1 is a private or loopback address.*\(FORBIDDEN\)/);
    } finally {
      await fetch(`${t.api}/api/monitoring/settings`, { method: 'PUT', headers: { authorization: `Bearer ${TOKENS.adminToken}`, 'content-type': 'application/json' }, body: '{"allowPrivateTargets":true}' });
    }
    expect((await cli(admin, 'checks', 'rm', String(ok.id))).code).toBe(0);
  });

  it('exits 3 when the node is unreachable, and 2 on an unknown subcommand (a real process)', async () => {
    const dead = await runInProcess(['checks', '--node', 'http://127.0.0.1:1'], cleanEnv());
    expect(dead.code).toBe(3);
    expect(dead.stderr).toMatch(/cannot reach the node at http:\/\/127\.0\.0\.1:1/);
    const r = await runCli(['checks', '--json'], reader);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ success: true, checks: expect.any(Array) });
    const bogus = await runCli(['checks', 'bogus'], reader);
    expect(bogus.code).toBe(2);
  }, 60_000);
});

describe('a verdict from two locations, alerts and notifications', () => {
  it('shows PARTIAL with each location, the change in alerts, and its webhook delivery', async () => {
    const target = await cli(admin, 'notifications', 'add', '--type', 'webhook', '--url', hookUrl, '--secret', 'hook-secret-1', '--name', 'ops hook');
    expect(target.code).toBe(0);
    expect(target.stdout).toMatch(/^added notification target \d+ "ops hook": webhook, signed\n$/);
    const listed = await cli(admin, 'notifications');
    expect(lines(listed.stdout)[0]).toMatch(/^ID\s+TYPE\s+NAME\s+URL\s+SIGNED$/);
    expect(listed.stdout).toMatch(/webhook\s+ops hook\s+http:\/\/127\.0\.0\.1:\d+\/hook\s+yes/);
    expect(listed.stdout).not.toContain('hook-secret-1');
    const targets = JSON.parse((await cli(admin, 'notifications', '--json')).stdout) as { notifications: Array<{ id: number }> };
    // reading the targets needs the admin token (a Slack URL is a credential)
    expect((await cli(reader, 'notifications')).code).toBe(1);

    const id = (JSON.parse((await cli(admin, 'checks', 'add', '--name', 'api', '--type', 'tcp', '--target', '127.0.0.1:9', '--interval', '60', '--json')).stdout) as { id: number }).id;
    // one location at a time, as reports arrive: rack-a alone makes it UP, then rack-b's DOWN makes it PARTIAL
    const at = Date.now();
    t.node.monitorIngest('loc-a', 'rack-a', true, [{ checkId: id, nodeId: 'loc-a', location: 'rack-a', status: 'UP', responseTime: 12, at, error: null }]);
    await waitFor('the UP verdict committed', async () => lines((await cli(reader, 'checks')).stdout).some((l) => new RegExp(`^${id}\\s+api\\s+.*UP\\s+1/1\\s`).test(l)));
    t.node.monitorIngest('loc-b', 'rack-b', true, [{ checkId: id, nodeId: 'loc-b', location: 'rack-b', status: 'DOWN', responseTime: 3000, at, error: 'connect ECONNREFUSED' }]);
    await waitFor('the PARTIAL verdict committed', async () => lines((await cli(reader, 'checks')).stdout).some((l) => new RegExp(`^${id}\\s+api\\s+.*PARTIAL\\s+1/2\\s+(\\d+\\.\\d\\d%|-)$`).test(l)));

    const show = await cli(reader, 'checks', 'show', String(id));
    expect(show.stdout).toMatch(/^verdict\s+PARTIAL since /m);
    expect(show.stdout).toMatch(/LOCATION\s+NODE\s+STATUS\s+RESPONSE\s+LAST CHECKED \(.*\)\s+VOTES\s+ERROR/);
    expect(show.stdout).toMatch(/^rack-a\s+loc-a\s+UP\s+12 ms\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+yes$/m);
    expect(show.stdout).toMatch(/^rack-b\s+loc-b\s+DOWN\s+3000 ms\s+.*yes\s+connect ECONNREFUSED$/m);

    await waitFor('the webhook delivered and committed', async () => /1 delivered/.test((await cli(reader, 'alerts')).stdout), 10_000);
    const alerts = await cli(reader, 'alerts', '--limit', '5');
    expect(lines(alerts.stdout)[0]).toMatch(/^TIME \(.*\)\s+CHECK\s+SERVER\s+CHANGE\s+LOCATIONS UP\s+NOTIFICATIONS$/);
    // newest first; UNKNOWN → UP involves no problem, so nothing was sent for it
    expect(lines(alerts.stdout).slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+${id} api\\s+UP → PARTIAL\\s+1/2\\s+1 delivered$`)),
      expect.stringMatching(new RegExp(`^.*${id} api\\s+UNKNOWN → UP\\s+1/1\\s+-$`)),
    ]);
    expect(hooks).toEqual([expect.objectContaining({ checkId: id, verdict: 'PARTIAL', previous: 'UP' })]);
    const raw = JSON.parse((await cli(reader, 'alerts', '--json')).stdout) as { alerts: Array<{ change: { checkId: number }; deliveries: Array<{ state: string }> }> };
    expect(raw.alerts[0]).toMatchObject({ change: { checkId: id }, deliveries: [{ state: 'delivered' }] });
    for (const bad of ['0', '501', 'x', '1'.repeat(10)]) expect((await cli(reader, 'alerts', '--limit', bad)).code, bad).toBe(2);

    const rm = targets.notifications[0]!.id;
    expect(await cli(admin, 'notifications', 'remove', String(rm))).toMatchObject({ code: 0, stdout: `removed notification target ${rm}\n` });
    expect((await cli(admin, 'notifications')).stdout).toMatch(/^no notification targets/);
    expect((await cli(admin, 'notifications', 'remove', String(rm))).code).toBe(1);
  }, 30_000);

  it('refuses a bad notification target locally (exit 2)', async () => {
    const before = (await cli(admin, 'notifications', '--json')).stdout;
    const cases: Array<[string[], RegExp]> = [
      [['--type', 'email', '--url', 'http://127.0.0.1/'], /bad --type: type must be webhook or slack/],
      [['--type', 'webhook', '--url', 'ftp://x/'], /bad --url: must be an http/],
      [['--type', 'webhook', '--url', 'http://u:p@127.0.0.1/'], /bad --url/],
      [['--type', 'webhook', '--url', 'http://127.0.0.1/', '--secret', 'short'], /bad --secret: must be at least 8 characters/],
      [['--type', 'webhook', '--url', 'http://127.0.0.1/', '--secret', 's'.repeat(257)], /bad --secret/],
      [['--type', 'webhook', '--url', `http://127.0.0.1/${'a'.repeat(2100)}`], /bad --url/],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(admin, 'notifications', 'add', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
    expect((await cli(admin, 'notifications', '--json')).stdout).toBe(before);
  });
});

describe('writes the node does not deduplicate', () => {
  it('sends checks add and remove once after a broken connection (exit 3), while update, a patch, is retried once', async () => {
    const fake = await new FakeNode().start();
    try {
      fake.route('POST /api/checks', () => 'destroy').route('DELETE /api/checks/4', () => 'destroy').route('PATCH /api/checks/4', () => 'destroy');
      const env = cleanEnv({ PEERBOARD_NODE: fake.url, PEERBOARD_USER: 'alice' });
      expect((await runInProcess(['checks', 'add', '--name', 'x', '--type', 'ping', '--target', '127.0.0.1'], env)).code).toBe(3);
      expect((await runInProcess(['checks', 'remove', '4'], env)).code).toBe(3);
      expect((await runInProcess(['checks', 'update', '4', '--retries', '1'], env)).code).toBe(3);
      expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/checks', 'DELETE /api/checks/4', 'PATCH /api/checks/4', 'PATCH /api/checks/4']);
      expect(fake.requests[0]!.body).toEqual({ name: 'x', type: 'ping', target: '127.0.0.1' });
      expect(fake.requests[2]!.body).toEqual({ retries: 1 });
      expect(fake.requests[0]!.headers['x-peerboard-user']).toBe('alice');
    } finally {
      await fake.stop();
    }
  });

  it('takes the webhook secret from PEERBOARD_WEBHOOK_SECRET, and --secret before it', async () => {
    const fake = await new FakeNode().start();
    try {
      fake.route('POST /api/notifications', (_q, res) => json(res, 201, { success: true, notification: { id: 1, type: 'webhook', url: 'http://127.0.0.1/', name: 'w', hasSecret: true }, id: 1 }));
      const env = cleanEnv({ PEERBOARD_NODE: fake.url, PEERBOARD_WEBHOOK_SECRET: 'from-the-env-1' });
      expect((await runInProcess(['notifications', 'add', '--type', 'webhook', '--url', 'http://127.0.0.1/'], env)).code).toBe(0);
      expect((await runInProcess(['notifications', 'add', '--type', 'WEBHOOK', '--url', 'http://127.0.0.1/', '--secret', 'from-the-flag'], env)).code).toBe(0);
      expect(fake.requests.map((r) => r.body)).toEqual([
        { type: 'webhook', url: 'http://127.0.0.1/', secret: 'from-the-env-1' },
        { type: 'webhook', url: 'http://127.0.0.1/', secret: 'from-the-flag' },
      ]);
    } finally {
      await fake.stop();
    }
  });

  it('says so when the answer is not what a monitoring node sends (exit 1)', async () => {
    const fake = await new FakeNode().start();
    try {
      fake.route('GET /api/checks', (_q, res) => json(res, 200, { success: true, servers: [] }));
      const r = await runInProcess(['checks'], cleanEnv({ PEERBOARD_NODE: fake.url }));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/the node sent no checks list; is it a Peerboard node with monitoring\? \(BAD_ANSWER\)/);
    } finally {
      await fake.stop();
    }
  });
});
