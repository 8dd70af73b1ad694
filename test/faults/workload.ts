// The concurrent client workload: one sequential client per user, each bound to a home node, issuing
// reserve / release / extend / read on a few hosts and recording every operation for the checker.
// Writes carry an idempotency key; an unknown outcome is retried with the same key on other nodes.
import type { Cluster, NodeProc } from './cluster.js';
import { Outcome, type OpKind, type OpRecord, type ReadView } from './history.js';

const CLIENT_TIMEOUT_MS = 6000;
const MAX_ATTEMPTS = 4;
const RETRY_BACKOFF_MS = 250;
const DURATIONS_SEC = [2, 4, 8, 20, 60, 600];
/** error codes the board's state machine answers with: the command was applied and refused */
const BOARD_REFUSALS = new Set(['CONFLICT', 'FORBIDDEN', 'NOT_FOUND']);

type Attempt =
  | { kind: 'response'; status: number; body: unknown }
  | { kind: 'refused' } // the connection was refused: this attempt reached nobody
  | { kind: 'lost'; error: string }; // timeout, reset...: the node may have acted on it

export interface WorkloadOptions {
  cluster: Cluster;
  hosts: string[];
  clients: number;
  random: () => number;
  /** Date.now() when clients stop starting operations */
  until: number;
  thinkMs: [number, number];
}

export class Workload {
  readonly ops: OpRecord[] = [];
  private nextId = 1;
  private stopped = false;

  constructor(private readonly o: WorkloadOptions) {}

  stop(): void {
    this.stopped = true;
  }

  /** runs every client until `until` (or stop()); resolves when all in-flight operations ended */
  async run(): Promise<void> {
    const clients = Array.from({ length: this.o.clients }, (_, i) => this.client(i));
    await Promise.all(clients);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.o.random() * xs.length)]!;
  }

  private async client(i: number): Promise<void> {
    const { cluster } = this.o;
    const name = `c${i + 1}`;
    const user = `u${i + 1}`;
    const home = cluster.nodes[i % cluster.nodes.length]!;
    const believed = new Set<string>();
    let seq = 0;
    for (let n = 0; n < 1_000_000 && !this.stopped && Date.now() < this.o.until; n++) {
      const r = this.o.random();
      const own = [...believed];
      const host = own.length > 0 && r >= 0.35 && this.o.random() < 0.8 ? this.pick(own) : this.pick(this.o.hosts);
      let rec: OpRecord;
      if (r < 0.25) rec = await this.read(name, user, home, host);
      else if (r < 0.6) rec = await this.write(name, user, home, 'reserve', host, { user, durationSec: this.pick(DURATIONS_SEC) }, `${name}-${++seq}`);
      else if (r < 0.82) rec = await this.write(name, user, home, 'release', host, { user }, `${name}-${++seq}`);
      else rec = await this.write(name, user, home, 'extend', host, { user, durationSec: this.pick(DURATIONS_SEC) }, `${name}-${++seq}`);
      if (rec.op === 'reserve' && rec.outcome === Outcome.ok) believed.add(host);
      if (rec.op === 'release' && rec.outcome !== Outcome.unknown) believed.delete(host);
      const [lo, hi] = this.o.thinkMs;
      await sleep(lo + Math.floor(this.o.random() * (hi - lo)));
    }
  }

  private async attempt(n: NodeProc, path: string, body: unknown): Promise<Attempt> {
    try {
      const res = await fetch(this.o.cluster.url(n, path), {
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* keep the text */
      }
      return { kind: 'response', status: res.status, body: parsed };
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (code === 'ECONNREFUSED') return { kind: 'refused' };
      return { kind: 'lost', error: code ?? (err as Error).name ?? String(err) };
    }
  }

  private async read(client: string, user: string, n: NodeProc, host: string): Promise<OpRecord> {
    const gen = n.gen;
    const invokeTime = Date.now();
    const a = await this.attempt(n, '/api/state', undefined);
    const rec: OpRecord = { id: this.nextId++, client, node: n.id, op: 'read', host, user, invokeTime, completeTime: Date.now(), outcome: Outcome.fail, attempts: 1 };
    if (a.kind === 'response' && a.status === 200 && gen === n.gen) {
      const s = a.body as { commitIndex: number; appliedIndex: number; self: { term: number }; serversData: { serversList: Array<{ host: string; holder: string | null; until: number | null }> } };
      const holders: ReadView['holders'] = {};
      for (const sv of s.serversData.serversList) holders[sv.host] = { holder: sv.holder, until: sv.until };
      rec.outcome = Outcome.ok;
      rec.read = { nodeGen: gen, term: s.self.term, commitIndex: s.commitIndex, appliedIndex: s.appliedIndex, holders };
    } else if (a.kind === 'response') {
      rec.status = a.status;
    }
    this.ops.push(rec);
    return rec;
  }

  private async write(client: string, user: string, home: NodeProc, op: Exclude<OpKind, 'read'>, host: string, body: Record<string, unknown>, key: string): Promise<OpRecord> {
    const nodes = this.o.cluster.nodes;
    const path = `/api/servers/${encodeURIComponent(host)}/${op}`;
    const rec: OpRecord = { id: this.nextId++, client, node: home.id, op, host, user, key, invokeTime: Date.now(), completeTime: 0, outcome: Outcome.fail, attempts: 0 };
    let delivered = false; // some attempt may have reached a node
    let outcome: Outcome | null = null;
    for (let k = 0; k < MAX_ATTEMPTS && outcome === null; k++) {
      if (k > 0) await sleep(RETRY_BACKOFF_MS * k);
      const n = nodes[(home.index - 1 + k) % nodes.length]!;
      rec.attempts++;
      const a = await this.attempt(n, path, { ...body, idempotencyKey: key });
      if (a.kind === 'refused') continue;
      if (a.kind === 'lost') {
        delivered = true;
        rec.response = { error: a.error, node: n.id };
        continue;
      }
      const b = a.body as { code?: string; server?: { until?: number | null } } | null;
      rec.status = a.status;
      rec.response = a.body;
      const code = b && typeof b === 'object' && typeof b.code === 'string' ? b.code : undefined;
      if (code === undefined) delete rec.code;
      else rec.code = code;
      if (a.status >= 200 && a.status < 300) {
        outcome = Outcome.ok;
        rec.until = b?.server?.until ?? null;
      } else if (a.status >= 400 && a.status < 500) {
        // A board refusal is the remembered result of this key: final. NOT_LEADER may follow an
        // internal forward that reached the old master, so it is retried like a 5xx. Any other client
        // error on a retry (e.g. validation) says nothing about an earlier attempt.
        if (code === 'NOT_LEADER') delivered = true;
        else if (!delivered || (code !== undefined && BOARD_REFUSALS.has(code))) outcome = Outcome.fail;
        else outcome = Outcome.unknown;
      } else {
        delivered = true; // 503/504: the command may have been proposed
      }
    }
    rec.outcome = outcome ?? (delivered ? Outcome.unknown : Outcome.fail);
    rec.completeTime = Date.now();
    this.ops.push(rec);
    return rec;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
