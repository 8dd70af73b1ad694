// Monitoring on a real 3-node cluster (real sockets, real SQLite, real probes against a real HTTP target
// on loopback; check intervals scaled by 0.01 so a 5 s interval lasts 50 ms): the verdict follows the
// target, a webhook receiver gets exactly one signed delivery per notifiable change, also when the
// master is halted mid-way (kill -9 in-process), and maintenance mutes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../node-core/src/monitoring/deliver.js';
import type { CheckView } from '../../node-core/src/monitoring/monitor-service.js';
import type { VerdictChange } from '../../node-core/src/monitoring/types.js';
import { api, TestCluster, waitFor, type TestNode } from './cluster-helpers.js';

const SECRET = 'webhook-secret-1';

interface Hook {
  id: string;
  body: VerdictChange;
  signed: boolean;
}

let cluster: TestCluster;
let target: Server;
let targetUrl = '';
let healthy = true;
let receiver: Server;
let hookUrl = '';
const hooks: Hook[] = [];

function listen(s: Server): Promise<number> {
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  target = createServer((_req, res) => {
    res.statusCode = healthy ? 200 : 503;
    res.end(healthy ? 'all ok' : 'down');
  });
  targetUrl = `http://127.0.0.1:${await listen(target)}/health`;
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers['x-peerboard-timestamp'] ?? '');
      const sig = String(req.headers['x-peerboard-signature'] ?? '');
      hooks.push({ id: String(req.headers['x-peerboard-delivery']), body: JSON.parse(raw) as VerdictChange, signed: verifySignature(SECRET, ts, raw, sig) });
      res.end('ok');
    });
  });
  hookUrl = `http://127.0.0.1:${await listen(receiver)}/hook`;
  cluster = await TestCluster.create({}, { monitorOptions: { timeScale: 0.01 } });
  await Promise.all(['m1', 'm2', 'm3'].map((n) => cluster.add(n)));
  await cluster.settled();
  await cluster.voters(3);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  target?.close();
  receiver?.close();
});

async function checks(n: TestNode): Promise<CheckView[]> {
  const r = await api<{ checks: CheckView[] }>(n.api, 'GET', '/api/checks');
  return r.body.checks;
}

async function verdictIs(n: TestNode, v: string, timeoutMs = 15_000): Promise<CheckView> {
  return waitFor(`verdict ${v} on ${n.name}`, async () => (await checks(n)).find((c) => c.verdict === v), timeoutMs);
}

describe('monitoring on a 3-node cluster', () => {
  it('adds a check and a webhook through any node; every location probes; the verdict is UP', async () => {
    const any = cluster.nodes[1]!;
    const add = await api<{ check: CheckView; id: number }>(any.api, 'POST', '/api/checks', { name: 'api', type: 'http', target: targetUrl, intervalSec: 5, timeoutMs: 1000, retries: 0, keyword: 'ok' });
    expect(add.status).toBe(201);
    expect(add.body.id).toBe(1);
    const hook = await api(any.api, 'POST', '/api/notifications', { type: 'webhook', url: hookUrl, secret: SECRET });
    expect(hook.status).toBe(201);
    const up = await verdictIs(cluster.master()!, 'UP');
    await waitFor('three voting locations', async () => ((await checks(cluster.master()!))[0]?.locations.filter((l) => l.voting && l.status === 'UP').length ?? 0) === 3 || undefined);
    expect(up.name).toBe('api');
    // every node shows the committed verdict
    for (const n of cluster.nodes) await verdictIs(n, 'UP');
    // UNKNOWN -> UP is recorded, not notified
    expect(hooks).toHaveLength(0);
  });

  it('goes DOWN when the target fails, and the webhook gets exactly one signed delivery', async () => {
    healthy = false;
    const down = await verdictIs(cluster.master()!, 'DOWN');
    expect(down.locations.filter((l) => l.status === 'DOWN').length).toBeGreaterThanOrEqual(2);
    await waitFor('one webhook', () => hooks.length >= 1 || undefined);
    await waitFor('the delivery committed', async () => {
      const r = await api<{ alerts: Array<{ change: VerdictChange; deliveries: Array<{ state: string }> }> }>(cluster.master()!.api, 'GET', '/api/alerts');
      return r.body.alerts[0]?.deliveries[0]?.state === 'delivered' || undefined;
    });
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ signed: true, body: { checkId: 1, name: 'api', verdict: 'DOWN', previous: 'UP', server: null } });
    expect(hooks[0]!.body.locations.length).toBeGreaterThanOrEqual(2);
  });

  it('a halted master is replaced; the next change is notified once, and nothing is repeated', async () => {
    const old = cluster.master()!;
    await cluster.crash(old.name);
    const rest = cluster.nodes;
    await waitFor('a new master', () => rest.find((n) => n.node.raft.role === 'master' && n.node.raft.masterReady()), 10_000);
    healthy = true;
    const master = rest.find((n) => n.node.raft.role === 'master')!;
    await verdictIs(master, 'UP');
    await waitFor('the recovery webhook', () => hooks.length >= 2 || undefined);
    // give a duplicate every chance to show up: two more report periods on the new master
    const seen = hooks.length;
    await waitFor('two report periods', async () => {
      const r = await api<{ alerts: Array<{ deliveries: Array<{ state: string }> }> }>(master.api, 'GET', '/api/alerts');
      return r.body.alerts.every((a) => a.deliveries.every((d) => d.state !== 'pending')) || undefined;
    });
    expect(seen).toBe(2);
    expect(hooks.map((h) => `${h.body.previous}>${h.body.verdict}`)).toEqual(['UP>DOWN', 'DOWN>UP']);
    expect(new Set(hooks.map((h) => h.id)).size).toBe(2);
  });

  it('a server in maintenance mutes its checks: the change is committed, nothing is delivered', async () => {
    const master = cluster.nodes.find((n) => n.node.raft.role === 'master')!;
    await api(master.api, 'POST', '/api/servers', { host: 'web-01' });
    await api(master.api, 'PATCH', '/api/checks/1', { server: 'web-01' });
    await api(master.api, 'POST', '/api/servers/web-01/maintenance', { on: true, reason: 'upgrade' });
    const before = hooks.length;
    healthy = false;
    await verdictIs(master, 'DOWN');
    const r = await api<{ alerts: Array<{ muted: boolean; change: VerdictChange; deliveries: unknown[] }> }>(master.api, 'GET', '/api/alerts');
    expect(r.body.alerts[0]).toMatchObject({ muted: true, deliveries: [], change: { verdict: 'DOWN', server: 'web-01' } });
    expect(hooks.length).toBe(before);
    healthy = true;
  });
});
