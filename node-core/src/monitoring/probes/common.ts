// What every probe runner shares: its limits, the one-attempt result shape, the attempt deadline
// (timeout + the caller's abort) and turning any error into one line a person can read.
import type { CheckDef, ProbeResult } from '../types.js';

/** an http body is read up to this many bytes; the rest is not read (the keyword is judged on what was) */
export const MAX_BODY_BYTES = 1024 * 1024;
/** retries beyond this are ignored (the board allows 0..5) */
export const MAX_RETRIES = 5;
/** pause between a failed attempt and its retry */
export const RETRY_GAP_MS = 100;
/** an attempt's time limit is clamped to 1 ms .. this; a missing or broken one becomes DEFAULT_TIMEOUT_MS */
export const MAX_TIMEOUT_MS = 120_000;
export const DEFAULT_TIMEOUT_MS = 10_000;
/** an error line is cut to this many characters */
export const MAX_ERROR_CHARS = 300;

/** One attempt's outcome. `final`: retrying cannot help (a bad target, a missing ping binary). */
export type AttemptResult = Omit<ProbeResult, 'attempts'> & { final?: boolean };

/** What an attempt gets besides the check. */
export interface AttemptContext {
  /** the caller's signal (the whole probe round) */
  signal: AbortSignal;
  /** the check's time limit, clamped */
  timeoutMs: number;
  /** wall clock, ms since the epoch (certificate expiry) */
  now: () => number;
  /** the ping binary (a name looked up in PATH, or a path) */
  pingCommand: string;
}

export type Attempt = (check: CheckDef, ctx: AttemptContext) => Promise<AttemptResult>;

export function clampTimeout(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return DEFAULT_TIMEOUT_MS;
  return Math.min(Math.max(Math.round(ms), 1), MAX_TIMEOUT_MS);
}

/** ms since `start` (a performance.now() reading), to 0.01 ms */
export function since(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

/** A failed attempt that retrying cannot fix. */
export function refused(error: string): AttemptResult {
  return { ok: false, responseTime: 0, error: oneLine(error), final: true };
}

/** An attempt's deadline: aborts `signal` when the time is up or the caller aborts. Call dispose() when done. */
export interface Deadline {
  signal: AbortSignal;
  timedOut(): boolean;
  /** "timeout after N ms" or "aborted" when the deadline fired, else undefined */
  reason(): string | undefined;
  dispose(): void;
}

export function deadline(timeoutMs: number, parent: AbortSignal): Deadline {
  const ac = new AbortController();
  let timedOut = false;
  const onParent = (): void => ac.abort(parent.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort(new Error(`timeout after ${timeoutMs} ms`));
  }, timeoutMs);
  if (parent.aborted) onParent();
  else parent.addEventListener('abort', onParent, { once: true });
  return {
    signal: ac.signal,
    timedOut: () => timedOut,
    reason: () => (timedOut ? `timeout after ${timeoutMs} ms` : ac.signal.aborted ? 'aborted' : undefined),
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}

/** Waits ms, or less when the signal aborts (never rejects). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Any thrown value as one short line. Node's AggregateError (happy eyeballs: every address failed)
 *  has an empty message, so its first inner error speaks for it. */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError) {
    const inner = err.errors.map((e) => describeError(e)).filter((m) => m !== '');
    const unique = [...new Set(inner)];
    if (unique.length > 0) return oneLine(unique.join('; '));
  }
  if (err instanceof Error) {
    if (err.message) return oneLine(err.message);
    const code = (err as NodeJS.ErrnoException).code;
    return oneLine(code ?? err.name);
  }
  return oneLine(String(err));
}

/** One line, at most MAX_ERROR_CHARS characters. */
export function oneLine(s: string): string {
  const flat = s.replace(/[\r\n\t]+/g, ' ').trim();
  return flat.length > MAX_ERROR_CHARS ? `${flat.slice(0, MAX_ERROR_CHARS - 1)}…` : flat;
}

/** A user's text inside an error line: quoted, escaped, and short. */
export function quote(s: string, max = 80): string {
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return JSON.stringify(cut);
}
