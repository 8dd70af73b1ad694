// The probe runner (issue 12): one probe round of a check, by its type, with its retries. Never throws:
// every failure, a bad definition included, is a result with an error line for people.
import type { CheckDef, CheckType, ProbeResult, ProbeRunner } from '../types.js';
import { type Attempt, type AttemptContext, type AttemptResult, MAX_RETRIES, RETRY_GAP_MS, clampTimeout, describeError, pause, quote } from './common.js';
import { dnsAttempt } from './dns.js';
import { httpAttempt } from './http.js';
import { pingAttempt } from './ping.js';
import { tcpAttempt } from './tcp.js';

export { MAX_BODY_BYTES, MAX_RETRIES, RETRY_GAP_MS } from './common.js';

export interface ProbeRunnerOptions {
  /** the ping binary, a name looked up in PATH or a path (default "ping") */
  pingCommand?: string;
  /** wall clock in ms since the epoch, for certificate expiry (default Date.now) */
  now?: () => number;
}

const ATTEMPTS: Record<CheckType, Attempt> = { http: httpAttempt, tcp: tcpAttempt, ping: pingAttempt, dns: dnsAttempt };

export function createProbeRunner(opts: ProbeRunnerOptions = {}): ProbeRunner {
  const pingCommand = opts.pingCommand ?? 'ping';
  const now = opts.now ?? Date.now;
  return async (check: CheckDef, signal: AbortSignal): Promise<ProbeResult> => {
    const attempt = Object.hasOwn(ATTEMPTS, check?.type) ? ATTEMPTS[check.type] : undefined;
    if (!attempt) return { ok: false, responseTime: 0, attempts: 1, error: `unknown check type ${quote(String(check?.type))}` };
    const ctx: AttemptContext = { signal, timeoutMs: clampTimeout(check.timeoutMs), now, pingCommand };
    const retries = Number.isInteger(check.retries) ? Math.min(Math.max(check.retries, 0), MAX_RETRIES) : 0;
    let attempts = 0;
    let last: AttemptResult = { ok: false, responseTime: 0, error: 'aborted' };
    while (attempts <= retries) {
      if (attempts > 0) {
        await pause(RETRY_GAP_MS, signal);
      }
      if (signal.aborted) {
        // attempts stays what actually ran: 0 when the round was aborted before it began
        last = { ok: false, responseTime: last.responseTime, error: 'aborted' };
        break;
      }
      attempts++;
      try {
        last = await attempt(check, ctx);
      } catch (err) {
        last = { ok: false, responseTime: 0, error: `probe failed: ${describeError(err)}` };
      }
      if (last.ok || last.final) break;
    }
    const { final: _final, ...result } = last;
    return { ...result, attempts };
  };
}

/** The default runner: the system's ping, the real clock. */
export const runProbe: ProbeRunner = createProbeRunner();
