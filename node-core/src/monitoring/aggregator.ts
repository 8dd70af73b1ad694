// The master's view of every location's latest result per check, and the consensus verdict it gives.
// In memory only: after a failover the locations report to the new master within a report period, and
// the new master starts from the committed verdicts, so it neither loses nor repeats a change.
//
// Rules (README "Monitoring"):
// - fresh: a location's result counts while it is younger than 2 intervals + the round's time budget
//   (timeoutMs × (retries + 1)) + REPORT_SLACK_MS;
// - a location votes when its result is fresh and the location is not cut off (its reference check
//   failed, or it has not reported for CUTOFF_MS: it cannot reach the master);
// - UP: every voter sees it up; DOWN: a strict majority of voters see it down; PARTIAL: some, not a
//   majority; UNKNOWN: no voter;
// - with an assignment (monitor-node.ts, assign.ts) only the locations assigned to a check count for
//   it (plus /sync/api remote instances); the vote filter says which, and an unassigned pair's
//   result is left out at once when the pool changes;
// - flap damping happens at each location (N consecutive results before its status flips).
import type { CheckDef, LocationResult, LocationStatus, Verdict } from './types.js';

/** slack for the report path (batching, the TCP hop, a busy master) */
export const REPORT_SLACK_MS = 5_000;
/** locations remembered per check (a hostile reporter cannot grow the table without bound) */
export const MAX_LOCATIONS = 256;
/** reporters remembered at all: a peer that sprays made-up node ids cannot grow the table without bound */
export const MAX_REPORTERS = 1024;

export interface LocationReport {
  checkId: number;
  nodeId: string;
  location: string;
  status: LocationStatus;
  responseTime: number;
  /** when the probe round started, ms since the epoch (the location's clock) */
  at: number;
  error: string | null;
}

interface Entry extends LocationReport {
  /** when the master received it (its own clock: freshness never trusts a location's clock) */
  receivedAt: number;
  /** its location's state, shared by all of that location's entries (updated in place by each report) */
  src: LocationState;
}

type LocationState = VoterState & { location: string };

export interface VoterState {
  /** the location's own reference check failed: it may be the one cut off */
  referenceOk: boolean;
  lastReportAt: number;
}

export class Aggregator {
  /**
   * per check, one entry per location (a few: a short array, each entry pointing at its location's
   * state). The master asks every check's verdict every second: with a Map per check and a lookup of
   * the location per entry that cost about 2 µs a check, 2-7 ms a second at 1,000 checks.
   */
  private readonly byCheck = new Map<number, Entry[]>();
  private readonly locations = new Map<string, LocationState>();
  /** reports dropped because MAX_REPORTERS reporters are known already */
  refused = 0;
  /** which (check, location) results count; default: all */
  private votes: (checkId: number, nodeId: string) => boolean = () => true;

  constructor(private readonly now: () => number) {}

  /** only results for which `fn` answers true count (and are shown) */
  setVoteFilter(fn: (checkId: number, nodeId: string) => boolean): void {
    this.votes = fn;
  }

  /** One location's batch. `referenceOk` false: the location says its own network is in doubt. */
  ingest(nodeId: string, location: string, reports: readonly LocationReport[], referenceOk = true): void {
    const receivedAt = this.now();
    let src = this.locations.get(nodeId);
    if (!src) {
      if (this.locations.size >= MAX_REPORTERS) {
        this.refused++;
        return;
      }
      this.locations.set(nodeId, (src = { location, referenceOk, lastReportAt: receivedAt }));
    } else {
      src.location = location;
      src.referenceOk = referenceOk;
      src.lastReportAt = receivedAt;
    }
    for (const r of reports) {
      let list = this.byCheck.get(r.checkId);
      if (!list) this.byCheck.set(r.checkId, (list = []));
      const entry: Entry = { checkId: r.checkId, nodeId, location, status: r.status, responseTime: r.responseTime, at: r.at, error: r.error, receivedAt, src };
      const i = list.findIndex((e) => e.nodeId === nodeId);
      if (i < 0) {
        if (list.length < MAX_LOCATIONS) list.push(entry);
      } else if (list[i]!.at <= r.at) list[i] = entry; // else: an older result that arrived late
    }
  }

  /** a location's own liveness signal without results (an empty report) */
  touch(nodeId: string, location: string, referenceOk = true): void {
    this.ingest(nodeId, location, [], referenceOk);
  }

  forgetCheck(id: number): void {
    this.byCheck.delete(id);
  }

  /** drops every result: a node that stops being master forgets, so stale reports never decide later */
  clear(): void {
    this.byCheck.clear();
    this.locations.clear();
  }

  /** how long a result of `check` stays fresh */
  static freshnessMs(check: Pick<CheckDef, 'intervalSec' | 'timeoutMs' | 'retries'>): number {
    return 2 * check.intervalSec * 1000 + check.timeoutMs * (check.retries + 1) + REPORT_SLACK_MS;
  }

  /** The consensus verdict of `check` now, with every location's latest result (voting or not). */
  evaluate(check: Pick<CheckDef, 'id' | 'intervalSec' | 'timeoutMs' | 'retries' | 'enabled'>): { verdict: Verdict; locations: LocationResult[] } {
    const now = this.now();
    const fresh = Aggregator.freshnessMs(check);
    const entries = this.byCheck.get(check.id) ?? [];
    const locations: LocationResult[] = [];
    let voters = 0;
    let down = 0;
    for (const e of entries) {
      if (!this.votes(check.id, e.nodeId)) continue;
      const loc = e.src;
      const cutOff = !loc.referenceOk || now - loc.lastReportAt > fresh;
      const voting = check.enabled && !cutOff && now - e.receivedAt <= fresh;
      if (voting) {
        voters++;
        if (e.status === 'DOWN') down++;
      }
      locations.push({ nodeId: e.nodeId, location: e.location, status: e.status, responseTime: e.responseTime, lastChecked: new Date(e.at).toISOString(), error: e.error, voting });
    }
    locations.sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : a.nodeId < b.nodeId ? -1 : 1));
    return { verdict: verdictOf(voters, down), locations };
  }

  /** The verdict of `check` now, without building the locations' rows (the master asks this every second). */
  verdictOf(check: Pick<CheckDef, 'id' | 'intervalSec' | 'timeoutMs' | 'retries' | 'enabled'>): Verdict {
    if (!check.enabled) return 'UNKNOWN';
    const entries = this.byCheck.get(check.id);
    if (!entries) return 'UNKNOWN';
    const now = this.now();
    const fresh = Aggregator.freshnessMs(check);
    let voters = 0;
    let down = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (!this.votes(check.id, e.nodeId)) continue;
      const loc = e.src;
      if (!loc.referenceOk || now - loc.lastReportAt > fresh || now - e.receivedAt > fresh) continue;
      voters++;
      if (e.status === 'DOWN') down++;
    }
    return verdictOf(voters, down);
  }

  /** every location that reported lately: nodeId → its label, reference state and last report time */
  reporters(): Array<{ nodeId: string } & VoterState & { location: string }> {
    return [...this.locations.entries()].map(([nodeId, s]) => ({ nodeId, ...s }));
  }
}

export function verdictOf(voters: number, down: number): Verdict {
  if (voters === 0) return 'UNKNOWN';
  if (down === 0) return 'UP';
  return down * 2 > voters ? 'DOWN' : 'PARTIAL';
}
