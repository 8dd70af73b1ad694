// The attacker's wire kit: messages built with node-core's own codec (signed with the key for a
// member, plain for a stranger, or with a bogus MAC), UDP sends, TCP peer frames, a peer client that
// waits for answers, and a sniffer that reads the cluster's broadcast Heartbeats (plain JSON + MAC).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { Codec } from '../../../node-core/src/protocol/codec.js';
import type { Message } from '../../../node-core/src/protocol/messages.js';
import { FrameDecoder, FrameKind, encodeFrame } from '../../../node-core/src/transport/framing.js';

export interface Target {
  clusterId: string;
  clusterKey: string;
  nodes: Array<{ id: string; ip: string }>;
  ports: { api: number; ui: number; discovery: number; peer: number };
  tokens: { user: string };
  attackerIp: string;
  long: boolean;
}

/** Who the attacker is: a stranger (no key), a stranger faking a MAC, or a member holding the key. */
export type Actor = 'stranger' | 'bogus-mac' | 'member';

export function encodeAs(t: Target, actor: Actor, msg: Record<string, unknown>): Buffer {
  if (actor === 'member') return new Codec({ clusterId: t.clusterId, key: t.clusterKey }).encode(msg as Message);
  const json = JSON.stringify(msg);
  if (actor === 'stranger') return Buffer.from(json, 'utf8');
  return Buffer.from(`${json.slice(0, -1)},"mac":"${'ab'.repeat(32)}"}`, 'utf8');
}

export function decodeAny(t: Target, data: Buffer): Record<string, unknown> | null {
  const d = new Codec({ clusterId: t.clusterId, key: t.clusterKey }).decode(data, 64 * 1024 * 1024);
  return d.ok ? (d.msg as unknown as Record<string, unknown>) : null;
}

export function envelope(t: Target, nodeId: string, term: number): { v: number; clusterId: string; nodeId: string; term: number; ts: number } {
  return { v: 1, clusterId: t.clusterId, nodeId, term, ts: Date.now() };
}

export function nodeInfo(nodeId: string, ip: string, peerPort: number, apiPort = 8777): Record<string, unknown> {
  return { nodeId, nodeIP: ip, peerPort, apiPort, headless: true, failoverOrder: 0, cpuLoad: 0, version: '0.1.0' };
}

export function udpSocket(): Promise<UdpSocket> {
  return new Promise((res, rej) => {
    const s = createSocket('udp4');
    s.once('error', rej);
    s.bind(0, () => res(s));
  });
}

export function udpSend(s: UdpSocket, data: Buffer, ip: string, port: number): Promise<void> {
  return new Promise((res) => s.send(data, port, ip, () => res()));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function tcpConnect(ip: string, port: number, timeoutMs = 3000): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = connect({ host: ip, port });
    const t = setTimeout(() => {
      s.destroy();
      rej(new Error(`connect ${ip}:${port} timed out`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      res(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      rej(e);
    });
  });
}

export function requestFrame(id: number, payload: Buffer): Buffer {
  return encodeFrame(id, FrameKind.Request, payload);
}

/** One peer connection that sends request frames and resolves each with its decoded answer (or null). */
export class PeerClient {
  private next = 1;
  private waiting = new Map<number, (b: Buffer | null) => void>();
  private constructor(private readonly sock: Socket) {
    const dec = new FrameDecoder(64 * 1024 * 1024, {
      frame: (f) => {
        this.waiting.get(f.id)?.(f.payload);
        this.waiting.delete(f.id);
      },
      error: () => this.close(),
    });
    sock.on('data', (c) => dec.push(c));
    sock.on('close', () => {
      for (const w of this.waiting.values()) w(null);
      this.waiting.clear();
    });
    sock.on('error', () => undefined);
  }

  static async open(ip: string, port: number): Promise<PeerClient> {
    return new PeerClient(await tcpConnect(ip, port));
  }

  /** the node closed the connection (or it broke) */
  get closed(): boolean {
    return this.sock.destroyed || this.sock.readyState === 'closed';
  }

  request(payload: Buffer, timeoutMs = 3000): Promise<Buffer | null> {
    const id = this.next++;
    if (this.closed) return Promise.resolve(null);
    return new Promise((res) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        res(null);
      }, timeoutMs);
      this.waiting.set(id, (b) => {
        clearTimeout(t);
        res(b);
      });
      this.sock.write(requestFrame(id, payload));
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

export interface Sniffed {
  term: number;
  master: Record<string, unknown> & { nodeId: string; nodeIP: string };
  incarnation: string;
  commitIndex: number;
  voters: string[];
}

/**
 * Listens on the discovery port for the master's broadcast Heartbeat: the term, the master's info
 * and the incarnation travel in clear (the MAC only authenticates), so any host on the LAN reads them.
 */
export async function sniffHeartbeat(t: Target, timeoutMs = 5000): Promise<Sniffed | null> {
  const s = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((r) => s.bind(t.ports.discovery, '0.0.0.0', () => r()));
  try {
    return await new Promise<Sniffed | null>((res) => {
      const timer = setTimeout(() => res(null), timeoutMs);
      s.on('message', (data) => {
        const text = data.toString('utf8').replace(/,"mac":"[0-9a-f]{64}"\}$/, '}');
        let m: Record<string, unknown>;
        try {
          m = JSON.parse(text) as Record<string, unknown>;
        } catch {
          return;
        }
        if (m.type !== 'Heartbeat') return;
        clearTimeout(timer);
        const view = (m.clusterView as Array<{ nodeId: string; voter: boolean }>) ?? [];
        res({ term: m.term as number, master: m.master as Sniffed['master'], incarnation: m.incarnation as string, commitIndex: m.commitIndex as number, voters: view.filter((v) => v.voter).map((v) => v.nodeId) });
      });
    });
  } finally {
    s.close();
  }
}

/** A raw HTTP/1.1 request (fetch would normalise `/../` away); resolves with the status line's code. */
export function rawHttp(ip: string, port: number, requestText: string, timeoutMs = 3000): Promise<{ status: number; body: string } | null> {
  return new Promise((res) => {
    const s = connect({ host: ip, port });
    let buf = '';
    const done = (v: { status: number; body: string } | null): void => {
      clearTimeout(t);
      s.destroy();
      res(v);
    };
    const t = setTimeout(() => done(parse()), timeoutMs);
    const parse = (): { status: number; body: string } | null => {
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf);
      return m ? { status: Number(m[1]), body: buf.slice(buf.indexOf('\r\n\r\n') + 4) } : null;
    };
    s.on('connect', () => s.write(requestText));
    s.on('data', (c) => {
      buf += c.toString('utf8');
    });
    s.on('end', () => done(parse()));
    s.on('error', () => done(parse()));
  });
}

/** What one attack step reports back: inputs sent, what it saw succeed (breaches), and notes. */
export interface Outcome {
  sent: number;
  breaches: string[];
  notes: string[];
  data?: Record<string, unknown>;
}

export function outcome(): Outcome {
  return { sent: 0, breaches: [], notes: [] };
}

export function ipOf(t: Target, nodeId: string): string | null {
  return t.nodes.find((n) => n.id === nodeId)?.ip ?? null;
}
