// The master's view of its farm's locations: which home locations reported lately (and their load),
// which guests (borrowed workers) are attached, which reporters are /sync/api remote instances, and
// the assignment of checks over the resulting pool. MonitorNode drives it; the loan brain reads it.
import type { LocationLoad } from '../loans/types.js';
import { MAX_REPORTERS } from './aggregator.js';
import { Assigner, POOL_FRESH_MS, type AssignmentPush } from './assign.js';
import { farmLoadOf, type FarmLoad } from './load.js';
import type { CheckDef } from './types.js';

/** a borrowed worker attached to this master (the loan brain owns its link) */
export interface GuestLink {
  workerId: string;
  location: string;
  /** the full set of checks it runs now; called again whenever that set (or a definition in it) changes */
  sendWork(checks: CheckDef[]): void;
}

interface Home {
  at: number;
  location: string;
  load: LocationLoad | null;
}

interface Guest {
  link: GuestLink;
  load: LocationLoad | null;
  /** the version of the work last sent ('' before the first) */
  sent: string;
}

export interface FarmInputs {
  now(): number;
  checks(): ReadonlyMap<number, CheckDef>;
  k(): number;
  excluded(): ReadonlySet<string>;
}

export class FarmAssign {
  readonly assigner = new Assigner();
  private readonly home = new Map<string, Home>();
  private readonly guests = new Map<string, Guest>();
  /** reporters that came through /sync/api (remote instances): they run every check and always vote */
  private readonly remote = new Set<string>();

  constructor(private readonly inp: FarmInputs) {}

  /** a home location's report (this master's own included) */
  seenHome(nodeId: string, location: string, load: LocationLoad | null): void {
    if (!this.home.has(nodeId) && this.home.size >= MAX_REPORTERS) return;
    this.remote.delete(nodeId);
    this.home.set(nodeId, { at: this.inp.now(), location, load: load ?? this.home.get(nodeId)?.load ?? null });
  }

  /** a remote instance's report */
  seenRemote(nodeId: string): void {
    if (this.home.has(nodeId) || this.guests.has(nodeId)) return;
    if (this.remote.size < MAX_REPORTERS) this.remote.add(nodeId);
  }

  isHomeFresh(nodeId: string): boolean {
    const h = this.home.get(nodeId);
    return h !== undefined && this.inp.now() - h.at <= POOL_FRESH_MS;
  }

  /** does this reporter's result of this check vote? remote instances: always; others: when assigned */
  votes(checkId: number, nodeId: string): boolean {
    if (this.remote.has(nodeId) || !this.assigner.ready) return true;
    return this.assigner.has(checkId, nodeId);
  }

  attach(link: GuestLink): void {
    this.remote.delete(link.workerId);
    this.guests.set(link.workerId, { link, load: null, sent: '' });
  }

  detach(workerId: string): boolean {
    return this.guests.delete(workerId);
  }

  guest(workerId: string): GuestLink | null {
    return this.guests.get(workerId)?.link ?? null;
  }

  guestLoad(workerId: string, load: LocationLoad): void {
    const g = this.guests.get(workerId);
    if (g) g.load = load;
  }

  /** the pool now: fresh home locations that are not lent out, plus attached guests */
  currentPool(): string[] {
    const now = this.inp.now();
    const excluded = this.inp.excluded();
    const out: string[] = [];
    for (const [id, h] of this.home) {
      if (now - h.at > POOL_FRESH_MS) {
        // long gone: forget it (its results stop voting as soon as it left the pool)
        if (now - h.at > 60 * POOL_FRESH_MS) this.home.delete(id);
        continue;
      }
      if (!excluded.has(id) && !this.guests.has(id)) out.push(id);
    }
    for (const id of this.guests.keys()) out.push(id);
    return out;
  }

  /** recomputes the assignment when the pool, the checks or K changed; true when it did */
  refresh(): boolean {
    return this.assigner.update(this.inp.checks().values(), this.currentPool(), this.inp.k());
  }

  /** the checks or K changed */
  invalidate(): void {
    this.assigner.invalidate();
  }

  forNode(nodeId: string): AssignmentPush {
    return this.assigner.forNode(nodeId);
  }

  /** sends each guest its checks when they changed (ids, or a definition among them) */
  pushGuests(): void {
    const checks = this.inp.checks();
    for (const g of this.guests.values()) {
      const { ids } = this.assigner.forNode(g.link.workerId);
      const defs = ids.map((id) => checks.get(id)).filter((c): c is CheckDef => c !== undefined);
      const version = defs.map((c) => `${c.id}:${c.updatedAt}`).join(',');
      if (version === g.sent) continue;
      g.sent = version;
      try {
        g.link.sendWork(defs);
      } catch {
        g.sent = ''; // try again at the next refresh
      }
    }
  }

  farmLoad(): FarmLoad {
    const pool = this.currentPool();
    const loads: Array<LocationLoad | null> = [];
    let home = 0;
    let guests = 0;
    for (const id of pool) {
      const g = this.guests.get(id);
      if (g) {
        guests++;
        loads.push(g.load);
      } else {
        home++;
        loads.push(this.home.get(id)?.load ?? null);
      }
    }
    let enabled = 0;
    for (const c of this.inp.checks().values()) if (c.enabled) enabled++;
    return farmLoadOf(loads, home, guests, this.inp.k(), enabled);
  }

  /** this node stopped being master: forget the farm (the loan brain re-attaches guests to the new one) */
  clear(): void {
    this.home.clear();
    this.guests.clear();
    this.remote.clear();
    this.assigner.invalidate();
  }
}
