// Issue 2's loopback scenarios with real sockets, real SQLite and real HTTP: promote, graceful
// leave, restart from disk, two clusters on one network, a wrong cluster key, simultaneous
// bootstraps, and bad input on every edge.
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttp } from '../../node-core/src/http/index.js';
import { silentLogger } from '../../node-core/src/log.js';
import { createNode } from '../../node-core/src/node.js';
import { TEST_CLUSTER_KEY } from '../test-key.js';
import { FAST, TestCluster, api, freeUdpPort, waitFor, threeNodes } from './cluster-helpers.js';



/** broadcast on loopback: unicast would reach only one of the sockets sharing the port */
async function udpSend(port: number, data: Buffer): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  s.setBroadcast(true);
  return new Promise((resolve, reject) => s.send(data, port, '127.255.255.255', (err) => (s.close(), err ? reject(err) : resolve())));
}

describe('cluster protocol on loopback', () => {
  const clusters: TestCluster[] = [];
  afterEach(async () => {
    await Promise.all(clusters.splice(0).map((c) => c.close()));
  });

  it('simultaneous bootstraps form one cluster with one incarnation', async () => {
    const c = await threeNodes();
    clusters.push(c);
    const incarnations = new Set(c.nodes.map((n) => n.node.raft.config?.incarnation));
    expect(incarnations.size).toBe(1);
    expect(c.nodes.filter((n) => n.node.raft.role === 'master')).toHaveLength(1);
  });

  it('POST /promote on a slave makes it master; committed data stays', async () => {
    const c = await threeNodes();
    clusters.push(c);
    const m = c.master()!;
    await api(m.api, 'POST', '/api/servers', { host: 's1' });
    const slave = c.nodes.find((n) => n !== m)!;
    const r = await api<{ success: boolean; leaderId: string }>(slave.api, 'POST', '/promote', { role: 'master', ip: '127.0.0.1' });
    expect(r.status).toBe(200);
    expect(r.body.leaderId).toBe(slave.name);
    const m2 = await c.settled();
    expect(m2.name).toBe(slave.name);
    expect(m2.node.server('s1')).toBeDefined();
    // /updateRole reached the frontend? (frontendUrl is off in tests) — the role event is emitted instead
    expect(m.node.raft.role).toBe('slave');
  });

  it('a master that leaves gracefully hands over first, so the board never loses its master for an election timeout', async () => {
    const c = await threeNodes({ electionTimeoutMs: 2000 });
    clusters.push(c);
    const m = c.master()!;
    await api(m.api, 'POST', '/api/servers', { host: 's1' });
    const t0 = Date.now();
    await c.stop(m.name);
    const m2 = await c.settled();
    expect(Date.now() - t0).toBeLessThan(2000);
    const r = await api(m2.api, 'POST', '/api/servers/s1/reserve', { user: 'alice', durationSec: 60 });
    expect(r.status).toBe(200);
  });

  it('restores the board from disk when every node stops and starts again', async () => {
    const c = await threeNodes();
    clusters.push(c);
    const m = c.master()!;
    await api(m.api, 'POST', '/api/servers', { host: 's1' });
    await api(m.api, 'POST', '/api/servers', { host: 's2' });
    const ok = await api(m.api, 'POST', '/api/servers/s1/reserve', { user: 'alice', durationSec: 3600, comment: 'keep me' });
    expect(ok.status).toBe(200);
    const dirs = c.nodes.map((n) => ({ name: n.name, dir: n.dataDir }));
    for (const n of [...c.nodes]) await c.crash(n.name);
    for (const d of dirs) await c.add(d.name, {}, d.dir);
    const m2 = await c.settled();
    const s1 = m2.node.server('s1');
    expect(s1?.holder).toBe('alice');
    expect(s1?.comment).toBe('keep me');
    expect(m2.node.server('s2')).toBeDefined();
    expect(m2.node.history({ operation: 'reserve' }).total).toBe(1);
  });

  it('two clusters sharing the discovery port ignore each other', async () => {
    const a = await TestCluster.create({ clusterId: 'team-a' });
    clusters.push(a);
    const b = new TestCluster(a.discoveryPort, { clusterId: 'team-b' });
    clusters.push(b);
    await Promise.all([a.add('a1'), a.add('a2'), b.add('b1'), b.add('b2')]);
    const ma = await a.settled();
    const mb = await b.settled();
    const ids = (n: typeof ma) => n.node.view().clusterView.map((e) => e.nodeId).sort().join();
    await waitFor('each master sees its own two nodes', () => ids(ma) === 'a1,a2' && ids(mb) === 'b1,b2');
    expect(ma.node.health().dropped.other_cluster ?? 0).toBeGreaterThan(0);
  });

  it('with a cluster key, a node with the wrong key is ignored and cannot join; messages are counted as bad_mac', async () => {
    const key = 'correct horse battery staple';
    const c = await TestCluster.create({ clusterKey: key });
    clusters.push(c);
    await Promise.all([c.add('k1'), c.add('k2')]);
    const m = await c.settled();
    const intruders = new TestCluster(c.discoveryPort, { clusterKey: 'wrong key, wrong key!!' });
    clusters.push(intruders);
    const x = await intruders.add('x1');
    await waitFor('bad MACs counted', () => (m.node.health().dropped.bad_mac ?? 0) > 0);
    expect(x.node.raft.leaderId).not.toBe(m.name);
    expect(m.node.view().clusterView.map((e) => e.nodeId)).not.toContain('x1');
    expect(m.node.raft.config?.voters.map((v) => v.nodeId)).not.toContain('x1');
  });

  it('ForceMaster in an open cluster (no key) changes nothing', async () => {
    const c = await threeNodes({ openCluster: true });
    clusters.push(c);
    const m = c.master()!;
    const target = c.nodes.find((n) => n !== m)!;
    const msg = { type: 'ForceMaster', v: 1, clusterId: 'test', nodeId: 'evil', term: m.node.raft.term, ts: Date.now(), targetNodeId: target.name, by: 'evil' };
    await udpSend(c.discoveryPort, Buffer.from(JSON.stringify(msg)));
    await waitFor('ForceMaster refused and counted', () => (m.node.health().dropped.force_master_unauthenticated ?? 0) > 0);
    expect(m.node.raft.role).toBe('master');
  });

  it('with a key, an authenticated ForceMaster hands mastership to the target', async () => {
    const c = await TestCluster.create({ clusterKey: 'sixteen chars ok!' });
    clusters.push(c);
    await Promise.all(['f1', 'f2', 'f3'].map((n) => c.add(n)));
    const m = await c.settled();
    await waitFor('3 voters', () => m.node.raft.config?.voters.length === 3 && !m.node.raft.configChangePending(), 15_000);
    const target = c.nodes.find((n) => n !== m)!;
    target.node.discovery['broadcast']({ type: 'ForceMaster', targetNodeId: target.name, by: 'admin' });
    await waitFor('target is master', () => target.node.raft.role === 'master' && c.master() === target, 8000);
  });

  it('garbage on the UDP and TCP ports is dropped, counted, and the node keeps working', async () => {
    // open: unauthenticated garbage must reach the JSON, shape and version checks (with a key it stops at the MAC)
    const c = await threeNodes({ openCluster: true });
    clusters.push(c);
    const m = c.master()!;
    const before = { ...m.node.health().dropped };
    await udpSend(c.discoveryPort, Buffer.from('not json at all'));
    await udpSend(c.discoveryPort, Buffer.from('[1,2,3]'));
    await udpSend(c.discoveryPort, Buffer.from(JSON.stringify({ type: 'Heartbeat', v: 1, clusterId: 'test', nodeId: 'x', term: 'high', ts: 1 })));
    await udpSend(c.discoveryPort, Buffer.from(JSON.stringify({ type: 'Launch', v: 1, clusterId: 'test', nodeId: 'x', term: 1, ts: 1 })));
    await udpSend(c.discoveryPort, Buffer.from(JSON.stringify({ type: 'Heartbeat', v: 99, clusterId: 'test', nodeId: 'x', term: 1, ts: 1 })));
    await udpSend(c.discoveryPort, Buffer.alloc(61 * 1024, 0x7b));
    await waitFor('drops counted', () => {
      const d = m.node.health().dropped;
      return (d.bad_json ?? 0) > (before.bad_json ?? 0) && (d.bad_shape ?? 0) > (before.bad_shape ?? 0) && (d.unknown_type ?? 0) > 0 && (d.version ?? 0) > 0 && (d.too_large ?? 0) > 0;
    });
    // TCP: a raw socket writing garbage to the peer port, and a well-framed request with bad JSON
    await new Promise<void>((resolve) => {
      const s = connect(m.node.peerPort, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\n\r\n'));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    const frame = Buffer.alloc(9 + 5);
    frame.writeUInt32BE(5 + 5, 0);
    frame.writeUInt32BE(1, 4);
    frame.writeUInt8(0, 8);
    frame.write('{oops', 9);
    const answer = await new Promise<Buffer>((resolve) => {
      const s = connect(m.node.peerPort, '127.0.0.1', () => s.write(frame));
      s.once('data', (d) => (s.destroy(), resolve(d)));
    });
    expect(answer.subarray(9).toString()).toContain('ErrorResponse');
    const r = await api(m.api, 'POST', '/api/servers', { host: 'still-alive' });
    expect(r.status).toBe(201);
    await waitFor('replicated', () => c.nodes.every((n) => n.node.server('still-alive')));
  });

  it('a slave answers writes by forwarding to the master, and reads from its replica when no master is reachable (stale)', async () => {
    const c = await threeNodes();
    clusters.push(c);
    const m = c.master()!;
    await api(m.api, 'POST', '/api/servers', { host: 's1' });
    const [a, b] = c.nodes.filter((n) => n !== m);
    await waitFor('replicated', () => a!.node.server('s1') && b!.node.server('s1'));
    await c.crash(m.name);
    await c.crash(b!.name);
    await waitFor('a sees it is stale', () => a!.node.view().stale);
    const read = await api<{ stale: boolean; staleMs: number; serversData: { serversList: unknown[] } }>(a!.api, 'GET', '/api/state');
    expect(read.status).toBe(200);
    expect(read.body.stale).toBe(true);
    expect(read.body.serversData.serversList).toHaveLength(1);
    const w = await api<{ code: string; message: string }>(a!.api, 'POST', '/api/servers/s1/reserve', { user: 'alice', durationSec: 60 });
    expect(w.status).toBe(503);
    expect(w.body.code).toBe('NO_QUORUM');
    expect(w.body.message).toMatch(/majority/);
  });

  it('POSTs every role change to the frontend /updateRole with the seed body', async () => {
    const got: Array<{ role: string; ip: string }> = [];
    const srv = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/updateRole') got.push(JSON.parse(body) as { role: string; ip: string });
        res.end('{"success":true}');
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    try {
      const c = await TestCluster.create();
      clusters.push(c);
      const port = (srv.address() as { port: number }).port;
      await c.add('solo', { frontendUrl: `http://127.0.0.1:${port}` });
      await c.settled();
      await waitFor('/updateRole master', () => got.some((g) => g.role === 'master' && g.ip === '127.0.0.1'));
      expect(Object.keys(got[got.length - 1]!).sort()).toEqual(['ip', 'role']);
    } finally {
      srv.close();
    }
  });

  it.each([
    ['without tokens', {}],
    ['with tokens (the post carries the user token; /updateRole needs one)', { adminToken: 'admin-token-1234', userToken: 'user-token-12345' }],
  ])('with the default frontendUrl, a node posts its role changes to its own frontend port, wherever --ui-port put it (issue 10), %s', async (_what, tokens) => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-uirole-'));
    const port = await freeUdpPort();
    const node = await createNode(
      { clusterId: 'test', nodeId: 'ui-solo', dataDir: dir, broadcastAddress: '127.255.255.255', advertiseIP: '127.0.0.1', discoveryPort: port, peerPort: 0, apiPort: 0, uiPort: 0, selfRegister: false, logLevel: 'silent', clusterKey: TEST_CLUSTER_KEY, ...FAST, discoveryWindowMs: 1500, ...tokens },
      { logger: silentLogger() },
    );
    const got: Array<{ role: string; ip: string }> = [];
    const http = await startHttp(node, { logger: silentLogger(), onUpdateRole: (b) => got.push(b) });
    try {
      expect(http.uiPort).not.toBe(8778);
      expect(node.frontendTarget()).toBe(`http://localhost:${http.uiPort}`);
      await waitFor('/updateRole master on its own frontend', () => got.some((g) => g.role === 'master' && g.ip === '127.0.0.1'), 8000);
    } finally {
      await http.close();
      await node.stop();
    }
  });

  it('imports a ServersData file given with --servers when the board is empty', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pb-servers-')), 'servers.json');
    writeFileSync(file, JSON.stringify({ lastUpdate: 1706515614, serversList: [{ host: 'server-01', app: 'Mid', ip: '192.168.0.10', env: 'preprod', available: true, action: 'Available', since: 0, comment: '' }] }));
    const c = await TestCluster.create();
    clusters.push(c);
    const t = await c.add('importer', { servers: file });
    await waitFor('imported', () => t.node.server('server-01')?.app === 'Mid');
    expect(t.node.server('server-01')).toMatchObject({ host: 'server-01', ip: '192.168.0.10', env: 'preprod', available: true });
  });

  it('with selfRegister on, a desktop node registers its user and itself; a headless node registers only itself (issue 10)', async () => {
    const c = await TestCluster.create();
    clusters.push(c);
    const t = await c.add('selfreg', { selfRegister: true, user: 'carol', headless: false });
    const h = await c.add('host', { selfRegister: true, user: 'root', headless: true });
    await c.settled();
    await waitFor('user and nodes registered', () => t.node.users().some((u) => u.username === 'carol') && ['selfreg', 'host'].every((id) => t.node.clusterNodes().some((n) => n.id === id)));
    // the headless node registered no user of its own: once it has applied carol's registration, she is all it holds
    await waitFor('the headless node applied the registration', () => h.node.users().length > 0);
    expect(h.node.users().map((u) => u.username)).toEqual(['carol']);
  });
});
