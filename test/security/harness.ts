// The campaign's harness side: the attacker agent process (in its namespace), arming the cluster with
// acknowledged holds, the baseline taken before an attack, RSS sampling, and the checks run after it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../faults/cluster.js';
import type { Outcome, Target } from './attacks/wire.js';
import type { SecCluster, SecNode } from './sec-cluster.js';
import { ATTACKER_NS } from './sec-lab.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const AGENT = fileURLToPath(new URL('./attacks/agent.ts', import.meta.url));
const MEMBERS = new Set(['n1', 'n2', 'n3']);
/** hosts the harness writes freely; they are left out of the unauthorised-write comparison */
export const SCRATCH = /^scratch-/;
export const ACK_HOSTS = ['ack-1', 'ack-2', 'ack-3', 'ack-4', 'ack-5', 'ack-6'];
const INVENTORY = [...ACK_HOSTS, 'other-1', 'other-2', 'scratch-cheap', 'scratch-http', 'scratch-bidi', 'scratch-replay', 'scratch-disk'];

/** The attacker process inside the attacker namespace, driven one JSON line at a time. */
export class Agent {
  private child: ChildProcess;
  private seq = 0;
  private waiting = new Map<number, (v: { outcome?: Outcome; error?: string }) => void>();
  private ready: Promise<void>;

  constructor(readonly target: Target, logFile: NodeJS.WritableStream) {
    this.child = spawn('ip', ['netns', 'exec', ATTACKER_NS, process.execPath, '--import', 'tsx', AGENT], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.pipe(logFile, { end: false });
    let markReady: () => void = () => undefined;
    const started = new Promise<void>((r) => (markReady = r));
    let t: NodeJS.Timeout | undefined;
    this.ready = Promise.race([started, new Promise<void>((r) => (t = setTimeout(r, 30_000)))]).finally(() => clearTimeout(t));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let m: { id?: number; ready?: boolean; outcome?: Outcome; error?: string };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        return;
      }
      if (m.ready) return markReady();
      if (m.id !== undefined) {
        this.waiting.get(m.id)?.(m);
        this.waiting.delete(m.id);
      }
    });
    this.child.on('exit', () => {
      for (const w of this.waiting.values()) w({ error: 'the attacker agent exited' });
      this.waiting.clear();
    });
  }

  async call(op: string, params: unknown, timeoutMs: number): Promise<Outcome> {
    await this.ready;
    const id = ++this.seq;
    const res = await new Promise<{ outcome?: Outcome; error?: string }>((r) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        r({ error: `${op} did not finish within ${timeoutMs} ms` });
      }, timeoutMs);
      this.waiting.set(id, (v) => {
        clearTimeout(t);
        r(v);
      });
      this.child.stdin!.write(`${JSON.stringify({ id, op, target: this.target, params })}\n`);
    });
    if (res.error) throw new Error(`attacker ${op}: ${res.error.split('\n').slice(0, 3).join(' | ')}`);
    return res.outcome!;
  }

  stop(): void {
    this.child.stdin!.end();
    this.child.kill('SIGKILL');
  }
}

export interface AckHold {
  host: string;
  holder: string;
  until: number;
}

interface ServerRow {
  host: string;
  holder: string | null;
  until: number | null;
  maintenance: boolean;
  app: string;
  ip: string;
  env: string;
  comment: string;
  queue: unknown[];
}

/** Waits for a master, loads the inventory (admin token) and reserves the ack hosts (user token); returns the acknowledged holds. */
export async function arm(c: SecCluster): Promise<AckHold[]> {
  const m = await c.waitForMaster(30_000, (h) => h.voters.length === 3);
  if (!m) throw new Error('the cluster elected no master with 3 voters within 30 s');
  const imp = await c.http(m.node, 'POST', '/api/servers/import', { serversList: INVENTORY.map((host) => ({ host, app: 'app', env: 'lab' })) }, { token: 'admin' });
  if (imp?.status !== 200) throw new Error(`inventory import failed: ${JSON.stringify(imp)}`);
  const acks: AckHold[] = [];
  for (const [i, host] of ACK_HOSTS.entries()) {
    const n = c.nodes[i % c.nodes.length]!;
    const user = ['alice', 'bob', 'carol'][i % 3]!;
    const r = await c.http(n, 'POST', `/api/servers/${host}/reserve`, { user, durationSec: 7200, idempotencyKey: `arm-${c.generation}-${host}` });
    const s = (r?.body as { server?: { holder: string; until: number } } | undefined)?.server;
    if (r?.status === 200 && s) acks.push({ host, holder: s.holder, until: s.until });
  }
  if (acks.length === 0) throw new Error('no hold was acknowledged while arming');
  return acks;
}

async function board(c: SecCluster, n: SecNode): Promise<Map<string, ServerRow> | null> {
  const r = await c.http(n, 'GET', '/api/servers', undefined, { timeoutMs: 3000 });
  if (r?.status !== 200) return null;
  const list = (r.body as { serversList: ServerRow[] }).serversList;
  return new Map(list.map((s) => [s.host, s]));
}

function rowKey(s: ServerRow): string {
  return JSON.stringify([s.holder, s.until, s.maintenance, s.app, s.ip, s.env, s.comment, s.queue.length]);
}

export interface Baseline {
  at: number;
  board: Map<string, ServerRow> | null;
  malloryHistory: number;
  rss: Map<string, number>;
}

async function malloryHistory(c: SecCluster, n: SecNode): Promise<number> {
  const r = await c.http(n, 'GET', '/api/history?user=mallory&result=ok&limit=1', undefined, { timeoutMs: 3000 });
  return r?.status === 200 ? ((r.body as { total?: number }).total ?? 0) : 0;
}

