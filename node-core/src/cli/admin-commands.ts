// CLI commands about the cluster: status, history, promote, maintenance.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { BoardLimits } from '../board/commands.js';
import { nodeNameSchema } from '../node-name.js';
import type { UserRequest } from '../board/types.js';
import { pickItems, pickObject, RefusedError } from './api-client.js';
import { addCommon, begin, clientOf, emit, hostArg, userOf, type CliContext, type CommonOpts } from './context.js';
import { renderHistory } from './table.js';
import { formatSpan, UsageError } from './time.js';

export const MAX_HISTORY_LIMIT = 500;
/** longest maintenance reason (the board's BoardLimits.maintenanceReasonLen) */
export const MAX_REASON_CHARS = BoardLimits.maintenanceReasonLen;

function yesNo(v: unknown): string {
  return v === true ? 'yes' : v === false ? 'no' : '?';
}

/** The status block printed from GET /api/health. */
export function renderStatus(h: Record<string, unknown>): string {
  const leader = h.leader as { nodeId?: string; nodeIP?: string; apiPort?: number; name?: string } | null | undefined;
  const leaderAt = leader ? `${leader.nodeIP ?? '?'}:${leader.apiPort ?? '?'}` : '';
  const leaderText = leader ? (typeof leader.name === 'string' ? `${leader.name} (${leader.nodeId ?? '?'}, ${leaderAt})` : `${leader.nodeId ?? '?'} (${leaderAt})`) : 'none';
  const stale = h.stale === true ? `yes${typeof h.staleMs === 'number' ? ` (${formatSpan(h.staleMs / 1000)} without a master)` : ''}` : yesNo(h.stale);
  const voters = Array.isArray(h.voters) ? h.voters.join(', ') : '';
  const rows: Array<[string, string]> = [
    ['node', typeof h.name === 'string' ? `${h.name} (${String(h.nodeId ?? '?')})` : String(h.nodeId ?? '?')],
    ['cluster', String(h.clusterId ?? '?')],
    ['role', String(h.role ?? '?')],
    ['term', String(h.term ?? '?')],
    ['leader', leaderText],
    ['quorum', yesNo(h.quorum)],
    ['stale', stale],
    ['peers', String(h.peers ?? '?')],
    ['voters', voters || '-'],
  ];
  const w = h.asleep as { kind?: string; sleptMs?: number; dataAsOf?: number | null; caughtUpAt?: number | null } | null | undefined;
  if (w && typeof w.sleptMs === 'number') {
    const what = w.kind === 'suspended' ? 'asleep' : 'not running';
    const then = typeof w.caughtUpAt === 'number' ? `caught up at ${new Date(w.caughtUpAt).toLocaleTimeString()}` : typeof w.dataAsOf === 'number' ? `board from ${new Date(w.dataAsOf).toLocaleTimeString()}, catching up` : 'catching up';
    rows.push(['paused', `${what} for ${formatSpan(w.sleptMs / 1000)}; ${then} (local time)`]);
  }
  if (Array.isArray(h.foreignIncarnations) && h.foreignIncarnations.length > 0) {
    rows.push(['warning', `other incarnations of this cluster seen: ${h.foreignIncarnations.join(', ')}`]);
  }
  return rows.map(([k, v]) => `${k.padEnd(8)} ${v}`).join('\n') + '\n';
}

