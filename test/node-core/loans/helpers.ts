// Helpers of the loan wire tests: wait on a condition with a deadline (never a fixed sleep), and a raw
// line client over `net` (what a foreign, seed-only master or worker would be).
import { connect, type Socket } from 'node:net';
import type { CheckDef } from '../../../node-core/src/monitoring/types.js';

export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface RawClient {
  s: Socket;
  lines: string[];
  /** the received lines as JSON */
  json(): Array<Record<string, unknown>>;
  closed(): boolean;
  send(obj: unknown): void;
}

/** Connects to 127.0.0.1:port (from `localAddress` if given) and collects the lines it is sent. */
export async function rawClient(port: number, sockets: Socket[], localAddress?: string): Promise<RawClient> {
  const s = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
  sockets.push(s);
  const lines: string[] = [];
  let buf = '';
  let closed = false;
  s.on('data', (d) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  s.on('close', () => (closed = true));
  s.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('close', () => reject(new Error('closed before connecting')));
  });
  return {
    s,
    lines,
    json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    closed: () => closed,
    send: (obj) => void s.write(`${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n`),
  };
}

/** a valid check definition as the board holds it */
export function check(id: number, extra: Partial<CheckDef> = {}): CheckDef {
  return {
    id, name: `check ${id}`, type: 'http', target: `http://127.0.0.1:9/${id}`, intervalSec: 30, timeoutMs: 2000, retries: 0,
    server: null, enabled: true, createdAt: 1, updatedAt: 1, createdBy: 'admin', ...extra,
  };
}
