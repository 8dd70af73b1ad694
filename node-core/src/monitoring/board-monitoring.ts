// Monitoring's part of the replicated board: checks, notification targets, committed verdicts with
// their alerts and deliveries, remote instances. Pure and deterministic like the rest of the board
// (only the entry's index and time); a refusal changes nothing.
import { ErrorCode } from '../errors.js';
import type { ErrorValue } from '../errors.js';
import { checkMergedSchema, DEFAULT_LOCATIONS_PER_CHECK, MonitorLimits, targetHost } from './check-schema.js';
import { isPrivateHost } from './private-address.js';
import type { Alert, CheckDef, CheckInput, CommittedVerdict, InstanceRecord, MonitorCommand, MonitoringSnapshot, NotificationTarget, NotificationTargetView, Verdict } from './types.js';

/** the board's ApplyResult (restated: board/types.ts imports this directory's types) */
type ApplyResult = { ok: true; value?: unknown } | { ok: false; error: ErrorValue };

export interface MonitoringData {
  checks: Map<number, CheckDef>;
  nextCheckId: number;
  targets: Map<number, NotificationTarget>;
  nextTargetId: number;
  verdicts: Map<number, CommittedVerdict>;
  /** per check: [ms, verdict] at each committed change, oldest first (uptime) */
  timeline: Map<number, Array<[number, Verdict]>>;
  /** newest last */
  alerts: Alert[];
  instances: Map<string, InstanceRecord>;
  allowPrivateTargets: boolean;
  /** K: each enabled check runs on this many locations, chosen by the master (0: every location) */
  locationsPerCheck: number;
}

export function emptyMonitoring(): MonitoringData {
  return { checks: new Map(), nextCheckId: 1, targets: new Map(), nextTargetId: 1, verdicts: new Map(), timeline: new Map(), alerts: [], instances: new Map(), allowPrivateTargets: true, locationsPerCheck: DEFAULT_LOCATIONS_PER_CHECK };
}

/** What an apply needs to know of its entry, and the board's hook for maintenance. */
export interface MonitorCtx {
  index: number;
  at: number;
  user: string;
  /** true when the board server `host` is in maintenance */
  inMaintenance(host: string): boolean;
  /** the history row's subject and comment */
  describe(serverHost: string, comment: string, details?: Record<string, unknown>): void;
  /** marks the board as changed (lastUpdate moves) */
  touch(): void;
}

export const MONITOR_COMMAND_TYPES = ['check-add', 'check-update', 'check-remove', 'notify-add', 'notify-remove', 'monitor-settings', 'verdict', 'alert-delivery', 'instance-register', 'instance-remove'] as const;

const ok = (value: unknown): ApplyResult => ({ ok: true, value });
const fail = (code: ErrorCode, message: string, details?: Record<string, unknown>): ApplyResult => ({ ok: false, error: { code, message, ...(details ? { details } : {}) } });

export function targetView(t: NotificationTarget): NotificationTargetView {
  const { secret, ...rest } = t;
  return { ...rest, hasSecret: secret !== undefined && secret !== '' };
}

/**
 * Notifications go out for changes that involve a problem, compared with the last *known* verdict:
 * a change to UNKNOWN (a disabled check, locations gone quiet) is recorded only, and so is UNKNOWN ->
 * UP for a new check; DOWN -> UNKNOWN -> UP notifies the recovery, DOWN -> UNKNOWN -> DOWN nothing.
 */
export function notifiable(lastKnown: Verdict, verdict: Verdict): boolean {
  return verdict !== 'UNKNOWN' && lastKnown !== verdict && (verdict === 'DOWN' || verdict === 'PARTIAL' || lastKnown === 'DOWN' || lastKnown === 'PARTIAL');
}

/** the newest verdict other than UNKNOWN in a check's timeline (UNKNOWN when there is none) */
export function lastKnownVerdict(timeline: ReadonlyArray<readonly [number, Verdict]> | undefined): Verdict {
  for (let i = (timeline?.length ?? 0) - 1; i >= 0; i--) {
    const v = timeline![i]![1];
    if (v !== 'UNKNOWN') return v;
  }
  return 'UNKNOWN';
}

