// Monitoring in the views (issue 12): verdict order and words, uptime as text, each server's worst
// verdict, each location's last report, and the check form's input checked before it is sent.
import type { CheckInput, CheckView, ClusterViewEntry, Verdict } from '../../../node-core/src/api/peer-api.js';

export type CheckType = CheckInput['type'];
export type HttpMethod = NonNullable<CheckInput['method']>;
/** node-core's CheckTypes and HttpMethods (the renderer imports only types from node-core) */
export const CHECK_TYPES = ['http', 'tcp', 'ping', 'dns'] as const satisfies readonly CheckType[];
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'] as const satisfies readonly HttpMethod[];

/** worst first: a server with one DOWN check is DOWN on the board */
const RANK: Record<Verdict, number> = { DOWN: 3, PARTIAL: 2, UNKNOWN: 1, UP: 0 };

export const VERDICT_TEXT: Record<Verdict, string> = {
  UP: 'Up',
  DOWN: 'Down',
  PARTIAL: 'Partial',
  UNKNOWN: 'Unknown',
};
export const VERDICT_HELP: Record<Verdict, string> = {
  UP: 'every reporting location sees it up',
  DOWN: 'a majority of reporting locations see it down',
  PARTIAL: 'some locations see it down, not a majority',
  UNKNOWN: 'no fresh result from any location',
};

export function worstVerdict(list: Verdict[]): Verdict | null {
  let worst: Verdict | null = null;
  for (const v of list) if (worst === null || RANK[v] > RANK[worst]) worst = v;
  return worst;
}

/** 0.99734 → "99.73 %", 1 → "100 %", null → "—" (never known) */
export function formatUptime(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  const pct = Math.min(100, Math.max(0, fraction * 100));
  if (pct === 100) return '100 %';
  // never round 99.996 up to "100 %": a check that was down at all is not shown as never down
  const floored = Math.floor(pct * 100) / 100;
  return `${floored.toFixed(2)} %`;
}

export interface ServerVerdict {
  verdict: Verdict;
  checks: Array<{ id: number; name: string; verdict: Verdict }>;
  /** one line per check, for a tooltip */
  title: string;
}

/** Each board server's worst verdict over its enabled checks (checks attached to no server are left out). */
export function verdictsByServer(checks: readonly CheckView[]): Map<string, ServerVerdict> {
  const out = new Map<string, ServerVerdict>();
  for (const c of checks) {
    if (!c.server || c.enabled === false) continue;
    const sv = out.get(c.server) ?? { verdict: 'UP' as Verdict, checks: [], title: '' };
    sv.checks.push({ id: c.id, name: c.name, verdict: c.verdict });
    out.set(c.server, sv);
  }
  for (const sv of out.values()) {
    sv.checks.sort((a, b) => RANK[b.verdict] - RANK[a.verdict] || a.name.localeCompare(b.name));
    sv.verdict = worstVerdict(sv.checks.map((c) => c.verdict)) ?? 'UNKNOWN';
    sv.title = sv.checks.map((c) => `${c.name}: ${VERDICT_TEXT[c.verdict]}`).join('\n');
  }
  return out;
}

/** One location's last report, as the checks' latest results show it. */
export interface LocationReport {
  nodeId: string;
  location: string;
  /** the newest lastChecked of any check at this location (ms since the epoch) */
  lastReport: number;
  /** checks it has a result for, and how many of those it sees DOWN */
  checks: number;
  down: number;
  /** false when any of its results does not vote now (stale or cut off) */
  voting: boolean;
}

export function locationReports(checks: readonly CheckView[]): LocationReport[] {
  const by = new Map<string, LocationReport>();
  for (const c of checks) {
    for (const l of c.locations) {
      const at = Date.parse(l.lastChecked);
      const key = `${l.nodeId}\u0000${l.location}`;
      const r = by.get(key) ?? { nodeId: l.nodeId, location: l.location, lastReport: 0, checks: 0, down: 0, voting: true };
      if (Number.isFinite(at)) r.lastReport = Math.max(r.lastReport, at);
      r.checks++;
      if (l.status === 'DOWN') r.down++;
      if (l.voting === false) r.voting = false;
      by.set(key, r);
    }
  }
  return [...by.values()].sort((a, b) => a.location.localeCompare(b.location) || a.nodeId.localeCompare(b.nodeId));
}

/** the node a location runs on, by the name the cluster view gives it; null for a remote instance */
export function nodeOf(nodeId: string, view: readonly ClusterViewEntry[]): ClusterViewEntry | null {
  return view.find((n) => n.nodeId === nodeId) ?? null;
}

// -- the check form ---------------------------------------------------------------------------------

/** the node's limits (check-schema.ts MonitorLimits), repeated so the form refuses before sending */
export const FORM_LIMITS = { nameLen: 100, targetLen: 2048, keywordLen: 1000, minIntervalSec: 5, maxIntervalSec: 86_400, minTimeoutMs: 100, maxTimeoutMs: 60_000, maxRetries: 5, expectStatus: 20 } as const;

/** "200, 204" → [200, 204]; "" → []; null when a part is not an HTTP status or there are too many */
export function parseStatusList(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length > FORM_LIMITS.expectStatus) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{3}$/.test(p)) return null;
    const n = Number(p);
    if (n < 100 || n > 599) return null;
    out.push(n);
  }
  return out;
}

/** What a form sends is checked here first; the node checks it again (and knows more: private targets). */
export function checkInputProblem(c: CheckInput): string | null {
  const name = c.name.trim();
  if (!name) return 'Give the check a name.';
  if (name.length > FORM_LIMITS.nameLen) return `The name is ${name.length} characters; at most ${FORM_LIMITS.nameLen}.`;
  if (!c.target.trim()) return 'Give the check a target.';
  if (c.target.length > FORM_LIMITS.targetLen) return `The target is too long; at most ${FORM_LIMITS.targetLen} characters.`;
  if (c.type === 'http' && !/^https?:\/\/[^\s]+$/i.test(c.target.trim())) return 'An http check needs a URL like https://example.com/health.';
  if (c.type === 'tcp' && !/^(\[[0-9A-Fa-f:.]+\]|[^:[\]\s]+):\d{1,5}$/.test(c.target.trim())) return 'A tcp check needs host:port, e.g. db-01:5432.';
  if (!Number.isInteger(c.intervalSec) || c.intervalSec < FORM_LIMITS.minIntervalSec || c.intervalSec > FORM_LIMITS.maxIntervalSec)
    return `The interval is whole seconds from ${FORM_LIMITS.minIntervalSec} to ${FORM_LIMITS.maxIntervalSec}.`;
  if (!Number.isInteger(c.timeoutMs) || c.timeoutMs < FORM_LIMITS.minTimeoutMs || c.timeoutMs > FORM_LIMITS.maxTimeoutMs)
    return `The timeout is whole milliseconds from ${FORM_LIMITS.minTimeoutMs} to ${FORM_LIMITS.maxTimeoutMs}.`;
  if (!Number.isInteger(c.retries) || c.retries < 0 || c.retries > FORM_LIMITS.maxRetries) return `Retries are 0 to ${FORM_LIMITS.maxRetries}.`;
  if ((c.keyword?.length ?? 0) > FORM_LIMITS.keywordLen) return `The keyword is too long; at most ${FORM_LIMITS.keywordLen} characters.`;
  return null;
}
