// Monitoring notifications (issue 12): one HTTP delivery of one committed verdict change to one target
// (webhook or Slack), its retry schedule, and the URL checks an admin's target must pass.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isPrivateAddress } from './private-address.js';
import { deliveryId, type LocationResult, type NotificationTarget, type Verdict, type VerdictChange } from './types.js';

/** one delivery attempt's limit, connect to end of the answer's headers (and the error body we read) */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 5000;
/** we read at most this much of a receiver's answer (for the error message); the rest is cancelled */
export const MAX_ANSWER_BYTES = 64 * 1024;
/** longest notification URL accepted */
export const MAX_NOTIFICATION_URL_LENGTH = 2048;
/** first retry delay; each further one doubles it */
export const FIRST_RETRY_DELAY_MS = 1000;
/** no retry waits longer than this */
export const MAX_RETRY_DELAY_MS = 5 * 60_000;
/** attempts per delivery, the first included. With the delays above (1 s, 2 s, ... 256 s, then 5 min) the last
 *  attempt comes about 18.5 min after the first: a receiver's restart or a short outage is covered, while a target
 *  that stays broken is marked failed (and shown in the UI) rather than retried for ever. */
export const MAX_DELIVERY_ATTEMPTS = 12;
/** a delivery still pending this long after its change was committed is given up, whatever its attempts (e.g. a
 *  new master finding old pending deliveries after a long outage): a day-old "DOWN" is news nobody should be paged for. */
export const DELIVERY_GIVE_UP_MS = 24 * 3_600_000;
/** how much of a receiver's error answer goes into the delivery's error text */
const ERROR_SNIPPET_CHARS = 200;

export type DeliveryResult = { ok: true; status: number } | { ok: false; error: string; status?: number; retryable: boolean };

export interface DeliverOptions {
  timeoutMs?: number;
  /** the HTTP exchange to use (tests); default: httpPost (node:http/https) */
  post?: Post;
}

/** What a delivery needs of a receiver's answer. */
export interface PostAnswer {
  status: number;
  statusText: string;
  location: string | null;
  /** up to maxBytes of the body (less when it ends, fails or the signal fires first); the rest is dropped */
  read(maxBytes: number): Promise<Buffer>;
  /** drops the answer unread (closes its connection) */
  discard(): void;
}
/** One POST; rejects on a network error or when the signal fires before the answer's headers. */
export type Post = (url: URL, headers: Record<string, string>, body: string, signal: AbortSignal) => Promise<PostAnswer>;

/**
 * The POST over node:http/https. Not the global fetch: its first use loads undici (with its WASM HTTP
 * parser) into the process, about +20-30 MiB RSS; only the master delivers, so that put the master's RSS
 * over the 150 MB goal while the other nodes stayed near 130 (issue 12's benchmark). Redirects are never
 * followed (node:http does not follow them).
 */
export const httpPost: Post = (url, headers, body, signal) =>
  new Promise<PostAnswer>((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal });
    req.once('error', reject);
    req.once('response', (res: IncomingMessage) => {
      res.on('error', () => undefined); // a reset mid-answer ends read() with what arrived
      const location = res.headers.location;
      resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', location: typeof location === 'string' ? location : null, read: (max) => readAnswer(res, max, signal), discard: () => res.destroy() });
    });
    req.end(body);
  });

function readAnswer(res: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      res.off('data', onData);
      signal.removeEventListener('abort', done);
      res.destroy();
      resolve(Buffer.concat(chunks).subarray(0, maxBytes));
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      size += c.length;
      if (size >= maxBytes) done();
    };
    if (signal.aborted || res.destroyed) return done();
    res.on('data', onData);
    res.once('end', done);
    res.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Posts one verdict change to one target. Never throws: every failure is a result.
 * 2xx is delivered; 408, 425, 429, 5xx and network errors (refused, reset, timeout) are retryable; anything else
 * (other 4xx, a 3xx: redirects are never followed, a bad URL) is not: the target needs an admin's fix.
 */