export function applyMonitor(m: MonitoringData, c: MonitorCommand, ctx: MonitorCtx): ApplyResult {
  switch (c.type) {
    case 'check-add': {
      if (m.checks.size >= MonitorLimits.checks) return fail(ErrorCode.Conflict, `the board holds ${MonitorLimits.checks} checks already; remove some first`);
      const refused = privateRefusal(m, c.check);
      if (refused) return refused;
      const id = m.nextCheckId++;
      const check = defOf(id, c.check, ctx);
      m.checks.set(id, check);
      m.verdicts.set(id, { verdict: 'UNKNOWN', since: ctx.at, changeIndex: 0, locations: [] });
      ctx.describe(check.server ?? '', check.name, { checkId: id, checkType: check.type, target: check.target });
      ctx.touch();
      return ok({ check: structuredClone(check) });
    }
    case 'check-update': {
      const cur = m.checks.get(c.id);
      if (!cur) return fail(ErrorCode.NotFound, `no check with id ${c.id}`, { checkId: c.id });
      const { id: _id, createdAt: _c, updatedAt: _u, createdBy: _b, ...fields } = cur;
      const merged: Record<string, unknown> = { ...fields, ...c.patch };
      for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
      // a type change drops the old type's own fields
      if (c.patch.type !== undefined && c.patch.type !== cur.type) dropForeignFields(merged, c.patch.type, c.patch);
      const parsed = checkMergedSchema.safeParse(merged);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.map(String).join('.') ?? '';
        return fail(ErrorCode.BadRequest, `the changed check is not valid: ${field}: ${issue?.message ?? 'invalid'}`, { field });
      }
      const refused = privateRefusal(m, parsed.data as CheckInput);
      if (refused) return refused;
      const next = { ...(parsed.data as CheckDef), id: c.id, createdAt: cur.createdAt, createdBy: cur.createdBy, updatedAt: ctx.at };
      next.server = next.server ?? null;
      next.enabled = next.enabled ?? true;
      m.checks.set(c.id, next);
      ctx.describe(next.server ?? '', next.name, { checkId: c.id, changed: Object.keys(c.patch) });
      ctx.touch();
      return ok({ check: structuredClone(next) });
    }
    case 'check-remove': {
      const cur = m.checks.get(c.id);
      if (!cur) return fail(ErrorCode.NotFound, `no check with id ${c.id}`, { checkId: c.id });
      m.checks.delete(c.id);
      m.verdicts.delete(c.id);
      m.timeline.delete(c.id);
      ctx.describe(cur.server ?? '', cur.name, { checkId: c.id });
      ctx.touch();
      return ok({ removed: c.id });
    }
    case 'notify-add': {
      if (m.targets.size >= MonitorLimits.targets) return fail(ErrorCode.Conflict, `at most ${MonitorLimits.targets} notification targets`);
      const id = m.nextTargetId++;
      const t: NotificationTarget = {
        id,
        type: c.target.type,
        url: c.target.url,
        name: c.target.name ?? `${c.target.type} ${id}`,
        ...(c.target.secret ? { secret: c.target.secret } : {}),
        createdAt: ctx.at,
        createdBy: ctx.user,
      };
      m.targets.set(id, t);
      ctx.describe('', t.name, { targetId: id, notificationType: t.type });
      return ok({ target: targetView(t) });
    }
    case 'notify-remove': {
      const t = m.targets.get(c.id);
      if (!t) return fail(ErrorCode.NotFound, `no notification target with id ${c.id}`, { targetId: c.id });
      m.targets.delete(c.id);
      ctx.describe('', t.name, { targetId: c.id });
      return ok({ removed: c.id });
    }
    case 'monitor-settings': {
      const said: string[] = [];
      if (c.allowPrivateTargets !== undefined) {
        m.allowPrivateTargets = c.allowPrivateTargets;
        said.push(c.allowPrivateTargets ? 'private targets allowed' : 'private targets forbidden');
      }
      if (c.locationsPerCheck !== undefined) {
        m.locationsPerCheck = c.locationsPerCheck;
        said.push(c.locationsPerCheck === 0 ? 'every location runs every check' : `${c.locationsPerCheck} location(s) per check`);
      }
      ctx.describe('', said.join('; ') || 'monitoring settings unchanged');
      return ok({ allowPrivateTargets: m.allowPrivateTargets, locationsPerCheck: m.locationsPerCheck });
    }
    case 'verdict':
      return applyVerdict(m, c, ctx);
    case 'alert-delivery': {
      const alert = m.alerts.find((a) => a.id === c.alertId);
      const d = alert?.deliveries.find((x) => x.targetId === c.targetId);
      if (!alert || !d) return fail(ErrorCode.NotFound, `no delivery ${c.alertId}-${c.targetId}`);
      if (d.state !== 'pending') return fail(ErrorCode.Conflict, `delivery ${c.alertId}-${c.targetId} is ${d.state} already`);
      d.attempts += 1;
      d.lastAttemptAt = ctx.at;
      d.lastError = c.ok ? null : (c.error ?? 'failed');
      if (c.ok) d.state = 'delivered';
      else if (c.final) d.state = 'failed';
      return ok({ alert: structuredClone(alert) });
    }
    case 'instance-register': {
      const prev = m.instances.get(c.instance.instanceId);
      if (!prev && m.instances.size >= MonitorLimits.instances) return fail(ErrorCode.Conflict, `at most ${MonitorLimits.instances} remote instances`);
      const rec: InstanceRecord = { ...c.instance, registeredAt: prev?.registeredAt ?? ctx.at, registeredBy: ctx.user };
      m.instances.set(rec.instanceId, rec);
      ctx.describe('', rec.instanceName, { instanceId: rec.instanceId, location: rec.location });
      return ok({ instance: structuredClone(rec), created: !prev });
    }
    case 'instance-remove': {
      if (!m.instances.delete(c.instanceId)) return fail(ErrorCode.NotFound, `no instance ${c.instanceId}`);
      ctx.describe('', c.instanceId);
      return ok({ removed: c.instanceId });
    }
  }
}

