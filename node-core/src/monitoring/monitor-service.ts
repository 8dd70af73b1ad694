// Monitoring's service: a user interface's request -> validated command -> typed result, and the views
// of checks, targets and alerts. HTTP routes, the desktop IPC handlers, the CLI (over HTTP) and the
// renderer's demo API all go through it. Pure TS (the renderer bundles it); errors are values.
import type { Result } from '../api/peer-api.js';
import { summarizeIssues } from '../board/commands.js';
import type { Actor, BoardWriter } from '../board/service.js';
import type { BoardCommand } from '../board/types.js';
import { ErrorCode, PeerboardError, type ErrorValue } from '../errors.js';
import { targetView, uptimeOf, type MonitoringData } from './board-monitoring.js';
import { checkInputSchema, checkPatchSchema, monitorSettingsSchema, notificationInputSchema } from './check-schema.js';
import type { Alert, CheckDef, CheckInput, CheckSeries, CheckView, LocationResult, MonitorCommandValues, MonitorSettings, NotificationInput, NotificationTargetView } from './types.js';

export type { CheckSeries, CheckView, SeriesPoint } from './types.js';
import { z } from 'zod';

/** What the service reads of a node. */
export interface MonitorReader {
  monitoring(): Readonly<MonitoringData>;
  now(): number;
  /** the locations' latest results as this node knows them (master: live), or null to use the committed ones */
  liveLocations?(check: CheckDef): LocationResult[] | null;
  /** this node's own results for a chart, when it is a location */
  series?(checkId: number, sinceMs: number, maxPoints: number): CheckSeries | null;
}

const HIDDEN = '(hidden)';
const DAY = 86_400_000;

export function checkView(m: Readonly<MonitoringData>, c: CheckDef, now: number, live: LocationResult[] | null): CheckView {
  const v = m.verdicts.get(c.id);
  const tl = m.timeline.get(c.id) ?? [];
  const { headers, ...rest } = c;
  return {
    ...structuredClone(rest),
    ...(headers ? { headers: Object.fromEntries(Object.keys(headers).map((k) => [k, HIDDEN])) } : {}),
    verdict: v?.verdict ?? 'UNKNOWN',
    verdictSince: v && v.changeIndex > 0 ? new Date(v.since).toISOString() : null,
    locations: live ?? structuredClone(v?.locations ?? []),
    uptime24h: uptimeOf(tl, now - DAY, now),
    uptime7d: uptimeOf(tl, now - 7 * DAY, now),
  };
}

const idSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export class MonitorService {
  constructor(
    private readonly writer: BoardWriter,
    private readonly reader: MonitorReader,
    private readonly opts: { onInternalError?: (err: unknown, request: string) => void } = {},
  ) {}

  listChecks(): CheckView[] {
    const m = this.reader.monitoring();
    const now = this.reader.now();
    return [...m.checks.values()].map((c) => checkView(m, c, now, this.reader.liveLocations?.(c) ?? null));
  }

  getCheck(id: number): Result<CheckView> {
    const m = this.reader.monitoring();
    const c = m.checks.get(id);
    if (!c) return { ok: false, error: new PeerboardError(ErrorCode.NotFound, `no check with id ${id}`, { checkId: id }).toValue() };
    return { ok: true, value: checkView(m, c, this.reader.now(), this.reader.liveLocations?.(c) ?? null) };
  }

  addCheck(input: CheckInput, by: Actor = {}): Promise<Result<CheckView>> {
    return this.run('addCheck', checkInputSchema, input, async (check) => this.viewOf((await this.admin<'check-add'>({ type: 'check-add', check: check as CheckInput }, by)).check));
  }

  updateCheck(id: number, patch: Partial<CheckInput>, by: Actor = {}): Promise<Result<CheckView>> {
    return this.run('updateCheck', z.tuple([idSchema, checkPatchSchema]), [id, patch], async ([i, p]) =>
      this.viewOf((await this.admin<'check-update'>({ type: 'check-update', id: i, patch: p as Partial<CheckInput> }, by)).check),
    );
  }

  removeCheck(id: number, by: Actor = {}): Promise<Result<{ id: number }>> {
    return this.run('removeCheck', idSchema, id, async (i) => ({ id: (await this.admin<'check-remove'>({ type: 'check-remove', id: i }, by)).removed }));
  }

  listNotifications(): NotificationTargetView[] {
    return [...this.reader.monitoring().targets.values()].map(targetView);
  }

  addNotification(input: NotificationInput, by: Actor = {}): Promise<Result<NotificationTargetView>> {
    return this.run('addNotification', notificationInputSchema, input, async (t) => (await this.admin<'notify-add'>({ type: 'notify-add', target: t as NotificationInput }, by)).target);
  }

  removeNotification(id: number, by: Actor = {}): Promise<Result<{ id: number }>> {
    return this.run('removeNotification', idSchema, id, async (i) => ({ id: (await this.admin<'notify-remove'>({ type: 'notify-remove', id: i }, by)).removed }));
  }

  /** committed verdict changes, newest first, with their deliveries */
  alerts(limit = 50): Alert[] {
    const all = this.reader.monitoring().alerts;
    return all.slice(Math.max(0, all.length - Math.min(Math.max(1, limit), 500))).reverse().map((a) => structuredClone(a));
  }

  settings(): MonitorSettings {
    const m = this.reader.monitoring();
    return { allowPrivateTargets: m.allowPrivateTargets, locationsPerCheck: m.locationsPerCheck };
  }

  /** each setting is optional (absent: unchanged); locationsPerCheck is a whole number 0..64 */
  setSettings(s: Partial<MonitorSettings>, by: Actor = {}): Promise<Result<MonitorSettings>> {
    return this.run('setSettings', monitorSettingsSchema, s, async (v) =>
      this.admin<'monitor-settings'>(
        { type: 'monitor-settings', ...(v.allowPrivateTargets !== undefined ? { allowPrivateTargets: v.allowPrivateTargets } : {}), ...(v.locationsPerCheck !== undefined ? { locationsPerCheck: v.locationsPerCheck } : {}) },
        by,
      ),
    );
  }

  series(id: number, hours: number): Result<CheckSeries> {
    if (!this.reader.monitoring().checks.has(id)) return { ok: false, error: new PeerboardError(ErrorCode.NotFound, `no check with id ${id}`, { checkId: id }).toValue() };
    const h = Number.isFinite(hours) ? Math.min(Math.max(hours, 1), 24 * 30) : 24;
    const s = this.reader.series?.(id, this.reader.now() - h * 3_600_000, 500) ?? null;
    if (!s) return { ok: false, error: new PeerboardError(ErrorCode.NotFound, 'this node runs no checks, so it keeps no results; open the board on a node that does (a headless node)').toValue() };
    return { ok: true, value: s };
  }

  private viewOf(c: CheckDef): CheckView {
    return checkView(this.reader.monitoring(), c, this.reader.now(), null);
  }

  private async admin<K extends keyof MonitorCommandValues>(cmd: BoardCommand, by: Actor = {}): Promise<MonitorCommandValues[K]> {
    const user = by.user && by.user.trim() !== '' ? by.user : 'admin';
    const r = await this.writer.submit(cmd, { user, ...(by.caller !== undefined ? { caller: by.caller } : {}) });
    return r.value as MonitorCommandValues[K];
  }

  private async run<S extends z.ZodType, T>(name: string, schema: S, raw: unknown, fn: (v: z.output<S>) => Promise<T>): Promise<Result<T>> {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) return { ok: false, error: badRequest(name, parsed.error.issues) };
    try {
      return { ok: true, value: await fn(parsed.data) };
    } catch (err) {
      if (err instanceof PeerboardError) return { ok: false, error: err.toValue() };
      this.opts.onInternalError?.(err, name);
      return { ok: false, error: { code: ErrorCode.Internal, message: 'internal error while handling the request; see the node log', details: {} } };
    }
  }
}

function badRequest(name: string, issues: Parameters<typeof summarizeIssues>[0]): ErrorValue {
  const summary = summarizeIssues(issues);
  const first = summary[0] ?? { path: '(request)', message: 'invalid' };
  return new PeerboardError(ErrorCode.BadRequest, `invalid ${name} request: ${first.path}: ${first.message}`, { field: first.path, issues: summary }).toValue();
}
