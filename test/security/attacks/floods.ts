// Peer-port floods: pipelined FetchState on a connection that never reads, tiny unauthenticated
// frames, connections that stop one byte short of a 1 MiB frame, and fake FetchState streams from
// made-up node ids (with the key) that try to become voters.
import type { Socket } from 'node:net';
import { FrameKind, encodeFrame } from '../../../node-core/src/transport/framing.js';
import { type Outcome, PeerClient, type Target, decodeAny, encodeAs, envelope, ipOf, nodeInfo, outcome, sleep, sniffHeartbeat, tcpConnect } from './wire.js';

async function masterIp(t: Target): Promise<{ id: string; ip: string; term: number }> {
  const seen = await sniffHeartbeat(t);
  const id = seen?.master.nodeId ?? t.nodes[0]!.id;
  return { id, ip: ipOf(t, id) ?? t.nodes[0]!.ip, term: seen?.term ?? 0 };
}

/** writes without waiting for 'drain' would only grow our own buffer: wait when the kernel pushes back, bounded */
async function writeBounded(sock: Socket, data: Buffer, deadline: number): Promise<boolean> {
  if (sock.write(data)) return true;
  while (Date.now() < deadline && sock.writableNeedDrain && !sock.destroyed) await sleep(5);
  return !sock.destroyed && Date.now() < deadline;
}

/** `n` FetchState (signed, from a made-up id, lastIndex 0) pipelined on one connection that is never read. */
export async function fetchPipelined(t: Target, p: { n: number; holdMs: number; maxMs: number }): Promise<Outcome> {
  const o = outcome();
  const m = await masterIp(t);
  const sock = await tcpConnect(m.ip, t.ports.peer);
  sock.on('error', () => undefined);
  sock.pause(); // never read: every answer stays on the node's side of the connection
  const deadline = Date.now() + p.maxMs;
  const payload = encodeAs(t, 'member', { ...envelope(t, 'pipe-ghost', m.term), type: 'FetchState', node: nodeInfo('pipe-ghost', t.attackerIp, 9), lastIndex: 0, lastTerm: 0, maxWaitMs: 0, commitIndex: 0 });
  for (let i = 0; i < p.n; i++) {
    if (!(await writeBounded(sock, encodeFrame(i + 1, FrameKind.Request, payload), deadline))) {
      o.notes.push(`the node stopped reading after ${i} requests (backpressure or closed)`);
      break;
    }
    o.sent++;
  }
  await sleep(p.holdMs);
  o.notes.push(sock.destroyed ? 'the node closed the connection' : 'the connection was still open at the end');
  sock.destroy();
  return o;
}

/** `n` 11-byte frames ({} with no MAC) spread over `conns` connections that are never read. */
export async function smallFrames(t: Target, p: { n: number; conns: number; holdMs: number; maxMs: number }): Promise<Outcome> {
  const o = outcome();
  const m = await masterIp(t);
  const deadline = Date.now() + p.maxMs;
  const socks: Socket[] = [];
  let closedEarly = 0;
  for (let c = 0; c < p.conns; c++) {
    const sock = await tcpConnect(m.ip, t.ports.peer).catch(() => null);
    if (!sock) continue;
    sock.on('error', () => undefined);
    sock.pause();
    socks.push(sock);
    const per = Math.ceil(p.n / p.conns);
    const batch: Buffer[] = [];
    for (let i = 0; i < per && o.sent < p.n; i++) {
      batch.push(encodeFrame(c * per + i + 1, FrameKind.Request, Buffer.from('{}')));
      o.sent++;
      if (batch.length === 1000) {
        if (!(await writeBounded(sock, Buffer.concat(batch.splice(0)), deadline))) break;
      }
    }
    if (batch.length) await writeBounded(sock, Buffer.concat(batch), deadline);
    if (Date.now() > deadline) break;
  }
  await sleep(p.holdMs);
  for (const s of socks) {
    if (s.destroyed) closedEarly++;
    s.destroy();
  }
  o.notes.push(`${closedEarly}/${socks.length} connections closed by the node`);
  return o;
}

/** `conns` connections, each sending the header of a 1 MiB request and all its bytes but the last. */
export async function bigFrames(t: Target, p: { conns: number; holdMs: number; maxMs: number }): Promise<Outcome> {
  const o = outcome();
  const m = await masterIp(t);
  const deadline = Date.now() + p.maxMs;
  const socks: Socket[] = [];
  const payloadBytes = 1024 * 1024;
  const header = Buffer.alloc(9);
  header.writeUInt32BE(payloadBytes + 5, 0);
  header.writeUInt32BE(1, 4);
  header.writeUInt8(FrameKind.Request, 8);
  const body = Buffer.alloc(payloadBytes - 1, 0x7b);
  let refused = 0;
  for (let c = 0; c < p.conns && Date.now() < deadline; c++) {
    const sock = await tcpConnect(m.ip, t.ports.peer).catch(() => null);
    if (!sock) {
      refused++;
      continue;
    }
    sock.on('error', () => undefined);
    socks.push(sock);
    await writeBounded(sock, Buffer.concat([header, body]), deadline);
    o.sent++;
  }
  await sleep(p.holdMs);
  let closed = 0;
  for (const s of socks) {
    if (s.destroyed || s.readableEnded) closed++;
    s.destroy();
  }
  o.notes.push(`${closed}/${socks.length} unfinished frames closed by the node within ${p.holdMs} ms; ${refused} connects refused`);
  return o;
}

/** Two made-up ids with the key stream FetchState like real followers, trying to become voters. */
export async function fakeVoters(t: Target, p: { ids: string[]; durationMs: number }): Promise<Outcome> {
  const o = outcome();
  const deadline = Date.now() + p.durationMs;
  const m = await masterIp(t);
  await Promise.all(
    p.ids.map(async (id, k) => {
      let leader = m.id;
      let term = m.term;
      let lastIndex = 0;
      let lastTerm = 0;
      let commitIndex = 0;
      let client: PeerClient | null = null;
      while (Date.now() < deadline) {
        if (!client) client = await PeerClient.open(ipOf(t, leader) ?? m.ip, t.ports.peer).catch(() => null);
        if (!client) {
          await sleep(200);
          continue;
        }
        const req = encodeAs(t, 'member', { ...envelope(t, id, term), type: 'FetchState', node: nodeInfo(id, t.attackerIp, 9000 + k), lastIndex, lastTerm, maxWaitMs: 200, commitIndex });
        const raw = await client.request(req, 2000);
        o.sent++;
        const r = raw ? decodeAny(t, raw) : null;
        if (!r) {
          client.close();
          client = null;
          await sleep(100);
          continue;
        }
        if (r.type === 'StateUpdate') {
          term = Math.max(term, r.term as number);
          if (r.ok !== true && typeof r.leaderId === 'string' && r.leaderId !== leader) {
            leader = r.leaderId;
            client.close();
            client = null;
            continue;
          }
          const entries = (r.entries as Array<{ index: number; term: number }>) ?? [];
          const snap = r.snapshot as { index: number; term: number } | undefined;
          const div = r.diverging as { index: number; term: number } | undefined;
          if (div) [lastIndex, lastTerm] = [div.index, div.term];
          if (snap) [lastIndex, lastTerm] = [snap.index, snap.term];
          const last = entries[entries.length - 1];
          if (last) [lastIndex, lastTerm] = [last.index, last.term];
          commitIndex = Math.max(commitIndex, r.commitIndex as number);
        } else {
          await sleep(100);
        }
      }
      client?.close();
    }),
  );
  return o;
}
