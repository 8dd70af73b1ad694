// The worker-loan wire (seed 004): one JSON object per line. parseLine/encodeLine with the TS/NONCE/MAC
// auth suffix, the replay cache, the answer to a refused line, and splitting lists to fit lines.
import { isUtf8 } from 'node:buffer';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { jsonDepth } from '../board/commands.js';
import {
  WireLimits, ackSchema, errorSchema, heartbeatSchema, nackSchema, recallSchema, recieveSchema, resultsSchema, returnSchema,
  workSchema, workerAcceptedSchema, workerAliveSchema, workerRequestSchema,
  type ErrorLine, type LoanMessage, type LoanMessageKind, type OutMessage, type WorkerNack,
} from './wire-schemas.js';

export * from './wire-schemas.js';

/** Why a line was refused: the words counters and logs use. */
export const LineDrop = {
  TooLarge: 'too_large',
  BadUtf8: 'bad_utf8',
  BadJson: 'bad_json',
  TooDeep: 'too_deep',
  BadShape: 'bad_shape',
  UnknownTask: 'unknown_task',
  /** a WORKER_REQUEST whose WORKERS_NEEDED is not an integer in 1..64 (answered with NACK) */
  BadRequest: 'bad_request',
  BadMac: 'bad_mac',
  /** MAC present but TS or NONCE missing or malformed */
  BadAuth: 'bad_auth',
  Stale: 'stale',
  Replay: 'replay',
} as const;
export type LineDrop = (typeof LineDrop)[keyof typeof LineDrop];

export type ParsedLine = LoanMessage & { ok: true; authed: boolean };
export type RefusedLine = { ok: false; reason: LineDrop; detail: string; /** the line's TASK, when readable */ task?: string };

/** Replay protection: nonces seen in the last minute, bounded (see WireLimits.nonces). */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  /** lines whose TS is not above this are refused (set when a nonce still in its window had to go) */
  private floor = Number.NEGATIVE_INFINITY;

  constructor(private readonly max: number = WireLimits.nonces, private readonly windowMs: number = WireLimits.nonceWindowMs) {}

  get size(): number {
    return this.seen.size;
  }

  /** true when (nonce) was new and is now remembered; false for a replay */
  check(nonce: string, ts: number, now: number): boolean {
    for (const [n, at] of this.seen) {
      if (at > now - this.windowMs) break;
      this.seen.delete(n);
    }
    if (ts <= this.floor || this.seen.has(nonce)) return false;
    if (this.seen.size >= this.max) {
      const [oldest] = this.seen.keys();
      this.seen.delete(oldest!);
      this.floor = Math.max(this.floor, ts - 1);
    }
    this.seen.set(nonce, now);
    return true;
  }
}

const MAC_SUFFIX_LEN = ',"MAC":"'.length + 64 + '"}'.length;
const MAC_RE = /,"MAC":"([0-9a-f]{64})"\}$/;
const NONCE_RE = /^[0-9a-f]{16}$/;

