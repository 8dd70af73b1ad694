// The monitoring benchmark's targets and webhook receiver, on loopback: one HTTP server answering
// /t/<n> (200 "ok", or 503 while n is flipped down), a few TCP listeners, and a receiver that stamps
// each webhook's arrival. Plus /proc readers for a process's CPU time and resident memory.
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createTcp, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';

export interface Arrival {
  at: number;
  id: string;
  checkId: number;
  previous: string;
  verdict: string;
  locations: Array<{ status: string; lastChecked: string; responseTime: number; voting?: boolean }>;
}

/** at most this many webhook arrivals are kept (a bounded benchmark) */
const MAX_ARRIVALS = 100_000;

export class MonitorFarm {
  readonly down = new Set<number>();
  readonly arrivals: Arrival[] = [];
  httpPort = 0;
  receiverPort = 0;
  tcpPorts: number[] = [];
  private http: Server | null = null;
  private receiver: Server | null = null;
  private tcp: TcpServer[] = [];
  requests = 0;
  private waiters: Array<(a: Arrival) => void> = [];

  async start(tcpListeners: number): Promise<void> {
    this.http = createHttp((req, res) => {
      this.requests++;
      const n = Number(/^\/t\/(\d+)/.exec(req.url ?? '')?.[1] ?? -1);
      const down = this.down.has(n);
      res.statusCode = down ? 503 : 200;
      res.end(down ? 'down' : 'ok');
    });
    this.http.keepAliveTimeout = 1000;
    this.httpPort = await listen(this.http);
    this.receiver = createHttp((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = Date.now();
        res.end('ok');
        try {
          const b = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Arrival, 'at' | 'id'>;
          const a: Arrival = { at, id: String(req.headers['x-peerboard-delivery'] ?? ''), checkId: b.checkId, previous: b.previous, verdict: b.verdict, locations: b.locations };
          if (this.arrivals.length < MAX_ARRIVALS) this.arrivals.push(a);
          for (const w of this.waiters.splice(0)) w(a);
        } catch {
          /* not a verdict change */
        }
      });
    });
    this.receiverPort = await listen(this.receiver);
    for (let i = 0; i < tcpListeners; i++) {
      const s = createTcp((c) => c.end());
      this.tcp.push(s);
      this.tcpPorts.push(await listen(s));
    }
  }

  /** resolves with the next arrival that `match` accepts, or null after timeoutMs */
  next(match: (a: Arrival) => boolean, timeoutMs: number): Promise<Arrival | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(null);
      }, timeoutMs);
      const waiter = (a: Arrival): void => {
        if (match(a)) {
          clearTimeout(timer);
          resolve(a);
        } else this.waiters.push(waiter);
      };
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    for (const s of [this.http, this.receiver, ...this.tcp]) {
      if (!s) continue;
      (s as Server).closeAllConnections?.();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }
}

function listen(s: Server | TcpServer): Promise<number> {
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
}

/** user + system CPU time of a process, in seconds (/proc/<pid>/stat; clock ticks of 1/100 s) */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after the command name: state is field 3, utime 14, stime 15 (1-based in proc(5))
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** resident memory of a process, MiB (/proc/<pid>/status VmRSS) */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/**
 * The deciding probe of a DOWN change: with v voting locations the verdict became DOWN when the
 * floor(v/2)+1-th location (by when its probe ended) turned DOWN. Returns that probe's end (ms) or null.
 */
export function decidingProbeEnd(a: Arrival): number | null {
  const voting = a.locations.filter((l) => l.voting !== false);
  const need = Math.floor(voting.length / 2) + 1;
  const ends = voting.filter((l) => l.status === 'DOWN').map((l) => Date.parse(l.lastChecked) + l.responseTime).sort((x, y) => x - y);
  return ends.length >= need ? ends[need - 1]! : null;
}