export async function baseline(c: SecCluster): Promise<Baseline> {
  const m = await c.master();
  const n = m?.node ?? c.nodes[0]!;
  const rss = new Map<string, number>();
  for (const x of c.nodes) rss.set(x.id, c.rssMiB(x) ?? 0);
  return { at: Date.now(), board: await board(c, n), malloryHistory: await malloryHistory(c, n), rss };
}

/** A node past this RSS is killed by the harness (the machine is shared): the attack counts as FAILED. */
export const RSS_SAFETY_CAP_MIB = 2048;

/** Samples every node's RSS every 250 ms while an attack runs; keeps the peak; calls onOver once per node past the cap. */
export class RssSampler {
  readonly peak = new Map<string, number>();
  readonly over = new Set<string>();
  private timer: NodeJS.Timeout;
  constructor(
    private readonly c: SecCluster,
    private readonly onOver: (n: SecNode, mib: number) => void = () => undefined,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 250);
  }
  private sample(): void {
    for (const n of this.c.nodes) {
      const v = this.c.rssMiB(n);
      if (v === null) continue;
      this.peak.set(n.id, Math.max(this.peak.get(n.id) ?? 0, v));
      if (v > RSS_SAFETY_CAP_MIB && !this.over.has(n.id)) {
        this.over.add(n.id);
        this.onOver(n, v);
      }
    }
  }
  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

export interface CheckResult {
  crashes: number;
  hangs: number;
  noMaster: boolean;
  lost: number;
  unauthorised: number;
  reasons: string[];
  /** the cluster needs a fresh start before the next attack */
  broken: boolean;
}

const MAX_PLAUSIBLE_TERM = 1_000_000;

/** The invariants after an attack: alive, answering, a master, every acknowledged hold on every node, no attacker change. */
export async function check(c: SecCluster, base: Baseline, acks: AckHold[]): Promise<CheckResult> {
  const r: CheckResult = { crashes: 0, hangs: 0, noMaster: false, lost: 0, unauthorised: 0, reasons: [], broken: false };
  const crashed = c.exits.filter((e) => e.at >= base.at && !e.byHarness);
  r.crashes = crashed.length;
  for (const e of crashed) r.reasons.push(`${e.node} exited (code ${e.code ?? '-'}${e.signal ? `, ${e.signal}` : ''})`);
  const healths = await Promise.all(
    c.nodes.map(async (n) => {
      if (!n.child) return null;
      const res = await c.http(n, 'GET', '/api/health', undefined, { timeoutMs: 2000 });
      if (res === null) {
        r.hangs++;
        r.reasons.push(`${n.id} did not answer /api/health within 2 s`);
      } else if (res.status !== 200) r.reasons.push(`${n.id} /api/health answered ${res.status}`);
      return res?.status === 200 ? (res.body as { term: number; voters: string[] }) : null;
    }),
  );
  const maxTerm = Math.max(0, ...healths.map((h) => h?.term ?? 0));
  if (maxTerm > MAX_PLAUSIBLE_TERM) r.reasons.push(`term jumped to ${maxTerm}`);
  const m = await c.waitForMaster(10_000);
  if (!m) {
    r.noMaster = true;
    r.reasons.push('no master with quorum within 10 s');
  }
  const fakeVoters = new Set(healths.flatMap((h) => h?.voters ?? []).filter((v) => !MEMBERS.has(v)));
  if (fakeVoters.size) {
    r.unauthorised += fakeVoters.size;
    r.reasons.push(`non-members became voters: ${[...fakeVoters].join(', ')}`);
  }
  // acknowledged holds, on every running node
  const lostHosts = new Set<string>();
  let mallory = 0;
  for (const n of c.nodes) {
    if (!n.child) continue;
    const b = await board(c, n);
    if (!b) {
      r.reasons.push(`${n.id}: the board could not be read`);
      continue;
    }
    for (const a of acks) {
      const s = b.get(a.host);
      if (!s || s.holder !== a.holder || s.until !== a.until) lostHosts.add(a.host);
    }
    mallory = Math.max(mallory, [...b.values()].filter((s) => s.holder === 'mallory' || s.host.startsWith('mallory')).length);
  }
  r.lost = lostHosts.size;
  if (lostHosts.size) r.reasons.push(`acknowledged holds lost: ${[...lostHosts].join(', ')}`);
  // the attacker's changes: board rows that differ from the baseline (outside scratch hosts), mallory's rows, mallory's history
  const ref = m?.node ?? c.nodes.find((n) => n.child);
  const after = ref ? await board(c, ref) : null;
  let changed = 0;
  if (base.board && after) {
    const hosts = new Set([...base.board.keys(), ...after.keys()]);
    for (const h of hosts) {
      if (SCRATCH.test(h)) continue;
      const x = base.board.get(h);
      const y = after.get(h);
      if (!x || !y || rowKey(x) !== rowKey(y)) changed++;
    }
  }
  const hist = ref ? (await malloryHistory(c, ref)) - base.malloryHistory : 0;
  const unauth = Math.max(changed, mallory, hist);
  if (unauth > 0) r.reasons.push(`attacker changes committed: ${changed} board rows changed, ${mallory} rows held by/named mallory, ${hist} successful operations by mallory in the history`);
  r.unauthorised += unauth;
  r.broken = r.crashes > 0 || r.hangs > 0 || r.noMaster || r.lost > 0 || r.unauthorised > 0 || maxTerm > MAX_PLAUSIBLE_TERM || healths.some((h, i) => c.nodes[i]!.child && !h);
  return r;
}
