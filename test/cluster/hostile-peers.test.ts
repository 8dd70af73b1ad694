// Issue 9's forged-packet attacks against real loopback clusters: a stranger's term bomb, a forged
// master address with a doctored snapshot, writes forged on the peer port, fake voters, membership
// floods and replays. Each asserts that the cluster keeps its master, its acknowledged data and its
// voters, and that the node counts what it refused.
import { createSocket, type Socket } from 'node:dgram';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscoveryLimits } from '../../node-core/src/discovery.js';
import { Codec } from '../../node-core/src/protocol/codec.js';
import { FrameDecoder, FrameKind, encodeFrame } from '../../node-core/src/transport/framing.js';
import { TestCluster, api, waitFor, threeNodes } from './cluster-helpers.js';

const KEY = 'hostile-peers test key 0123456789';
const TOKENS = { adminToken: 'admin-token-123456', userToken: 'user-token-1234567' };


/** a stranger's UDP socket on its own loopback address */
async function stranger(ip = '127.0.0.66'): Promise<Socket> {
  const s = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((r) => s.bind(0, ip, () => r()));
  s.setBroadcast(true);
  return s;
}

function send(s: Socket, port: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => s.send(data, port, '127.255.255.255', (err) => (err ? reject(err) : resolve())));
}

function envelope(nodeId: string, term: number) {
  return { v: 1, clusterId: 'test', nodeId, term, ts: Date.now() };
}

function info(nodeId: string, ip: string, peerPort: number) {
  return { nodeId, nodeIP: ip, peerPort, apiPort: 1, headless: true, failoverOrder: 0, cpuLoad: 0, version: '0.1.0' };
}

/** one framed request over a fresh TCP connection; resolves with the decoded answer (or null) */
function tcpRequest(port: number, payload: Buffer, localAddress = '127.0.0.66'): Promise<unknown> {
  return new Promise((resolve) => {
    const sock: TcpSocket = connect({ port, host: '127.0.0.1', localAddress });
    const dec = new FrameDecoder(32 * 1024 * 1024, {
      frame: (f) => {
        sock.destroy();
        try {
          resolve(JSON.parse(f.payload.toString('utf8').replace(/,"mac":"[0-9a-f]{64}"\}$/, '}')));
        } catch {
          resolve(null);
        }
      },
      error: () => resolve(null),
    });
    sock.on('data', (c: Buffer) => dec.push(c));
    sock.on('error', () => resolve(null));
    sock.on('close', () => resolve(null));
    sock.on('connect', () => sock.write(encodeFrame(1, FrameKind.Request, payload)));
  });
}

