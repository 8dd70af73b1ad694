// What every CLI command shares: the --node/--token/--json/--user options, the client they make,
// the user name, and printing a result as text or as the node's raw JSON.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Io } from '../headless/run.js';
import { BoardLimits, commentSchema, hostSchema } from '../board/commands.js';
import { ApiClient, DEFAULT_NODE_URL } from './api-client.js';
import { UsageError } from './time.js';

export interface CliContext {
  io: Io;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** set by a command once it knows whether --json was given (errors print as JSON too) */
  json: boolean;
}

export interface CommonOpts {
  node?: string;
  token?: string;
  json?: boolean;
  user?: string;
}

export function addCommon(cmd: Command, opts: { user?: boolean } = {}): Command {
  cmd
    .option('--node <url>', `node HTTP API (env PEERBOARD_NODE; default ${DEFAULT_NODE_URL})`)
    .option('--token <token>', 'API token, sent as Authorization: Bearer (env PEERBOARD_TOKEN)')
    .option('--json', 'print the raw JSON answer (or the error body)');
  if (opts.user) cmd.option('--user <name>', 'who you are (env PEERBOARD_USER; default the OS user)');
  return cmd;
}

export function clientOf(ctx: CliContext, o: CommonOpts, as?: string): ApiClient {
  const raw = o.node ?? ctx.env.PEERBOARD_NODE ?? DEFAULT_NODE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`bad --node "${raw}": give a URL like ${DEFAULT_NODE_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`bad --node "${raw}": only http and https URLs`);
  const token = o.token ?? ctx.env.PEERBOARD_TOKEN;
  return new ApiClient({ baseUrl: url.origin + url.pathname, ...(token ? { token } : {}), ...(as ? { user: as } : {}) });
}

export function userOf(ctx: CliContext, o: CommonOpts): string {
  const given = o.user ?? ctx.env.PEERBOARD_USER;
  if (given !== undefined) {
    if (given.trim() === '' || given.length > 128) throw new UsageError('bad --user: 1 to 128 characters');
    return given;
  }
  try {
    return userInfo().username || 'user';
  } catch {
    return ctx.env.USER ?? 'user';
  }
}

/** A host name as the board accepts it (board/commands.ts), URL-encoded; anything else is a usage error. */
export function hostArg(host: string): string {
  const r = hostSchema.safeParse(host);
  if (!r.success) throw new UsageError(`bad host "${host.length > 64 ? `${host.slice(0, 64)}...` : host}": ${r.error.issues[0]?.message ?? 'invalid'}`);
  return encodeURIComponent(host);
}

/** A comment within the board's limit, or a usage error. */
export function commentArg(comment: string | undefined): { comment: string } | Record<string, never> {
  if (comment === undefined) return {};
  if (!commentSchema.safeParse(comment).success) throw new UsageError(`comment too long: at most ${BoardLimits.commentLen} characters`);
  return { comment };
}

/** Starts a command: records --json for error printing and returns the parsed options. */
export function begin<T extends CommonOpts>(ctx: CliContext, o: T): T {
  ctx.json = Boolean(o.json);
  return o;
}

/** Prints a result: the raw JSON with --json, else the text. */
export function emit(ctx: CliContext, body: unknown, text: () => string): void {
  if (ctx.json) ctx.io.out(JSON.stringify(body, null, 2) + '\n');
  else ctx.io.out(text());
}
