// CLI commands for endpoint monitoring (issue 12): `checks` (list, add, update, remove, show), `alerts`
// and `notifications` (list, add, remove), over the node's /api/checks, /api/alerts, /api/notifications.
import type { Command } from 'commander';
import type { CheckView } from '../monitoring/monitor-service.js';
import type { Alert, NotificationInput, NotificationTargetView } from '../monitoring/types.js';
import { notificationInputSchema } from '../monitoring/check-schema.js';
import { RefusedError, unwrap } from './api-client.js';
import { addCommon, begin, clientOf, emit, userOf, type CliContext, type CommonOpts } from './context.js';
import { addCheckFlags, checkInputOf, checkPatchOf, type CheckFlags } from './monitor-flags.js';
import { renderAlerts, renderCheck, renderChecks, renderTargets } from './monitor-table.js';
import { UsageError } from './time.js';

export const MAX_ALERTS_LIMIT = 500;

function badAnswer(what: string): RefusedError {
  return new RefusedError(200, { success: false, error: 'Bad Answer', message: `the node sent no ${what}; is it a Peerboard node with monitoring?`, code: 'BAD_ANSWER', details: {} });
}

/** the list (or object) under `key` of an answer, or a BAD_ANSWER refusal */
function listOf<T>(body: unknown, key: string): T[] {
  const b = unwrap(body) as Record<string, unknown> | unknown[] | null;
  const v = Array.isArray(b) ? b : b && typeof b === 'object' ? b[key] : undefined;
  if (!Array.isArray(v)) throw badAnswer(`${key} list`);
  return v as T[];
}

function objectOf<T>(body: unknown, key: string): T {
  const b = unwrap(body) as Record<string, unknown> | null;
  const v = b && typeof b === 'object' ? b[key] : undefined;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badAnswer(key);
  return v as T;
}

/** A check or target id: a positive integer (the API's own pattern), else a usage error. */
export function idArg(what: string, text: string): number {
  if (!/^[1-9][0-9]{0,14}$/.test(text)) throw new UsageError(`bad ${what} id "${text.slice(0, 40)}": a positive whole number (see the ID column)`);
  return Number(text);
}

function summary(c: CheckView): string {
  const on = c.server ? ` on ${c.server}` : '';
  const off = c.enabled === false ? ', disabled' : '';
  return `check ${c.id} "${c.name}": ${c.type} ${c.target}${on}, every ${c.intervalSec}s${off}`;
}