export async function deliver(target: NotificationTarget, alertId: number, change: VerdictChange, opts: DeliverOptions = {}): Promise<DeliveryResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  const post = opts.post ?? httpPost;
  // private addresses are the admin's choice, made when the target was saved; here only the URL's form is checked
  const urlError = validateNotificationUrl(target.url, { allowPrivate: true });
  if (urlError) return { ok: false, error: urlError, retryable: false };

  const body = JSON.stringify(target.type === 'slack' ? slackMessage(change) : change);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Peerboard-Notifier/1',
    'x-peerboard-delivery': deliveryId(alertId, target.id),
    'x-peerboard-event': 'verdict',
  };
  if (target.secret) {
    const ts = String(Math.floor(Date.now() / 1000));
    headers['x-peerboard-timestamp'] = ts;
    headers['x-peerboard-signature'] = sign(target.secret, ts, body);
  }

  const signal = AbortSignal.timeout(timeoutMs);
  let res: PostAnswer;
  try {
    res = await post(new URL(target.url), headers, body, signal);
  } catch (err) {
    return { ok: false, error: describeFetchError(err, timeoutMs, signal), retryable: true };
  }
  const status = res.status;
  if (status >= 200 && status <= 299) {
    // delivered: the answer does not matter, so it is not read
    res.discard();
    return { ok: true, status };
  }
  if (status >= 300 && status <= 399) {
    res.discard();
    const to = oneLine(res.location ?? '');
    return { ok: false, status, retryable: false, error: `HTTP ${status}: redirect${to ? ` to ${to}` : ''} not followed; save the final URL instead` };
  }
  const snippet = cut(oneLine(new TextDecoder().decode(await res.read(MAX_ANSWER_BYTES).catch(() => Buffer.alloc(0)))), ERROR_SNIPPET_CHARS);
  const retryable = status === 408 || status === 425 || status === 429 || status >= 500;
  const text = `HTTP ${status}${res.statusText ? ` ${oneLine(res.statusText)}` : ''}`;
  return { ok: false, status, retryable, error: snippet ? `${text}: ${snippet}` : text };
}

/*
 * Signature scheme (webhooks with a secret). Each attempt sends
 *   X-Peerboard-Timestamp: <unix seconds when it was sent>
 *   X-Peerboard-Signature: sha256=<lower-case hex HMAC-SHA256(secret, `${timestamp}.${body}`)>
 * where body is the exact bytes of the request body (UTF-8 JSON). A receiver recomputes the HMAC over the raw
 * body it received (before any JSON parsing), compares in constant time, and refuses a timestamp too far from its
 * own clock, which stops a captured request from being replayed later. X-Peerboard-Delivery stays the same across
 * retries of one delivery (the timestamp and signature do not): drop a repeat by it.
 */
export function sign(secret: string, ts: string, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${ts}.`);
  hmac.update(body);
  return `sha256=${hmac.digest('hex')}`;
}

/** Checks an X-Peerboard-Signature header; false for any malformed input. With maxAgeSec, a timestamp further than
 *  that from nowMs (default: now) is refused too. */
export function verifySignature(
  secret: string,
  ts: string | number,
  body: string | Uint8Array,
  header: string | null | undefined,
  opts: { maxAgeSec?: number; nowMs?: number } = {},
): boolean {
  if (typeof secret !== 'string' || secret === '' || typeof header !== 'string') return false;
  const tsText = String(ts);
  if (!/^\d{1,12}$/.test(tsText)) return false;
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return false;
  if (!/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  if (opts.maxAgeSec !== undefined) {
    const nowSec = (opts.nowMs ?? Date.now()) / 1000;
    if (!(Math.abs(nowSec - Number(tsText)) <= opts.maxAgeSec)) return false;
  }
  const expected = Buffer.from(sign(secret, tsText, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const VERDICT_ICON: Record<Verdict, string> = { UP: '✅', DOWN: '🔴', PARTIAL: '🟠', UNKNOWN: '⚪' };
/** Slack refuses a section text over 3000 characters */
const SLACK_SECTION_MAX = 3000;
const SLACK_LOCATION_LINES = 25;

/** A Slack incoming-webhook message for a verdict change: `text` (notifications, fallback) and blocks. */
export function slackMessage(change: VerdictChange): { text: string; blocks: unknown[] } {
  const where = `${slackEscape(cut(change.name, 200))}${change.server ? ` (${slackEscape(cut(change.server, 200))})` : ''}`;
  const voting = change.locations.filter((l) => l.voting !== false);
  const down = voting.filter((l) => l.status === 'DOWN').length;
  const up = voting.length - down;
  const tally =
    change.verdict === 'UNKNOWN' || voting.length === 0
      ? 'no fresh results'
      : change.verdict === 'UP'
        ? `${up} of ${voting.length} locations see it up`
        : `${down} of ${voting.length} locations see it down`;
  const text = `${VERDICT_ICON[change.verdict]} ${change.verdict}: ${where} — ${tally} (was ${change.previous})`;

  const lines = change.locations.slice(0, SLACK_LOCATION_LINES).map(locationLine);
  if (change.locations.length > SLACK_LOCATION_LINES) lines.push(`… and ${change.locations.length - SLACK_LOCATION_LINES} more`);
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text: cut(text, SLACK_SECTION_MAX) } }];
  if (lines.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cut(lines.join('\n'), SLACK_SECTION_MAX) } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`check #${change.checkId} · ${change.at}`) }] });
  return { text, blocks };
}

