// The http(s) probe: one request on a fresh connection (no pooling, redirects are not followed: a 3xx
// is a status), judged on status, keyword, JSON path and the TLS certificate's expiry.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { HttpMethods, type CheckDef, type HttpMethod } from '../types.js';
import { type Attempt, type AttemptResult, MAX_BODY_BYTES, deadline, describeError, oneLine, quote, refused, since } from './common.js';
import { jsonValueText, parseJsonPath, walkJson } from './json-path.js';

const USER_AGENT = 'Peerboard-Monitor/1';
const DAY_MS = 86_400_000;
const WITH_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

interface Answer {
  status: number;
  body: Buffer;
  /** the body went on past MAX_BODY_BYTES; only that much was read */
  truncated: boolean;
}

export const httpAttempt: Attempt = async (check, ctx) => {
  let url: URL;
  try {
    url = new URL(check.target);
  } catch {
    return refused(`bad URL ${quote(check.target)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refused(`bad URL ${quote(check.target)}: not http or https`);
  const method = check.method ?? 'GET';
  if (!(HttpMethods as readonly string[]).includes(method)) return refused(`unknown HTTP method ${quote(String(method))}`);
  const jsonSteps = check.jsonPath === undefined ? undefined : parseJsonPath(check.jsonPath);
  if (jsonSteps && 'error' in jsonSteps) return refused(jsonSteps.error);

  const dl = deadline(ctx.timeoutMs, ctx.signal);
  const start = performance.now();
  let certExpiresAt: number | undefined;
  const withCert = (r: AttemptResult): AttemptResult => (certExpiresAt === undefined ? r : { ...r, certExpiresAt });
  try {
    let answer: Answer;
    try {
      answer = await send(url, method, check, dl.signal, (at) => (certExpiresAt = at));
    } catch (err) {
      const reason = dl.reason();
      if (reason) return withCert({ ok: false, responseTime: since(start), error: reason });
      let error = describeError(err);
      if (url.protocol === 'https:' && isTlsVerifyError(err)) {
        error = oneLine(`TLS: ${error} (ignoreTls accepts it)`);
        certExpiresAt ??= await peekCertificate(url, dl.signal);
      }
      return withCert({ ok: false, responseTime: since(start), error });
    }
    const responseTime = since(start);
    const verdict = judge(answer, check, jsonSteps?.steps, certExpiresAt, ctx.now());
    return withCert({ ok: verdict === undefined, responseTime, httpStatus: answer.status, ...(verdict ? { error: verdict } : {}) });
  } finally {
    dl.dispose();
  }
};

/** Why an answer fails the check, or undefined when it passes. */
function judge(a: Answer, check: CheckDef, steps: (string | number)[] | undefined, certExpiresAt: number | undefined, now: number): string | undefined {
  const expect = check.expectStatus && check.expectStatus.length > 0 ? check.expectStatus : undefined;
  if (expect ? !expect.includes(a.status) : a.status < 200 || a.status > 399) {
    const want = expect ? expect.slice(0, 8).join(', ') + (expect.length > 8 ? ', …' : '') : '200-399';
    return `HTTP ${a.status} (expected ${want})`;
  }
  const cut = a.truncated ? ` in the first ${MAX_BODY_BYTES / 1024 / 1024} MiB` : '';
  if (check.keyword !== undefined && check.keyword !== '') {
    if (!a.body.toString('utf8').includes(check.keyword)) return `keyword ${quote(check.keyword)} not found${cut}`;
  }
  if (steps !== undefined && check.jsonPath !== undefined) {
    const path = quote(check.jsonPath);
    if (a.truncated) return `body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB; JSON path ${path} not checked`;
    let doc: unknown;
    try {
      doc = JSON.parse(a.body.toString('utf8'));
    } catch {
      return `body is not JSON; JSON path ${path} not checked`;
    }
    const hit = walkJson(doc, steps);
    if (!hit.found) return `JSON path ${path} not found`;
    if (check.jsonExpect !== undefined) {
      const got = jsonValueText(hit.value);
      if (got !== check.jsonExpect) return `JSON path ${path} is ${quote(got)} (expected ${quote(check.jsonExpect)})`;
    }
  }
  if (check.certExpiryDays !== undefined && certExpiresAt !== undefined) {
    const left = certExpiresAt - now;
    if (left < check.certExpiryDays * DAY_MS) {
      const date = new Date(certExpiresAt).toISOString().slice(0, 10);
      const days = Math.floor(Math.abs(left) / DAY_MS);
      const n = `${days} day${days === 1 ? '' : 's'}`;
      return left < 0 ? `certificate expired ${n} ago (${date})` : `certificate expires in ${n} (${date})`;
    }
  }
  return undefined;
}

/** One request; resolves with the status and at most MAX_BODY_BYTES of body. */
function send(url: URL, method: HttpMethod, check: CheckDef, signal: AbortSignal, onCert: (expiresAt: number) => void): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...(check.headers ?? {}) };
    const body = check.body !== undefined && WITH_BODY.has(method) ? check.body : undefined;
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const https_ = url.protocol === 'https:';
    const options: https.RequestOptions = { method, headers, agent: false, ...(https_ ? { rejectUnauthorized: !check.ignoreTls } : {}) };
    // request() throws at once on a header it refuses (a CR or LF in a value, a bad name)
    const req = (https_ ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (truncated: boolean): void =>
        settle(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks, size), truncated }));
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        if (size + chunk.length > MAX_BODY_BYTES) {
          chunks.push(chunk.subarray(0, MAX_BODY_BYTES - size));
          size = MAX_BODY_BYTES;
          finish(true);
          res.destroy();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => finish(false));
      res.on('error', (err) => settle(() => reject(err)));
      res.on('close', () => settle(() => reject(new Error('connection closed before the body ended'))));
    });
    const onAbort = (): void => {
      settle(() => reject(new Error('aborted')));
      req.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    if (https_) {
      req.once('socket', (socket) => {
        socket.once('secureConnect', () => {
          const cert = (socket as tls.TLSSocket).getPeerCertificate();
          const at = cert && cert.valid_to ? Date.parse(cert.valid_to) : NaN;
          if (Number.isFinite(at)) onCert(at);
        });
      });
    }
    req.on('error', (err) => settle(() => reject(err)));
    req.end(body);
  });
}

/** Node's certificate verification failures (the peer's certificate was refused). */
function isTlsVerifyError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  return code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code);
}

/** A refused certificate's expiry: a bare TLS handshake that accepts any certificate, reads it and
 *  closes. Nothing of the request is sent on it. undefined when it fails or the deadline fires. */
function peekCertificate(url: URL, signal: AbortSignal): Promise<number | undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      rejectUnauthorized: false,
      ...(isIP(host) ? {} : { servername: host }),
    });
    let over = false;
    const done = (at: number | undefined): void => {
      if (over) return;
      over = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(at);
    };
    const onAbort = (): void => done(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => {
      const at = Date.parse(socket.getPeerCertificate()?.valid_to ?? '');
      done(Number.isFinite(at) ? at : undefined);
    });
    socket.on('error', () => done(undefined));
  });
}
