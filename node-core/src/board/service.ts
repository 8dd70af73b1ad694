// The one board service: a user interface's request -> validated board command -> typed result. The
// HTTP routes, the desktop IPC handlers and the renderer's demo API all go through it; errors are values.
import type { ExtendRequest, QueueRequest, ReleaseRequest, ReserveRequest, Result } from '../api/peer-api.js';
import { ErrorCode, PeerboardError, type ErrorValue } from '../errors.js';
import { summarizeIssues } from './commands.js';
import { requestSchemas, type RequestName } from './requests.js';
import type { BoardCommand, CommandValues, Server, ServerInput } from './types.js';

/** NodeHandle's SubmitOptions, restated so this file imports nothing that needs Node (the renderer bundles it). */
export interface SubmitOptions {
  user: string;
  reqId?: string;
  caller?: 'open' | 'user' | 'admin' | 'system';
}
export interface SubmitResult {
  index: number;
  value: unknown;
}

/** What the service needs of a node: commit a command and hand back the board's answer (NodeHandle.submit). */
export interface BoardWriter {
  submit(cmd: BoardCommand, opts: SubmitOptions): Promise<SubmitResult>;
}

/** Who asks: the name the history shows and the access the edge established (default 'system'). */
export interface Actor {
  /** for inventory operations: the admin's name (reservations act as the request's user) */
  user?: string;
  caller?: SubmitOptions['caller'];
}

/** The service's answers: PeerApi's Result, a discriminated union with errors as values. */
export type BoardResult<T> = Result<T>;

export interface BoardServiceOptions {
  /** an unexpected exception (not a PeerboardError): logged here, answered as a bare INTERNAL_ERROR */
  onInternalError?: (err: unknown, request: string) => void;
}

/** What a caller sees of an unexpected failure: its message may carry internals, so it stays in the log. */
export const INTERNAL_MESSAGE = 'internal error while handling the request; see the node log';

export class BoardService {
  constructor(
    private readonly writer: BoardWriter,
    private readonly opts: BoardServiceOptions = {},
  ) {}

  reserve(req: ReserveRequest, by: Actor = {}): Promise<BoardResult<Server>> {
    return this.run('reserve', req, async (r) => {
      const cmd: BoardCommand = { type: 'reserve', host: r.host, user: r.user, ...end(r), ...(r.comment !== undefined ? { comment: r.comment } : {}) };
      return serverOf('reserve', await this.submit(cmd, r.user, by, r.idempotencyKey), r.host);
    });
  }

  release(req: ReleaseRequest, by: Actor = {}): Promise<BoardResult<Server>> {
    return this.run('release', req, async (r) => {
      if (r.force && by.caller === 'user') throw new PeerboardError(ErrorCode.Forbidden, 'a forced release needs admin rights; use the admin token');
      const cmd: BoardCommand = { type: 'release', host: r.host, user: r.user, ...(r.force ? { force: true } : {}) };
      return serverOf('release', await this.submit(cmd, r.user, by, r.idempotencyKey), r.host);
    });
  }

  /** durationSec is added to the hold's end by the state machine when the entry applies. */
  extend(req: ExtendRequest, by: Actor = {}): Promise<BoardResult<Server>> {
    return this.run('extend', req, async (r) => {
      const cmd: BoardCommand = { type: 'extend', host: r.host, user: r.user, ...end(r) };
      return serverOf('extend', await this.submit(cmd, r.user, by, r.idempotencyKey), r.host);
    });
  }

  queue(req: QueueRequest, by: Actor = {}): Promise<BoardResult<Server>> {
    return this.run('queue', req, async (r) => {
      const cmd: BoardCommand = { type: 'queue', host: r.host, user: r.user, durationSec: r.durationSec, ...(r.comment !== undefined ? { comment: r.comment } : {}) };
      return serverOf('queue', await this.submit(cmd, r.user, by, r.idempotencyKey), r.host);
    });
  }

  leaveQueue(req: { host: string; user: string; idempotencyKey?: string }, by: Actor = {}): Promise<BoardResult<Server>> {
    return this.run('leaveQueue', req, async (r) => serverOf('unqueue', await this.submit({ type: 'unqueue', host: r.host, user: r.user }, r.user, by, r.idempotencyKey), r.host));
  }

  addServer(server: ServerInput, by: Actor = {}): Promise<BoardResult<Server>> {
    return this.run('addServer', server, async (s) => serverOf('server-add', await this.submit({ type: 'server-add', server: s }, adminOf(by), by), s.host));
  }