function locationLine(l: LocationResult): string {
  const icon = l.status === 'UP' ? '✅' : '🔴';
  const detail = l.error ? `, ${cut(oneLine(l.error), 200)}` : '';
  const vote = l.voting === false ? ' (not voting)' : '';
  return slackEscape(`${icon} ${cut(l.location, 100)}: ${l.status}, ${Math.round(l.responseTime)} ms${detail}${vote}`);
}

/** Slack reads &, < and > as markup (<!channel>, <url|label>): a check's name must not ping or link anyone. */
function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Retry delay after `attempts` failed attempts (1 → about 1 s, 2 → 2 s, 3 → 4 s ...), never over 5 min.
 * Jitter of ±20 % spreads the retries of many deliveries that failed together; random() = 0.5 gives the plain value.
 */
export function nextRetryDelayMs(attempts: number, random: () => number = Math.random): number {
  const n = Number.isFinite(attempts) ? Math.max(1, Math.floor(attempts)) : attempts > 0 ? 64 : 1;
  const base = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** Math.min(n - 1, 30));
  const r = random();
  const jitter = Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0.5;
  return Math.round(Math.min(MAX_RETRY_DELAY_MS, base * (0.8 + 0.4 * jitter)));
}

/** Whether a pending delivery is given up: out of attempts, or its change was committed too long ago. */
export function deliveryExhausted(attempts: number, committedAtMs: number, nowMs: number): boolean {
  return !(attempts < MAX_DELIVERY_ATTEMPTS) || !(nowMs - committedAtMs < DELIVERY_GIVE_UP_MS);
}

/**
 * Checks a notification target's URL; returns a message for people, or null when it is fine.
 * http(s) only, no user:password@, at most 2048 characters, no spaces or control characters. With allowPrivate
 * false, a literal IP that is loopback, private, link-local (isPrivateAddress) or `localhost` is refused.
 * Host *names* are not resolved here: a name that resolves to a private address passes (see the report).
 */
export { isPrivateAddress };

export function validateNotificationUrl(url: unknown, opts: { allowPrivate: boolean }): string | null {
  if (typeof url !== 'string') return 'the URL must be a string';
  if (url.length === 0) return 'the URL is empty';
  if (url.length > MAX_NOTIFICATION_URL_LENGTH) return `the URL is longer than ${MAX_NOTIFICATION_URL_LENGTH} characters`;
  if (/[\s\u0000-\u001f\u007f]/.test(url)) return 'the URL contains spaces or control characters';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the URL is not valid: write it in full, e.g. https://hooks.example.com/peerboard';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `only http and https URLs are accepted, not ${cut(parsed.protocol, 20)}`;
  if (parsed.username !== '' || parsed.password !== '') return 'the URL must not contain a user name or password: use a secret instead';
  const host = parsed.hostname;
  if (host === '') return 'the URL has no host';
  if (!opts.allowPrivate) {
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    const name = bare.toLowerCase().replace(/\.$/, '');
    if (isPrivateAddress(bare) || name === 'localhost' || name.endsWith('.localhost')) {
      return `the URL's host ${cut(host, 100)} is a private or loopback address, which this team's settings forbid`;
    }
  }
  return null;
}


function describeFetchError(err: unknown, timeoutMs: number, signal: AbortSignal): string {
  const e = err as { name?: unknown; message?: unknown; cause?: { message?: unknown; code?: unknown } } | null;
  if (signal.aborted || e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
  const cause = e?.cause?.message ?? e?.cause?.code;
  if (typeof cause === 'string' && cause) return cut(oneLine(cause), ERROR_SNIPPET_CHARS);
  if (typeof e?.message === 'string' && e.message) return cut(oneLine(e.message), ERROR_SNIPPET_CHARS);
  return 'network error';
}

function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
