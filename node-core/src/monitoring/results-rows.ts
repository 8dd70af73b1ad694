// How results map to monitoring.db rows and back, and how chart points merge (pure functions),
// kept apart so that results-store.ts holds only the store's behaviour.
import type { CheckResult } from './types.js';

/** the longest error text kept per result; longer ones are cut (with "...") */
export const MAX_ERROR_CHARS = 300;

/** One point of a response-time chart: a raw result (total 1) or a bucket of them. */
export interface SeriesPoint {
  /** ms since the epoch: the result's time, or the bucket's start */
  at: number;
  /** ms; the mean over the bucket */
  responseTime: number;
  /** every result in the point was up */
  ok: boolean;
  min: number;
  max: number;
  up: number;
  total: number;
}

export const toUs = (ms: number): number => Math.round(ms * 1000);
export const toMs = (us: number): number => us / 1000;

export interface RawRow {
  check_id: number;
  at: number;
  ok: number;
  rt_us: number;
  status: number;
  error: string | null;
  http_status: number | null;
  cert_expires_at: number | null;
  lag_ms: number;
}

export interface BucketRow {
  check_id: number;
  start: number;
  n: number;
  up: number;
  rt_sum_us: number;
  rt_min_us: number;
  rt_max_us: number;
}

/** Folds b into a (a keeps its time). */
export function merge(a: SeriesPoint, b: SeriesPoint): void {
  a.responseTime = (a.responseTime * a.total + b.responseTime * b.total) / (a.total + b.total);
  a.min = Math.min(a.min, b.min);
  a.max = Math.max(a.max, b.max);
  a.up += b.up;
  a.total += b.total;
  a.ok = a.up === a.total;
}

export function mergePairs(points: SeriesPoint[]): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (let i = 0; i < points.length; i += 2) {
    const a = points[i]!;
    const b = points[i + 1];
    if (b) merge(a, b);
    out.push(a);
  }
  return out;
}

/** The row of a well-formed result, or null. */
export function encode(r: CheckResult): Record<string, number | string | null> | null {
  if (!r || typeof r !== 'object') return null;
  if (!Number.isSafeInteger(r.checkId) || r.checkId < 1 || !Number.isFinite(r.at) || !Number.isFinite(r.responseTime)) return null;
  const err = typeof r.error === 'string' ? (r.error.length > MAX_ERROR_CHARS ? `${r.error.slice(0, MAX_ERROR_CHARS - 3)}...` : r.error) : null;
  return {
    check_id: r.checkId,
    at: Math.floor(r.at),
    ok: r.ok === true ? 1 : 0,
    rt_us: Math.min(Math.max(0, toUs(r.responseTime)), 2 ** 40),
    status: r.status === 'UP' ? 1 : 0,
    error: err,
    http_status: Number.isSafeInteger(r.httpStatus) ? (r.httpStatus as number) : null,
    cert_expires_at: Number.isFinite(r.certExpiresAt) ? Math.floor(r.certExpiresAt as number) : null,
    lag_ms: Number.isFinite(r.lagMs) ? Math.max(0, Math.round(r.lagMs)) : 0,
  };
}

export function decode(row: RawRow): CheckResult {
  const out: CheckResult = { checkId: row.check_id, at: row.at, ok: row.ok === 1, responseTime: toMs(row.rt_us), lagMs: row.lag_ms, status: row.status === 1 ? 'UP' : 'DOWN' };
  if (row.error !== null) out.error = row.error;
  if (row.http_status !== null) out.httpStatus = row.http_status;
  if (row.cert_expires_at !== null) out.certExpiresAt = row.cert_expires_at;
  return out;
}