export function addMonitorCommands(program: Command, ctx: CliContext): void {
  const checks = program.command('checks').description('endpoint checks: list (default), add, update, remove, show');

  addCommon(checks.command('list', { isDefault: true }).description('every check with its verdict, locations up and uptime')).action(async (raw: CommonOpts) => {
    const o = begin(ctx, raw);
    const body = await clientOf(ctx, o).get('/api/checks');
    const list = listOf<CheckView>(body, 'checks');
    emit(ctx, body, () => renderChecks(list));
  });

  addCommon(addCheckFlags(checks.command('add').description('add a check (admin)'), 'add'), { user: true }).action(async (raw: CommonOpts & CheckFlags) => {
    const o = begin(ctx, raw);
    const input = checkInputOf(o);
    const body = await clientOf(ctx, o, userOf(ctx, o)).postOnce('/api/checks', input);
    const check = objectOf<CheckView>(body, 'check');
    emit(ctx, body, () => `added ${summary(check)}\n`);
  });

  addCommon(addCheckFlags(checks.command('update <id>').description('change a check: only the flags given (admin)'), 'update'), { user: true }).action(
    async (id: string, raw: CommonOpts & CheckFlags) => {
      const o = begin(ctx, raw);
      const n = idArg('check', id);
      const patch = checkPatchOf(o);
      const body = await clientOf(ctx, o, userOf(ctx, o)).patch(`/api/checks/${n}`, patch);
      const check = objectOf<CheckView>(body, 'check');
      emit(ctx, body, () => `updated ${summary(check)}\n`);
    },
  );

  addCommon(checks.command('remove <id>').alias('rm').description('remove a check and its results (admin)'), { user: true }).action(async (id: string, raw: CommonOpts) => {
    const o = begin(ctx, raw);
    const n = idArg('check', id);
    const body = await clientOf(ctx, o, userOf(ctx, o)).delete(`/api/checks/${n}`);
    emit(ctx, body, () => `removed check ${n}\n`);
  });

  addCommon(checks.command('show <id>').description("one check: its definition, verdict, uptime and each location's latest result")).action(async (id: string, raw: CommonOpts) => {
    const o = begin(ctx, raw);
    const n = idArg('check', id);
    const body = await clientOf(ctx, o).get(`/api/checks/${n}`);
    const check = objectOf<CheckView>(body, 'check');
    emit(ctx, body, () => renderCheck(check, ctx.now()));
  });

  addCommon(
    program
      .command('alerts')
      .description('recent verdict changes, newest first, with their notifications')
      .option('--limit <n>', `how many (1-${MAX_ALERTS_LIMIT})`, '50'),
  ).action(async (raw: CommonOpts & { limit: string }) => {
    const o = begin(ctx, raw);
    if (!/^\d{1,3}$/.test(o.limit) || Number(o.limit) < 1 || Number(o.limit) > MAX_ALERTS_LIMIT) throw new UsageError(`bad --limit "${o.limit.slice(0, 40)}": 1 to ${MAX_ALERTS_LIMIT}`);
    const body = await clientOf(ctx, o).get(`/api/alerts?limit=${Number(o.limit)}`);
    const alerts = listOf<Alert>(body, 'alerts');
    emit(ctx, body, () => renderAlerts(alerts, ctx.now()));
  });

  const notifications = program.command('notifications').description('where verdict changes are sent (admin): list (default), add, remove');

  addCommon(notifications.command('list', { isDefault: true }).description('the notification targets (admin)')).action(async (raw: CommonOpts) => {
    const o = begin(ctx, raw);
    const body = await clientOf(ctx, o).get('/api/notifications');
    const list = listOf<NotificationTargetView>(body, 'notifications');
    emit(ctx, body, () => renderTargets(list));
  });

  addCommon(
    notifications
      .command('add')
      .description('add a webhook or Slack target (admin)')
      .requiredOption('--type <type>', 'webhook (JSON, HMAC-signed with --secret) or slack')
      .requiredOption('--url <url>', 'where to POST')
      .option('--secret <secret>', 'webhook: HMAC-SHA256 key (8-256 characters; env PEERBOARD_WEBHOOK_SECRET keeps it out of ps)')
      .option('--name <name>', 'what people call it'),
    { user: true },
  ).action(async (raw: CommonOpts & { type: string; url: string; secret?: string; name?: string }) => {
    const o = begin(ctx, raw);
    const secret = o.secret ?? ctx.env.PEERBOARD_WEBHOOK_SECRET;
    const input: NotificationInput = { type: o.type.toLowerCase() as NotificationInput['type'], url: o.url, ...(secret ? { secret } : {}), ...(o.name !== undefined ? { name: o.name } : {}) };
    const r = notificationInputSchema.safeParse(input);
    if (!r.success) {
      const i = r.error.issues[0];
      throw new UsageError(`bad --${String(i?.path[0] ?? 'type')}: ${i?.message ?? 'invalid'}`);
    }
    const body = await clientOf(ctx, o, userOf(ctx, o)).postOnce('/api/notifications', input);
    const t = objectOf<NotificationTargetView>(body, 'notification');
    emit(ctx, body, () => `added notification target ${t.id} "${t.name}": ${t.type}${t.hasSecret ? ', signed' : ''}\n`);
  });

  addCommon(notifications.command('remove <id>').alias('rm').description('remove a notification target (admin)'), { user: true }).action(async (id: string, raw: CommonOpts) => {
    const o = begin(ctx, raw);
    const n = idArg('notification target', id);
    const body = await clientOf(ctx, o, userOf(ctx, o)).delete(`/api/notifications/${n}`);
    emit(ctx, body, () => `removed notification target ${n}\n`);
  });
}