  updateServer(host: string, patch: Omit<ServerInput, 'host'>, by: Actor = {}): Promise<BoardResult<Server>> {
    return this.run('updateServer', [host, patch], async ([h, p]) => serverOf('server-update', await this.submit({ type: 'server-update', host: h, patch: p }, adminOf(by), by), h));
  }

  removeServer(host: string, by: Actor = {}): Promise<BoardResult<{ host: string }>> {
    return this.run('removeServer', host, async (h) => {
      await this.submit({ type: 'server-remove', host: h }, adminOf(by), by);
      return { host: h };
    });
  }

  /** count: how many rows the import named (each added, updated or already equal). */
  importServers(data: { serversList: ServerInput[]; replace?: boolean }, by: Actor = {}): Promise<BoardResult<{ count: number }>> {
    return this.run('importServers', data, async (d) => {
      const cmd: BoardCommand = { type: 'servers-import', servers: d.serversList, ...(d.replace !== undefined ? { replace: d.replace } : {}) };
      await this.submit(cmd, adminOf(by), by);
      return { count: d.serversList.length };
    });
  }

  /** reason: why (optional, at most 200 characters), kept on the row with who and since when */
  setMaintenance(host: string, on: boolean, by: Actor = {}, reason?: string): Promise<BoardResult<Server>> {
    return this.run('setMaintenance', reason === undefined ? [host, on] : [host, on, reason], async ([h, o, r]) =>
      serverOf('maintenance', await this.submit({ type: 'maintenance', host: h, on: o, ...(r !== undefined ? { reason: r } : {}) }, adminOf(by), by), h),
    );
  }

  // ---------------------------------------------------------------------------------------------

  /** Validates the request with the board's schemas, runs it, and turns every failure into a value. */
  private async run<N extends RequestName, T>(name: N, raw: unknown, fn: (req: RequestOf<N>) => Promise<T>): Promise<BoardResult<T>> {
    const parsed = requestSchemas[name].safeParse(raw);
    if (!parsed.success) return { ok: false, error: badRequest(name, parsed.error.issues) };
    try {
      return { ok: true, value: await fn(parsed.data as RequestOf<N>) };
    } catch (err) {
      if (err instanceof PeerboardError) return { ok: false, error: err.toValue() };
      this.opts.onInternalError?.(err, name);
      return { ok: false, error: { code: ErrorCode.Internal, message: INTERNAL_MESSAGE, details: {} } };
    }
  }

  private submit(cmd: BoardCommand, user: string, by: Actor, reqId?: string): Promise<SubmitResult> {
    return this.writer.submit(cmd, { user, ...(reqId !== undefined ? { reqId } : {}), ...(by.caller !== undefined ? { caller: by.caller } : {}) });
  }
}

type RequestOf<N extends RequestName> = ReturnType<(typeof requestSchemas)[N]['parse']>;

/** The end a reserve or extend names: exactly one of until / durationSec (the schema checked it). */
function end(r: { until?: number | undefined; durationSec?: number | undefined }): { until: number } | { durationSec: number } {
  return r.durationSec !== undefined ? { durationSec: r.durationSec } : { until: r.until as number };
}

function adminOf(by: Actor): string {
  return by.user && by.user.trim() !== '' ? by.user : 'admin';
}

/** The server row a command answers with (CommandValues: the board's contract for each type). */
function serverOf<K extends 'reserve' | 'release' | 'extend' | 'queue' | 'unqueue' | 'server-add' | 'server-update' | 'maintenance'>(
  type: K,
  result: SubmitResult,
  host: string,
): Server {
  const v = result.value as CommandValues[K] | undefined;
  if (typeof v !== 'object' || v === null || typeof v.server !== 'object' || v.server === null || v.server.host !== host) {
    throw new PeerboardError(ErrorCode.Internal, `the board answered ${type} on ${host} without the server row`, { type, host });
  }
  return v.server;
}

function badRequest(name: RequestName, issues: Parameters<typeof summarizeIssues>[0]): ErrorValue {
  const summary = summarizeIssues(issues);
  const first = summary[0] ?? { path: '(request)', message: 'invalid' };
  const field = first.path === '(command)' ? '(request)' : first.path;
  return new PeerboardError(ErrorCode.BadRequest, `invalid ${name} request: ${field}: ${first.message}`, { field, issues: summary }).toValue();
}