function applyVerdict(m: MonitoringData, c: Extract<MonitorCommand, { type: 'verdict' }>, ctx: MonitorCtx): ApplyResult {
  const check = m.checks.get(c.checkId);
  if (!check) return fail(ErrorCode.NotFound, `no check with id ${c.checkId}`, { checkId: c.checkId });
  const cur = m.verdicts.get(c.checkId) ?? { verdict: 'UNKNOWN' as Verdict, since: 0, changeIndex: 0, locations: [] };
  // compare-and-set: a verdict change applies only on top of the verdict it was computed against, so
  // a deposed master's late proposal (or a new master's repeat) never commits a change twice
  if (cur.verdict !== c.previous) return fail(ErrorCode.Conflict, `the verdict of check ${c.checkId} is ${cur.verdict}, not ${c.previous}`, { current: cur.verdict });
  if (c.verdict === c.previous) return fail(ErrorCode.BadRequest, 'a verdict change must change the verdict');
  m.verdicts.set(c.checkId, { verdict: c.verdict, since: ctx.at, changeIndex: ctx.index, locations: structuredClone(c.locations) });
  const tl = m.timeline.get(c.checkId) ?? [];
  const lastKnown = lastKnownVerdict(tl);
  tl.push([ctx.at, c.verdict]);
  if (tl.length > MonitorLimits.timeline) tl.splice(0, tl.length - MonitorLimits.timeline);
  m.timeline.set(c.checkId, tl);
  const muted = check.server !== null && ctx.inMaintenance(check.server);
  const deliver = !muted && check.enabled && notifiable(lastKnown, c.verdict);
  const alert: Alert = {
    id: ctx.index,
    change: { checkId: check.id, name: check.name, server: check.server, verdict: c.verdict, previous: c.previous, at: new Date(ctx.at).toISOString(), locations: structuredClone(c.locations) },
    muted,
    notify: deliver,
    deliveries: deliver ? [...m.targets.values()].map((t) => ({ targetId: t.id, state: 'pending' as const, attempts: 0, lastError: null, lastAttemptAt: null })) : [],
  };
  m.alerts.push(alert);
  if (m.alerts.length > MonitorLimits.alerts) m.alerts.splice(0, m.alerts.length - MonitorLimits.alerts);
  ctx.describe(check.server ?? '', `${check.name}: ${c.previous} → ${c.verdict}${muted ? ' (muted: maintenance)' : ''}`, { checkId: check.id, verdict: c.verdict, previous: c.previous });
  ctx.touch();
  return ok({ alert: structuredClone(alert) });
}

function defOf(id: number, c: CheckInput, ctx: MonitorCtx): CheckDef {
  const def = { ...c, id, server: c.server ?? null, enabled: c.enabled ?? true, createdAt: ctx.at, updatedAt: ctx.at, createdBy: ctx.user } as CheckDef;
  for (const k of Object.keys(def) as Array<keyof CheckDef>) if (def[k] === undefined) delete def[k];
  return def;
}

function privateRefusal(m: MonitoringData, c: Pick<CheckInput, 'type' | 'target'>): ApplyResult | null {
  if (m.allowPrivateTargets) return null;
  const host = targetHost(c.type, c.target);
  if (host !== null && isPrivateHost(host)) {
    return fail(ErrorCode.Forbidden, `target ${host} is a private or loopback address, and an admin has forbidden those (monitor-settings)`, { field: 'target' });
  }
  return null;
}

const HTTP_ONLY = ['method', 'expectStatus', 'keyword', 'jsonPath', 'jsonExpect', 'certExpiryDays', 'body', 'headers', 'ignoreTls'];
const DNS_ONLY = ['dnsRecordType', 'dnsExpect', 'dnsServer'];
function dropForeignFields(merged: Record<string, unknown>, type: string, patch: Record<string, unknown>): void {
  const foreign = type === 'http' ? DNS_ONLY : type === 'dns' ? HTTP_ONLY : [...HTTP_ONLY, ...DNS_ONLY];
  for (const k of foreign) if (!(k in patch)) delete merged[k];
}

/** Fraction of [from, to] the check was UP, from its committed timeline; null when its verdict was UNKNOWN all along. */
export function uptimeOf(timeline: ReadonlyArray<readonly [number, Verdict]>, from: number, to: number): number | null {
  let up = 0;
  let known = 0;
  let verdict: Verdict = 'UNKNOWN';
  let t = from;
  for (const [at, v] of timeline) {
    if (at <= from) {
      verdict = v;
      continue;
    }
    if (at >= to) break;
    if (verdict !== 'UNKNOWN') known += at - t;
    if (verdict === 'UP') up += at - t;
    verdict = v;
    t = at;
  }
  if (verdict !== 'UNKNOWN') known += to - t;
  if (verdict === 'UP') up += to - t;
  return known > 0 ? up / known : null;
}