function hmac(key: string, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

/** One line's bytes, `\n` included: with a key, TS and NONCE are added and the MAC suffix appended. */
export function encodeLine(msg: OutMessage, key?: string, now: number = Date.now()): Buffer {
  if (!key) return Buffer.from(`${JSON.stringify(msg)}\n`, 'utf8');
  const json = JSON.stringify({ ...msg, TS: now, NONCE: randomBytes(8).toString('hex') });
  return Buffer.from(`${json.slice(0, -1)},"MAC":"${hmac(key, json).toString('hex')}"}\n`, 'utf8');
}

export interface ParseOptions {
  /** the loanKey; lines without a MAC still parse (authed: false), lines with a wrong one are refused */
  key?: string | undefined;
  now: number;
  nonces: NonceCache;
}

function refuse(reason: LineDrop, detail: string, task?: unknown): RefusedLine {
  const r: RefusedLine = { ok: false, reason, detail: detail.slice(0, 300) };
  if (typeof task === 'string') r.task = task.slice(0, 64);
  return r;
}

/** Picks the schema by the keys the seed dispatches on: SERVER, then WORKER, then TASK. */
function pick(obj: Record<string, unknown>): { kind: LoanMessageKind; schema: z.ZodType } | null {
  if (obj.SERVER !== undefined) {
    if (obj.TASK === 'REQUEST') return { kind: 'heartbeat', schema: heartbeatSchema };
    if (obj.TASK === 'RECIEVE') return { kind: 'recieve', schema: recieveSchema };
    return null;
  }
  if (obj.WORKER !== undefined) {
    return obj.TASK === 'RECIEVE' ? { kind: 'worker-accepted', schema: workerAcceptedSchema } : { kind: 'worker-alive', schema: workerAliveSchema };
  }
  switch (obj.TASK) {
    case 'WORKER_REQUEST': return { kind: 'worker-request', schema: workerRequestSchema };
    case 'WORKER_RESPONSE': return { kind: 'worker-response', schema: obj.STATUS === 'ACK' ? ackSchema : nackSchema };
    case 'WORK': return { kind: 'work', schema: workSchema };
    case 'RESULTS': return { kind: 'results', schema: resultsSchema };
    case 'WORKER_RETURN': return { kind: 'worker-return', schema: returnSchema };
    case 'WORKER_RECALL': return { kind: 'worker-recall', schema: recallSchema };
    case 'ERROR': return { kind: 'error', schema: errorSchema };
    default: return null;
  }
}

/** Bytes (or text) of one line, without its `\n`, to a typed message or the reason it was refused. Never throws. */
export function parseLine(line: Buffer | string, opts: ParseOptions): ParsedLine | RefusedLine {
  const size = typeof line === 'string' ? Buffer.byteLength(line) : line.length;
  if (size > WireLimits.lineBytes) return refuse(LineDrop.TooLarge, `${size} bytes > limit ${WireLimits.lineBytes}`);
  if (typeof line !== 'string' && !isUtf8(line)) return refuse(LineDrop.BadUtf8, 'line is not valid UTF-8');
  let text = typeof line === 'string' ? line : line.toString('utf8');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  const m = text.length > MAC_SUFFIX_LEN ? MAC_RE.exec(text.slice(-MAC_SUFFIX_LEN)) : null;
  let authed = false;
  let body = text;
  if (m) body = `${text.slice(0, -MAC_SUFFIX_LEN)}}`;
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    return refuse(LineDrop.BadJson, (err as Error).message);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return refuse(LineDrop.BadShape, 'not a JSON object');
  const obj = raw as Record<string, unknown>;
  if (jsonDepth(raw, WireLimits.depth) > WireLimits.depth) return refuse(LineDrop.TooDeep, `nested deeper than ${WireLimits.depth} levels`, obj.TASK);
  if (m && opts.key) {
    if (!timingSafeEqual(hmac(opts.key, body), Buffer.from(m[1]!, 'hex'))) return refuse(LineDrop.BadMac, 'MAC does not match: a different loanKey?', obj.TASK);
    const ts = obj.TS;
    const nonce = obj.NONCE;
    if (typeof ts !== 'number' || !Number.isFinite(ts) || typeof nonce !== 'string' || !NONCE_RE.test(nonce)) {
      return refuse(LineDrop.BadAuth, 'an authenticated line needs TS (ms) and NONCE (16 hex)', obj.TASK);
    }
    if (Math.abs(ts - opts.now) > WireLimits.clockSkewMs) return refuse(LineDrop.Stale, `TS is ${Math.round((ts - opts.now) / 1000)} s from now`, obj.TASK);
    if (!opts.nonces.check(nonce, ts, opts.now)) return refuse(LineDrop.Replay, 'nonce already seen: a replayed line', obj.TASK);
    authed = true;
  }
  const picked = pick(obj);
  if (!picked) return refuse(LineDrop.UnknownTask, `unknown TASK ${JSON.stringify(obj.TASK ?? null)?.slice(0, 64)}`, obj.TASK);
  let parsed: ReturnType<z.ZodType['safeParse']>;
  try {
    parsed = picked.schema.safeParse(raw);
  } catch (err) {
    return refuse(LineDrop.BadShape, `cannot be checked: ${(err as Error).message}`, obj.TASK);
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    const detail = `${where}: ${issue?.message ?? 'invalid'}`;
    if (picked.kind === 'worker-request' && where === 'WORKERS_NEEDED') {
      return refuse(LineDrop.BadRequest, `WORKERS_NEEDED must be an integer from 1 to ${WireLimits.workers}`, obj.TASK);
    }
    return refuse(LineDrop.BadShape, detail, obj.TASK);
  }
  return { ok: true, kind: picked.kind, msg: parsed.data, authed } as ParsedLine;
}

/** The answer to a refused line: a NACK for a WORKER_REQUEST asking for a bad count, else an ERROR. */
export function refusalFor(r: RefusedLine): WorkerNack | ErrorLine {
  if (r.reason === LineDrop.BadRequest) return { TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [], REASON: r.detail.slice(0, WireLimits.stringLen) };
  return { TASK: 'ERROR', REASON: `${r.reason}: ${r.detail}`.slice(0, WireLimits.stringLen) };
}

/** true when a message carries any Peerboard extension key (a seed-only master sends none) */
export function hasExtensions(msg: object): boolean {
  return Object.keys(msg).some((k) => !['SERVER', 'TASK', 'WORKER', 'WORKER_UUID', 'WORKERS_NEEDED', 'STATUS', 'MASTER_UUID', 'WORKERS'].includes(k));
}

/** room kept in every line for TS, NONCE and the MAC suffix */
const AUTH_RESERVE = 200;

/**
 * Groups items so that each group, wrapped in a message whose other keys take `overheadBytes`, fits one
 * line (with room for the auth keys) and holds at most `maxItems`. An item too big for any line is left out.
 */
export function splitToLines<T>(items: readonly T[], overheadBytes: number, maxItems: number): { groups: T[][]; skipped: number } {
  const budget = WireLimits.lineBytes - overheadBytes - AUTH_RESERVE;
  const groups: T[][] = [];
  let group: T[] = [];
  let used = 0;
  let skipped = 0;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (size > budget) {
      skipped++;
      continue;
    }
    if (group.length > 0 && (used + size > budget || group.length >= maxItems)) {
      groups.push(group);
      group = [];
      used = 0;
    }
    group.push(item);
    used += size;
  }
  if (group.length > 0 || groups.length === 0) groups.push(group);
  return { groups, skipped };
}
