// The CLI's HTTP client for a node's API: bearer token, idempotency key, one retry on a network
// error with the same key, and answers sorted into "done", "refused by the node" and "unreachable".
import { encodeUserHeader, USER_HEADER } from '../api/peer-api.js';

/** What scripts rely on. */
export const ExitCode = { Ok: 0, Refused: 1, Usage: 2, Unreachable: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Largest answer read from a node. */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
export const DEFAULT_NODE_URL = 'http://localhost:8777';
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** Pause before the single retry after a network error. */
export const RETRY_DELAY_MS = 300;

export interface ErrorBody {
  success: false;
  error: string;
  message: string;
  code: string;
  details: Record<string, unknown>;
}

/** The node answered 4xx/5xx (or something that is not JSON). */
export class RefusedError extends Error {
  override name = 'RefusedError';
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
  get code(): string {
    return this.body.code;
  }
}

/** No answer: connection refused, reset, DNS failure or timeout (after the retry). */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
  readonly body: ErrorBody;
  constructor(url: string, reason: string) {
    super(`cannot reach the node at ${url}: ${reason}`);
    this.body = { success: false, error: 'Unreachable', message: this.message, code: 'UNREACHABLE', details: { url, reason } };
  }
}

export type HttpVerb = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface ClientOptions {
  baseUrl: string;
  token?: string;
  timeoutMs?: number;
  /** sent as X-Peerboard-User: who the history names for admin operations */
  user?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function reasonOf(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

/** Normalises a non-2xx body into seed 002's error shape. */
function errorBodyOf(status: number, text: string): ErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (isObject(parsed) && typeof parsed.message === 'string') {
    return {
      success: false,
      error: typeof parsed.error === 'string' ? parsed.error : `HTTP ${status}`,
      message: parsed.message,
      code: typeof parsed.code === 'string' ? parsed.code : `HTTP_${status}`,
      details: isObject(parsed.details) ? parsed.details : {},
    };
  }
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return { success: false, error: `HTTP ${status}`, message: `the node answered HTTP ${status}${snippet ? `: ${snippet}` : ''}`, code: `HTTP_${status}`, details: {} };
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly user: string | undefined;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
    this.user = opts.user;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  get(path: string): Promise<unknown> {
    return this.request('GET', path);
  }

  post(path: string, body: unknown, idempotencyKey?: string): Promise<unknown> {
    return this.request('POST', path, body, idempotencyKey);
  }

  /**
   * A write the node does not deduplicate (the monitoring routes take no idempotency key): sent once,
   * never retried, so a connection that breaks after the node took it cannot create a second check.
   */
  postOnce(path: string, body: unknown): Promise<unknown> {
    return this.request('POST', path, body, undefined, { retry: false });
  }

  /** A patch sets fields to given values: repeating it is harmless, so it is retried like a read. */
  patch(path: string, body: unknown): Promise<unknown> {
    return this.request('PATCH', path, body);
  }

  /** Sent once: a retry after the node took the first would answer "not found" for a removal that happened. */
  delete(path: string): Promise<unknown> {
    return this.request('DELETE', path, undefined, undefined, { retry: false });
  }

  /** Sends one request; retries once after a network error (same idempotency key) unless told not to. Returns the parsed JSON answer. */
  async request(method: HttpVerb, path: string, body?: unknown, idempotencyKey?: string, opts: { retry?: boolean } = {}): Promise<unknown> {
    const url = this.baseUrl + path;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.user) headers[USER_HEADER] = encodeUserHeader(this.user);
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    let res: Response | undefined;
    let lastErr: unknown;
    const attempts = opts.retry === false ? 1 : 2;
    for (let attempt = 0; attempt < attempts && !res; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      try {
        res = await fetch(url, {
          method,
          headers,
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        lastErr = err;
      }
    }
    if (!res) throw new UnreachableError(this.baseUrl, reasonOf(lastErr));
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new UnreachableError(this.baseUrl, `answer cut off: ${reasonOf(err)}`);
    }
    if (text.length > MAX_RESPONSE_BYTES) {
      throw new RefusedError(res.status, errorBodyOf(res.status, `answer larger than ${MAX_RESPONSE_BYTES} bytes`));
    }
    if (!res.ok) throw new RefusedError(res.status, errorBodyOf(res.status, text));
    try {
      return text === '' ? {} : (JSON.parse(text) as unknown);
    } catch {
      throw new RefusedError(res.status, {
        success: false,
        error: 'Bad Answer',
        message: `the node answered HTTP ${res.status} with something that is not JSON; is ${this.baseUrl} a Peerboard node?`,
        code: 'BAD_ANSWER',
        details: {},
      });
    }
  }
}

// Answers may come bare or wrapped ({success:true, data|server|...}); these pick out the payload.

export function unwrap(body: unknown): unknown {
  if (isObject(body) && body.success === true && 'data' in body) return body.data;
  return body;
}

export function pickServers<T>(body: unknown): T[] | undefined {
  const b = unwrap(body);
  if (Array.isArray(b)) return b as T[];
  if (!isObject(b)) return undefined;
  for (const k of ['serversList', 'servers'] as const) if (Array.isArray(b[k])) return b[k] as T[];
  if (isObject(b.serversData) && Array.isArray(b.serversData.serversList)) return b.serversData.serversList as T[];
  return undefined;
}

export function pickServer<T>(body: unknown): T | undefined {
  const b = unwrap(body);
  if (!isObject(b)) return undefined;
  if (isObject(b.server)) return b.server as T;
  if (isObject(b.value)) return b.value as T;
  return typeof b.host === 'string' ? (b as T) : undefined;
}

export function pickItems<T>(body: unknown): T[] | undefined {
  const b = unwrap(body);
  if (Array.isArray(b)) return b as T[];
  if (!isObject(b)) return undefined;
  for (const k of ['items', 'history', 'userRequests'] as const) if (Array.isArray(b[k])) return b[k] as T[];
  return undefined;
}

export function pickObject(body: unknown, key: string): Record<string, unknown> | undefined {
  const b = unwrap(body);
  if (!isObject(b)) return undefined;
  return isObject(b[key]) ? b[key] : b;
}
