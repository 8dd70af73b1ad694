// The dependent side's HTTP client for seed 003's sync API: register (team key → JWT), fetch the checks,
// send a heartbeat. A follower's 403 NOT_LEADER names the primary: the client follows it (a few hops at
// most); when the primary is unreachable it tries the other addresses it knows (configured, failover order).
import type { HeartbeatPayload, InstanceRegistration, SyncConfiguration } from './sync-schema.js';

/** largest answer read from a primary (the whole check list of a big board fits) */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
/** redirects (NOT_LEADER → primary) followed for one request */
export const MAX_HOPS = 3;
/** addresses remembered (configured ones first) */
export const MAX_KNOWN = 16;

export class SyncHttpError extends Error {
  override name = 'SyncHttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SyncClientOptions {
  /** the primary's URL(s) as configured: http(s)://host:port */
  primaries: string[];
  secret: string;
  requestTimeoutMs: number;
  fetch?: typeof fetch;
}

/** "http://host:port" without a trailing slash, or null for anything that is not an http(s) origin */
export function normalizeUrl(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > 2048) return null;
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

export class SyncClient {
  /** where requests go now */
  current: string;
  private readonly known: string[];
  private token: string | null = null;
  tokenExpiresAt = 0;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: SyncClientOptions) {
    const list = opts.primaries.map(normalizeUrl).filter((u): u is string => u !== null);
    if (list.length === 0) throw new Error('give the primary as http(s)://host:port');
    this.known = [...new Set(list)].slice(0, MAX_KNOWN);
    this.current = this.known[0]!;
    this.fetchFn = opts.fetch ?? fetch;
  }

  get registered(): boolean {
    return this.token !== null;
  }

  forgetToken(): void {
    this.token = null;
  }

  /** addresses learnt from the failover order, after the configured ones */
  learn(urls: string[]): void {
    for (const raw of urls) {
      const u = normalizeUrl(raw);
      if (u && !this.known.includes(u) && this.known.length < MAX_KNOWN) this.known.push(u);
    }
  }

  /** after a network failure: the next known address */
  rotate(): void {
    const i = this.known.indexOf(this.current);
    this.current = this.known[(i + 1) % this.known.length] ?? this.current;
  }

  async register(reg: InstanceRegistration): Promise<{ configVersion: number }> {
    const body = await this.request('POST', '/sync/api/register', reg, this.opts.secret);
    const token = body.token;
    if (typeof token !== 'string' || token.length > 4096) throw new SyncHttpError(502, 'BAD_ANSWER', 'the primary answered a registration without a token');
    this.token = token;
    const exp = typeof body.expiresAt === 'string' ? Date.parse(body.expiresAt) : NaN;
    this.tokenExpiresAt = Number.isFinite(exp) ? exp : Date.now() + 3_600_000;
    return { configVersion: typeof body.configVersion === 'number' ? body.configVersion : 0 };
  }

  async endpoints(): Promise<SyncConfiguration> {
    const body = await this.request('GET', '/sync/api/endpoints', undefined, this.bearer());
    if (!Array.isArray(body.endpoints)) throw new SyncHttpError(502, 'BAD_ANSWER', 'the primary answered without endpoints');
    return body as unknown as SyncConfiguration;
  }

  async failoverAddresses(): Promise<string[]> {
    const body = await this.request('GET', '/sync/api/failover-order', undefined, this.bearer());
    const order = Array.isArray(body.failoverOrder) ? (body.failoverOrder as Array<{ address?: unknown }>) : [];
    return order.map((e) => e.address).filter((a): a is string => typeof a === 'string');
  }

  async heartbeat(hb: HeartbeatPayload): Promise<{ accepted: number; configVersion: number }> {
    const body = await this.request('PUT', '/sync/api/heartbeat', hb, this.bearer());
    return { accepted: typeof body.accepted === 'number' ? body.accepted : 0, configVersion: typeof body.configVersion === 'number' ? body.configVersion : 0 };
  }

  private bearer(): string {
    if (!this.token) throw new SyncHttpError(401, 'UNAUTHORIZED', 'not registered yet');
    return this.token;
  }

  /** one request, following NOT_LEADER to the primary it names; throws SyncHttpError (status 0: no answer) */
  private async request(method: string, path: string, json: unknown, bearer: string): Promise<Record<string, unknown>> {
    for (let hop = 0; ; hop++) {
      let res: Response;
      try {
        res = await this.fetchFn(`${this.current}${path}`, {
          method,
          headers: { authorization: `Bearer ${bearer}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
          signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
          redirect: 'error',
        });
      } catch (err) {
        throw new SyncHttpError(0, 'UNREACHABLE', `${this.current} did not answer: ${(err as Error).message}`);
      }
      const body = await readJson(res);
      if (res.ok) return body;
      const code = typeof body.code === 'string' ? body.code : `HTTP_${res.status}`;
      const message = typeof body.message === 'string' ? body.message.slice(0, 500) : `HTTP ${res.status}`;
      const primary = normalizeUrl(body.primary);
      if (code === 'NOT_LEADER' && primary && primary !== this.current && hop < MAX_HOPS) {
        this.current = primary;
        this.learn([primary]);
        continue;
      }
      throw new SyncHttpError(res.status, code, message);
    }
  }
}

async function readJson(res: Response): Promise<Record<string, unknown>> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_ANSWER_BYTES) {
    await res.body?.cancel();
    throw new SyncHttpError(502, 'BAD_ANSWER', `the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
  }
  const buf = await res.arrayBuffer().catch(() => new ArrayBuffer(0));
  if (buf.byteLength > MAX_ANSWER_BYTES) throw new SyncHttpError(502, 'BAD_ANSWER', `the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
  try {
    const v: unknown = JSON.parse(Buffer.from(buf).toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
