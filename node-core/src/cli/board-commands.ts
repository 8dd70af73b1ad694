// CLI commands on the board: servers, reserve (optionally waiting in the queue), release, extend, queue.
import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import type { Server } from '../board/types.js';
import { pickServer, pickServers, RefusedError, UnreachableError } from './api-client.js';
import { BoardLimits } from '../board/commands.js';
import { addCommon, begin, clientOf, commentArg, emit, hostArg, userOf, type CliContext, type CommonOpts } from './context.js';
import { filterServers, renderServers, untilText } from './table.js';
import { parseDuration, parseUntil, UsageError } from './time.js';

/** Hold length when reserve gets neither --for nor --until. */
export const DEFAULT_RESERVE = '1h';
export const DEFAULT_WAIT_TIMEOUT = '30m';
export const DEFAULT_POLL_MS = 2000;

type Span = { durationSec: number } | { until: number };

function spanOf(ctx: CliContext, o: { for?: string; until?: string }, fallback?: string): Span {
  if (o.for !== undefined && o.until !== undefined) throw new UsageError('give --for or --until, not both');
  if (o.until !== undefined) return { until: parseUntil(o.until, ctx.now()) };
  const d = o.for ?? fallback;
  if (d === undefined) throw new UsageError('give --for DURATION (e.g. 2h) or --until TIME (HH:MM or ISO)');
  return { durationSec: parseDuration(d) };
}

function heldText(verb: string, s: Server | undefined, host: string, ctx: CliContext): string {
  const until = s?.until ? ` until ${untilText(s.until, ctx.now(), true)}` : '';
  return `${verb} ${host}${s?.holder ? ` for ${s.holder}` : ''}${until}\n`;
}