describe('hostile peers on loopback (issue 9)', () => {
  const clusters: TestCluster[] = [];
  const closers: Array<() => void> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) c();
    await Promise.all(clusters.splice(0).map((c) => c.close()));
  });

  it('a stranger\'s Heartbeat with term 2^53-1, or a huge but valid term, moves no node\'s term; the cluster still commits (open cluster: no MAC to stop it)', async () => {
    const c = await threeNodes({ openCluster: true });
    clusters.push(c);
    const m = c.master()!;
    const terms = c.nodes.map((n) => n.node.raft.term);
    const s = await stranger();
    closers.push(() => s.close());
    for (const term of [2 ** 53 - 1, 2 ** 48, 2 ** 40]) {
      const hb = { ...envelope('mallory', term), type: 'Heartbeat', master: info('mallory', '127.0.0.66', 9), commitIndex: 1e6, lastIndex: 1e6, incarnation: m.node.raft.config!.incarnation, clusterView: [] };
      await send(s, c.discoveryPort, Buffer.from(JSON.stringify(hb)));
    }
    await waitFor('the term bombs were seen and refused', () => c.nodes.every((n) => (n.node.health().dropped.bad_shape ?? 0) > 0 && (n.node.health().dropped.master_not_voter ?? 0) > 0));
    expect(c.nodes.map((n) => n.node.raft.term)).toEqual(terms);
    const r = await api(m.api, 'POST', '/api/servers', { host: 'after-bomb' });
    expect(r.status).toBe(201);
  });

  it('a JoinRequest claiming the master\'s id from another address cannot redirect followers to a doctored snapshot (open cluster)', async () => {
    const c = await threeNodes({ openCluster: true });
    clusters.push(c);
    const m = c.master()!;
    expect((await api(m.api, 'POST', '/api/servers', { host: 'web-1' })).status).toBe(201);
    expect((await api(m.api, 'POST', '/api/servers/web-1/reserve', { user: 'alice', durationSec: 3600 })).status).toBe(200);
    // the fake master: answers every FetchState with a doctored snapshot (commit 1,000,000, a hold by mallory)
    let fetches = 0;
    const fake: Server = createServer((sock) => {
      const dec = new FrameDecoder(1024 * 1024, {
        frame: (f) => {
          fetches++;
          const snap = { index: 1_000_000, term: m.node.raft.term, config: m.node.raft.config, board: { version: 1, servers: [], history: [], users: [], clusterNodes: [], applied: [], lastUpdate: 0 } };
          const su = { ...envelope(m.name, m.node.raft.term), type: 'StateUpdate', ok: true, leaderId: m.name, entries: [], commitIndex: 1_000_000, snapshot: snap };
          sock.write(encodeFrame(f.id, FrameKind.Response, Buffer.from(JSON.stringify(su))));
        },
        error: () => sock.destroy(),
      });
      sock.on('data', (d) => dec.push(d));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.66', () => r()));
    closers.push(() => fake.close());
    const fakePort = (fake.address() as { port: number }).port;
    const s = await stranger();
    closers.push(() => s.close());
    for (let i = 0; i < 20; i++) {
      const jr = { ...envelope(m.name, m.node.raft.term), type: 'JoinRequest', node: info(m.name, '127.0.0.66', fakePort), lastIndex: 0, lastTerm: 0, fresh: false };
      await send(s, c.discoveryPort, Buffer.from(JSON.stringify(jr)));
    }
    const followers = c.nodes.filter((n) => n !== m);
    await waitFor('the forged claims were refused', () => followers.every((n) => (n.node.health().dropped.address_conflict ?? 0) > 0));
    // the followers keep fetching from the real master: a new write reaches them
    expect((await api(m.api, 'POST', '/api/servers', { host: 'web-2' })).status).toBe(201);
    await waitFor('web-2 replicated', () => followers.every((n) => n.node.server('web-2')));
    expect(fetches).toBe(0);
    for (const f of followers) {
      expect(f.node.server('web-1')?.holder).toBe('alice');
      expect(f.node.raft.commitIndex).toBeLessThan(1_000_000);
    }
  });

  it('with the key, an impostor cannot take over a live member\'s id; a member that really moved is followed at its new address', async () => {
    const c = await threeNodes({ clusterKey: KEY });
    clusters.push(c);
    const m = c.master()!;
    const followers = c.nodes.filter((n) => n !== m);
    const codec = new Codec({ clusterId: 'test', key: KEY });
    const s = await stranger();
    closers.push(() => s.close());
    const realPort = m.node.peerPort;
    for (let i = 0; i < 10; i++) {
      const jr = { ...envelope(m.name, m.node.raft.term), type: 'JoinRequest', node: info(m.name, '127.0.0.66', 9), lastIndex: 0, lastTerm: 0, fresh: false };
      await send(s, c.discoveryPort, codec.encode(jr as never));
    }
    await waitFor('the impostor\'s claims were refused', () => followers.every((n) => (n.node.health().dropped.address_conflict ?? 0) > 0));
    for (const f of followers) expect(f.node.discovery.addressOf(m.name)).toEqual({ ip: '127.0.0.1', port: realPort });
    expect((await api(m.api, 'POST', '/api/servers', { host: 'still-here' })).status).toBe(201);
    await waitFor('replicated from the real master', () => followers.every((n) => n.node.server('still-here')));
    // a member whose old address is dead (a restart on another port) is followed at its new one
    const f = followers[0]!;
    const dir = f.dataDir;
    await c.crash(f.name);
    const back = await c.add(f.name, {}, dir);
    await waitFor('the master follows the member at its new port', () => m.node.discovery.addressOf(f.name)?.port === back.node.peerPort, 10_000);
    expect((await api(m.api, 'POST', '/api/servers', { host: 'after-move' })).status).toBe(201);
    await waitFor('the moved member replicates', () => back.node.server('after-move') !== undefined, 10_000);
  });

  it('with a key, unsigned packets are dropped and a forged ForwardRequest without a token proof changes nothing', async () => {
    const c = await threeNodes({ clusterKey: KEY, ...TOKENS });
    clusters.push(c);
    const m = c.master()!;
    const auth = { authorization: `Bearer ${TOKENS.adminToken}` };
    expect((await api(m.api, 'POST', '/api/servers', { host: 'db-1' }, auth)).status).toBe(201);
    expect((await api(m.api, 'POST', '/api/servers/db-1/reserve', { user: 'alice', durationSec: 3600 }, auth)).status).toBe(200);
    const meta = { user: 'mallory', nodeId: 'n2', nodeIP: '127.0.0.1', reqId: 'forged-1' };
    const wipe = { type: 'servers-import', servers: [], replace: true };
    // a stranger without the key: not even an answer it can read
    const plain = await tcpRequest(m.node.peerPort, Buffer.from(JSON.stringify({ ...envelope('n2', m.node.raft.term), type: 'ForwardRequest', cmd: wipe, meta })));
    expect(plain).toMatchObject({ type: 'ErrorResponse' });
    // a member holding the key but no admin token: refused by the master's token check
    const member = new Codec({ clusterId: 'test', key: KEY });
    for (const cmd of [wipe, { type: 'release', host: 'db-1', user: 'mallory', force: true }, { type: 'maintenance', host: 'db-1', on: true }, { type: 'server-add', server: { host: 'evil' } }]) {
      const answer = (await tcpRequest(m.node.peerPort, member.encode({ ...envelope('n2', m.node.raft.term), type: 'ForwardRequest', cmd, meta: { ...meta, reqId: `forged-${cmd.type}` } } as never), '127.0.0.1')) as { result?: { ok: boolean; error?: { code: string } } };
      expect(answer.result).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    }
    expect(m.node.server('db-1')).toMatchObject({ holder: 'alice', maintenance: false });
    expect(m.node.server('evil')).toBeUndefined();
    // while a real follower's forwarded admin write (with its token proof) still works
    const f = c.nodes.find((n) => n !== m)!;
    expect((await api(f.api, 'POST', '/api/servers', { host: 'db-2' }, auth)).status).toBe(201);
    // what was refused is counted, and the transport's figures are on /metrics
    const metrics = await fetch(`${m.api}/metrics`, { headers: auth }).then((r) => r.text());
    expect(metrics).toMatch(/peerboard_dropped_messages_total\{reason="missing_mac"\} [1-9]/);
    expect(metrics).toMatch(/peerboard_transport\{what="inbound"\} \d+/);
  });

  it('a forwarded control command that fails its schema is refused as BAD_REQUEST and changes no voter (issue 11)', async () => {
    const c = await threeNodes({ clusterKey: KEY });
    clusters.push(c);
    const m = c.master()!;
    const voters = m.node.raft.config!.voters.map((v) => v.nodeId).sort();
    const member = new Codec({ clusterId: 'test', key: KEY });
    const meta = { user: 'admin', nodeId: 'n2', nodeIP: '127.0.0.1', reqId: 'bad-control' };
    const bad = [
      { type: 'promote', target: 42 },
      { type: 'promote' },
      { type: 'add-voter', nodeId: 'n9', by: 'admin', extra: true },
      { type: 'remove-voter', nodeId: '', by: 'admin' },
      { type: 'remove-voter', nodeId: 'n3', by: 'x'.repeat(129) },
    ];
    for (const [i, cmd] of bad.entries()) {
      const answer = (await tcpRequest(m.node.peerPort, member.encode({ ...envelope('n2', m.node.raft.term), type: 'ForwardRequest', cmd, meta: { ...meta, reqId: `bad-control-${i}` } } as never), '127.0.0.1')) as {
        result?: { ok: boolean; error?: { code: string; message: string } };
      };
      expect(answer.result).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(new RegExp(`^invalid ${cmd.type} command: `)) } });
    }
    expect(m.node.raft.config!.voters.map((v) => v.nodeId).sort()).toEqual(voters);
    expect(c.master()).toBe(m);
  });

  it('a replayed ForceMaster (old term, or the same message again) does nothing', async () => {
    const c = await threeNodes({ clusterKey: KEY });
    clusters.push(c);
    const m = c.master()!;
    const target = c.nodes.find((n) => n !== m)!;
    const other = c.nodes.find((n) => n !== m && n !== target)!;
    const codec = new Codec({ clusterId: 'test', key: KEY });
    const s = await stranger('127.0.0.1');
    closers.push(() => s.close());
    const stale = codec.encode({ ...envelope('admin-tool', m.node.raft.term - 1), type: 'ForceMaster', targetNodeId: target.name, by: 'replayer' } as never);
    await send(s, c.discoveryPort, stale);
    await waitFor('the old-term ForceMaster counted as a replay', () => (m.node.health().dropped.replay ?? 0) > 0);
    expect(m.node.raft.role).toBe('master');
    // a fresh one works once...
    const fresh = codec.encode({ ...envelope('admin-tool', m.node.raft.term), type: 'ForceMaster', targetNodeId: target.name, by: 'admin' } as never);
    await send(s, c.discoveryPort, fresh);
    await waitFor('target is master', () => c.master() === target, 8000);
    // ...and the same bytes replayed later (now of an old term) are ignored by the new master
    await send(s, c.discoveryPort, fresh);
    const replayed = codec.encode({ ...envelope('admin-tool', target.node.raft.term - 1), type: 'ForceMaster', targetNodeId: other.name, by: 'replayer' } as never);
    await send(s, c.discoveryPort, replayed);
    await waitFor('replays counted on the new master', () => (target.node.health().dropped.replay ?? 0) >= 1);
    expect(c.master()).toBe(target);
  });

  it('fake FetchState streams from an address that serves no node never become voters', async () => {
    const c = await TestCluster.create({ maxVoters: 5, openCluster: true });
    clusters.push(c);
    await Promise.all(['v1', 'v2', 'v3'].map((n) => c.add(n)));
    const m = await c.settled();
    await c.voters(3);
    // two fakes fetch persistently and catch up, from a port nobody listens on
    let stop = false;
    const fakeLoop = async (id: string) => {
      for (let i = 0; i < 400 && !stop; i++) {
        const last = m.node.deps.store.lastIndex();
        const fs = { ...envelope(id, m.node.raft.term), type: 'FetchState', node: info(id, '127.0.0.1', 1), lastIndex: last, lastTerm: m.node.deps.store.termAt(last) ?? 0, maxWaitMs: 0, commitIndex: m.node.raft.commitIndex };
        await tcpRequest(m.node.peerPort, Buffer.from(JSON.stringify(fs)), '127.0.0.1');
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const loops = [fakeLoop('fake-a'), fakeLoop('fake-b')];
    // a real fourth and fifth node do become voters in the same time
    await Promise.all([c.add('v4'), c.add('v5')]);
    await waitFor('the real nodes became voters', () => m.node.raft.config?.voters.length === 5 && !m.node.raft.configChangePending(), 20_000);
    stop = true;
    await Promise.all(loops);
    expect(m.node.raft.config?.voters.map((v) => v.nodeId).sort()).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    expect(m.node.health().dropped.voter_probe_failed ?? 0).toBeGreaterThan(0);
  });

  it('a JoinRequest flood with random ids keeps the address book bounded and the answers rate-limited (open cluster)', async () => {
    const c = await threeNodes({ openCluster: true });
    clusters.push(c);
    const m = c.master()!;
    const s = await stranger('127.0.0.1');
    closers.push(() => s.close());
    let answers = 0;
    const listener = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((r) => listener.bind(c.discoveryPort, '127.255.255.255', () => r()));
    closers.push(() => listener.close());
    listener.on('message', (d) => {
      if (d.includes('"JoinResponse"')) answers++;
    });
    const started = Date.now();
    const N = 3000;
    for (let i = 0; i < N; i++) {
      const id = `flood-${i}-${Math.random().toString(36).slice(2)}`;
      await send(s, c.discoveryPort, Buffer.from(JSON.stringify({ ...envelope(id, 0), type: 'JoinRequest', node: info(id, '127.0.0.1', 2), lastIndex: 0, lastTerm: 0, fresh: true })));
    }
    const seconds = (Date.now() - started) / 1000;
    await waitFor('the flood was rate-limited', () => (m.node.health().dropped.join_response_rate ?? 0) > 0);
    expect(m.node.discovery.knownCount()).toBeLessThanOrEqual(DiscoveryLimits.maxStrangers + 3);
    expect(m.node.health().peers).toBeLessThanOrEqual(DiscoveryLimits.maxStrangers + 3);
    expect(answers).toBeLessThanOrEqual(10 + Math.ceil(seconds + 1) * 5);
    expect(m.node.raft.config?.voters.length).toBe(3);
    expect((await api(m.api, 'POST', '/api/servers', { host: 'after-flood' })).status).toBe(201);
  });
});

describe('graceful leave (issue 9 small fixes)', () => {
  it('a follower stopped gracefully sends a LeaveNotification that a listener on the LAN receives', async () => {
    const c = await TestCluster.create();
    try {
      await Promise.all(['l1', 'l2', 'l3'].map((n) => c.add(n)));
      const m = await c.settled();
      const f = c.nodes.find((n) => n !== m)!;
      const leaves: string[] = [];
      const listener = createSocket({ type: 'udp4', reuseAddr: true });
      await new Promise<void>((r) => listener.bind(c.discoveryPort, '127.255.255.255', () => r()));
      listener.on('message', (d) => {
        if (d.includes('"LeaveNotification"')) leaves.push(d.toString());
      });
      try {
        await c.stop(f.name);
        await waitFor('the LeaveNotification arrived', () => leaves.some((l) => l.includes(`"nodeId":"${f.name}"`)), 3000);
      } finally {
        listener.close();
      }
    } finally {
      await c.close();
    }
  });
});