export function addAdminCommands(program: Command, ctx: CliContext): void {
  addCommon(program.command('status').description("the node's role, term, leader, quorum, staleness and peers")).action(async (raw: CommonOpts) => {
    const o = begin(ctx, raw);
    const body = await clientOf(ctx, o).get('/api/health');
    emit(ctx, body, () => renderStatus(pickObject(body, 'health') ?? {}));
  });

  addCommon(
    program
      .command('history')
      .description('the audit history, newest first')
      .option('--user <name>', 'only this user')
      .option('--host <host>', 'only this server')
      .option('--operation <op>', 'only this operation (reserve, release, grant, ...)')
      .option('--all', 'also the cluster\'s bookkeeping rows (user and node registrations)')
      .option('--limit <n>', `how many entries (1-${MAX_HISTORY_LIMIT})`, '50'),
  ).action(async (raw: CommonOpts & { host?: string; operation?: string; all?: boolean; limit: string }) => {
    const o = begin(ctx, raw);
    const limit = Number(o.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) throw new UsageError(`bad --limit "${o.limit}": 1 to ${MAX_HISTORY_LIMIT}`);
    const q = new URLSearchParams();
    if (o.user !== undefined) q.set('user', o.user);
    if (o.host !== undefined) q.set('host', o.host);
    if (o.operation !== undefined) q.set('operation', o.operation);
    else if (o.all !== true) q.set('system', 'false');
    q.set('limit', String(limit));
    const body = await clientOf(ctx, o).get(`/api/history?${q.toString()}`);
    const items = pickItems<UserRequest>(body);
    if (!items) throw new RefusedError(200, { success: false, error: 'Bad Answer', message: 'the node sent no history list', code: 'BAD_ANSWER', details: {} });
    emit(ctx, body, () => renderHistory(items, ctx.now()));
  });

  addCommon(
    program
      .command('promote <node>')
      .description('make a node the master (leadership transfer; admin). <node> is a node id, its IP or its name'),
  ).action(async (target: string, raw: CommonOpts) => {
    const o = begin(ctx, raw);
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(target) && !nodeNameSchema.safeParse(target).success) throw new UsageError(`bad node id or name "${target.slice(0, 80)}"`);
    const client = clientOf(ctx, o);
    // seed 000's body carries the node's ip; the cluster view gives it (and the id for an ip)
    const view = pickObject(await client.get('/api/state'), 'state');
    const entries = (Array.isArray(view?.clusterView) ? view.clusterView : []) as Array<{ nodeId?: string; nodeIP?: string; name?: string }>;
    const byId = entries.find((e) => e.nodeId === target);
    const byIp = entries.filter((e) => e.nodeIP === target);
    const byName = entries.filter((e) => e.name === target);
    const entry = byId ?? (byIp.length === 1 ? byIp[0] : byName.length === 1 ? byName[0] : undefined);
    if (!entry?.nodeId || !entry.nodeIP) {
      const known = entries.map((e) => `${typeof e.name === 'string' ? `${e.name}: ` : ''}${e.nodeId} (${e.nodeIP})`).join(', ') || 'none';
      const why =
        byIp.length > 1 ? `several nodes have IP ${target}; give a node id` : byName.length > 1 ? `several nodes are named "${target}"; give a node id` : `no node "${target}" in the cluster view`;
      throw new RefusedError(404, { success: false, error: 'Not Found', message: `${why}; known: ${known}`, code: 'NOT_FOUND', details: { target } });
    }
    const key = randomUUID();
    const body = await client.post('/promote', { role: 'master', ip: entry.nodeIP, nodeId: entry.nodeId }, key);
    const leader = pickObject(body, 'value')?.leaderId;
    const id = typeof leader === 'string' ? leader : entry.nodeId;
    const name = entries.find((e) => e.nodeId === id)?.name;
    emit(ctx, body, () => `${typeof name === 'string' ? `${name} (${id})` : id} is now master\n`);
  });

  addCommon(
    program
      .command('maintenance <host> <state>')
      .description('put a server in maintenance (on) or back in service (off)')
      .option('-r, --reason <text>', `why (on only; at most ${MAX_REASON_CHARS} characters): shown on the board with who set it`),
    { user: true },
  ).action(async (host: string, state: string, raw: CommonOpts & { reason?: string }) => {
    const o = begin(ctx, raw);
    const s = state.toLowerCase();
    if (s !== 'on' && s !== 'off') throw new UsageError(`maintenance state must be on or off, not "${state}"`);
    const reason = raw.reason;
    if (reason !== undefined && s === 'off') throw new UsageError('--reason goes with maintenance on, not off');
    if (reason !== undefined && reason.length > MAX_REASON_CHARS) throw new UsageError(`--reason is ${reason.length} characters; at most ${MAX_REASON_CHARS}`);
    const key = randomUUID();
    // the history names who switched it
    const req = reason === undefined ? { on: s === 'on' } : { on: true, reason };
    const body = await clientOf(ctx, o, userOf(ctx, o)).post(`/api/servers/${hostArg(host)}/maintenance`, req, key);
    emit(ctx, body, () => `${host}: maintenance ${s}${reason ? ` (${reason})` : ''}\n`);
  });
}