export function addBoardCommands(program: Command, ctx: CliContext): void {
  addCommon(
    program
      .command('servers')
      .description('list servers as a table')
      .option('--env <env>', 'only this environment')
      .option('--app <app>', 'only this application')
      .option('--status <status>', 'only this status (Available, Reserved, Maintenance, ...)')
      .option('--mine', 'only servers held by --user'),
    { user: true },
  ).action(async (raw: CommonOpts & { env?: string; app?: string; status?: string; mine?: boolean }) => {
    const o = begin(ctx, raw);
    const filtering = o.env !== undefined || o.app !== undefined || o.status !== undefined || Boolean(o.mine);
    const holder = o.mine ? userOf(ctx, o) : undefined;
    const body = await clientOf(ctx, o).get('/api/servers');
    const all = pickServers<Server>(body);
    if (!all) throw new RefusedError(200, { success: false, error: 'Bad Answer', message: 'the node sent no server list', code: 'BAD_ANSWER', details: {} });
    const list = filterServers(all, { env: o.env, app: o.app, status: o.status, holder });
    emit(ctx, filtering ? list : body, () => renderServers(list, ctx.now()));
  });

  addCommon(
    program
      .command('reserve <host>')
      .description(`reserve a server (default for ${DEFAULT_RESERVE})`)
      .option('--for <duration>', 'how long: 90s, 30m, 2h, 1d')
      .option('--until <time>', 'until HH:MM today or an ISO time')
      .option('-m, --comment <text>', 'why you hold it')
      .option('--wait', 'if it is held, join the queue and wait until it is yours')
      .option('--timeout <duration>', `with --wait: give up after this long (default ${DEFAULT_WAIT_TIMEOUT})`)
      .addOption(new Option('--poll-ms <ms>', 'with --wait: poll interval').hideHelp()),
    { user: true },
  ).action(async (host: string, raw: CommonOpts & { for?: string; until?: string; comment?: string; wait?: boolean; timeout?: string; pollMs?: string }) => {
    const o = begin(ctx, raw);
    const path = `/api/servers/${hostArg(host)}`;
    const span = spanOf(ctx, o, DEFAULT_RESERVE);
    const timeoutSec = parseDuration(o.timeout ?? DEFAULT_WAIT_TIMEOUT);
    const pollMs = o.pollMs === undefined ? DEFAULT_POLL_MS : Number(o.pollMs);
    if (!Number.isInteger(pollMs) || pollMs < 10 || pollMs > 60_000) throw new UsageError('bad --poll-ms: 10 to 60000');
    const user = userOf(ctx, o);
    const client = clientOf(ctx, o);
    const key = randomUUID();
    const comment = commentArg(o.comment);
    try {
      const body = await client.post(`${path}/reserve`, { user, ...span, ...comment, idempotencyKey: key }, key);
      emit(ctx, body, () => heldText('reserved', pickServer<Server>(body), host, ctx));
      return;
    } catch (err) {
      if (!(o.wait && err instanceof RefusedError && err.code === 'CONFLICT')) throw err;
    }
    // held by someone else: queue, then wait until the node grants it to us
    const asked = 'durationSec' in span ? span.durationSec : span.until - Math.floor(ctx.now().getTime() / 1000);
    const durationSec = Math.max(BoardLimits.minQueueDurationSec, asked); // the board's shortest queued hold
    const qkey = `${key}-queue`;
    const queued = await client.post(`${path}/queue`, { user, durationSec, ...comment, idempotencyKey: qkey }, qkey);
    const qs = pickServer<Server>(queued);
    const pos = qs?.queue?.findIndex((q) => q.user === user) ?? -1;
    ctx.io.err(`${host} is held${qs?.holder ? ` by ${qs.holder}` : ''}; queued${pos >= 0 ? ` at position ${pos + 1}` : ''}, waiting up to ${o.timeout ?? DEFAULT_WAIT_TIMEOUT}\n`);
    const deadline = Date.now() + timeoutSec * 1000;
    const maxPolls = Math.ceil((timeoutSec * 1000) / pollMs) + 1;
    for (let i = 0; i < maxPolls && Date.now() < deadline; i++) {
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
      let body: unknown;
      try {
        body = await client.get(path);
      } catch (err) {
        if (err instanceof UnreachableError) continue; // the node may come back before the deadline
        throw err;
      }
      const s = pickServer<Server>(body);
      if (s?.holder === user) {
        emit(ctx, body, () => heldText('reserved', s, host, ctx));
        return;
      }
    }
    throw new RefusedError(504, {
      success: false,
      error: 'Timeout',
      message: `${host} was not granted within ${o.timeout ?? DEFAULT_WAIT_TIMEOUT}; you are still in its queue`,
      code: 'TIMEOUT',
      details: { host, user },
    });
  });

  addCommon(
    program.command('release <host>').description('release a server you hold').option('--force', 'admin: release someone else’s hold'),
    { user: true },
  ).action(async (host: string, raw: CommonOpts & { force?: boolean }) => {
    const o = begin(ctx, raw);
    const key = randomUUID();
    const force = o.force ? { force: true } : {};
    const body = await clientOf(ctx, o).post(`/api/servers/${hostArg(host)}/release`, { user: userOf(ctx, o), ...force, idempotencyKey: key }, key);
    const next = pickServer<Server>(body)?.holder;
    emit(ctx, body, () => `released ${host}${next ? ` (now held by ${next}, next in its queue)` : ''}\n`);
  });

  addCommon(
    program
      .command('extend <host>')
      .description('extend your hold on a server')
      .option('--for <duration>', 'extend by this long: 30m, 2h, 1d')
      .option('--until <time>', 'extend until HH:MM today or an ISO time'),
    { user: true },
  ).action(async (host: string, raw: CommonOpts & { for?: string; until?: string }) => {
    const o = begin(ctx, raw);
    const span = spanOf(ctx, o);
    const key = randomUUID();
    const body = await clientOf(ctx, o).post(`/api/servers/${hostArg(host)}/extend`, { user: userOf(ctx, o), ...span, idempotencyKey: key }, key);
    emit(ctx, body, () => heldText('extended', pickServer<Server>(body), host, ctx));
  });

  addCommon(
    program
      .command('queue <host>')
      .description('join the queue of a held server')
      .requiredOption('--for <duration>', 'how long you will hold it once granted')
      .option('-m, --comment <text>', 'why you need it'),
    { user: true },
  ).action(async (host: string, raw: CommonOpts & { for: string; comment?: string }) => {
    const o = begin(ctx, raw);
    const durationSec = parseDuration(o.for);
    const user = userOf(ctx, o);
    const key = randomUUID();
    const comment = commentArg(o.comment);
    const body = await clientOf(ctx, o).post(`/api/servers/${hostArg(host)}/queue`, { user, durationSec, ...comment, idempotencyKey: key }, key);
    const pos = pickServer<Server>(body)?.queue?.findIndex((q) => q.user === user) ?? -1;
    emit(ctx, body, () => `queued for ${host}${pos >= 0 ? ` at position ${pos + 1}` : ''}\n`);
  });
}
