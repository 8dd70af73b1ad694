// The worker-loan wire (seed 004): one JSON object per line. Schemas for every message (seed keys exact,
// Peerboard's UPPER_SNAKE extensions optional, unknown keys ignored), the auth suffix, parseLine/encodeLine.
import { isUtf8 } from 'node:buffer';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { jsonDepth } from '../board/commands.js';
import { MonitorLimits, checkFields, targetProblem } from '../monitoring/check-schema.js';
import type { CheckDef } from '../monitoring/types.js';
import { MAX_ACTIVE_LOANS, MAX_LINE_BYTES, MAX_WORKERS_PER_REQUEST } from './types.js';

export const WireLimits = {
  lineBytes: MAX_LINE_BYTES,
  depth: 8,
  workers: MAX_WORKERS_PER_REQUEST,
  /** ids, names, reasons, locations */
  stringLen: 200,
  results: 2000,
  loans: MAX_ACTIVE_LOANS,
  /** WORK parts of one version (and so at most this many lines of checks) */
  parts: 200,
  /** |TS - now| at most this (auth) */
  clockSkewMs: 30_000,
  /** a nonce is remembered this long */
  nonceWindowMs: 60_000,
  /** nonces remembered at most (then the oldest go and lines older than them are refused) */
  nonces: 100_000,
} as const;

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

const str = z.string().min(1).max(WireLimits.stringLen);
const port = z.number().int().min(1).max(65_535);
const ids = z.array(str).max(WireLimits.loans);
const workerItem = z.union([str, z.object({ WORKER_UUID: str }).transform((o) => o.WORKER_UUID)]);
const workers = z.array(workerItem).max(WireLimits.workers);
const masterExt = { CLUSTER_ID: str.optional(), MASTER_UUID: str.optional(), LOAN_PORT: port.optional() };
const leaseMs = z.number().int().min(1000).max(7 * 86_400_000);
const loadSchema = z.object({
  lagP99Ms: z.number().finite().min(0).max(86_400_000),
  cpu: z.number().finite().min(0).max(1024),
  utilisation: z.number().finite().min(0).max(1024),
});

/** a check as the WORK message carries it: the board's definition (extra keys dropped) */
const checkDefSchema = z
  .object({
    ...Object.fromEntries(Object.entries(checkFields).map(([k, v]) => [k, v.optional()])),
    id: z.number().int().min(1),
    name: checkFields.name,
    type: checkFields.type,
    target: checkFields.target,
    intervalSec: checkFields.intervalSec,
    timeoutMs: checkFields.timeoutMs,
    retries: checkFields.retries,
    server: checkFields.server,
    enabled: z.boolean(),
    createdAt: z.number().finite(),
    updatedAt: z.number().finite(),
    createdBy: z.string().max(WireLimits.stringLen),
  })
  .superRefine((c, ctx) => {
    const p = targetProblem(c.type, c.target);
    if (p) ctx.addIssue({ code: 'custom', path: ['target'], message: p });
  }) as unknown as z.ZodType<CheckDef>;

const resultSchema = z.object({
  checkId: z.number().int().min(1),
  status: z.enum(['UP', 'DOWN']),
  responseTime: z.number().finite().min(0).max(3_600_000),
  at: z.number().finite(),
  error: z.string().max(MonitorLimits.errorLen).nullable().optional(),
  /** extension: how late the round started, ms */
  lagMs: z.number().finite().min(0).max(86_400_000).optional(),
});

export const heartbeatSchema = z.object({ SERVER: z.literal('ALIVE'), TASK: z.literal('REQUEST'), ...masterExt, LOANS: ids.optional() });
export const recieveSchema = z.object({ SERVER: z.literal('ALIVE'), TASK: z.literal('RECIEVE'), ...masterExt, LOANS: ids.optional() });
export const workerRequestSchema = z.object({
  TASK: z.literal('WORKER_REQUEST'),
  WORKERS_NEEDED: z.number().int().min(1).max(WireLimits.workers),
  ...masterExt,
  LEASE_MS: leaseMs.optional(),
});
export const ackSchema = z.object({
  TASK: z.literal('WORKER_RESPONSE'),
  STATUS: z.literal('ACK'),
  MASTER_UUID: str,
  WORKERS: workers,
  CLUSTER_ID: str.optional(),
  LEASE_MS: leaseMs.optional(),
  LOAN_IDS: ids.optional(),
  WORKER_NAMES: z.array(z.string().max(WireLimits.stringLen)).max(WireLimits.workers).optional(),
});
export const nackSchema = z.object({
  TASK: z.literal('WORKER_RESPONSE'),
  STATUS: z.literal('NACK'),
  WORKERS: workers,
  MASTER_UUID: str.optional(),
  REASON: z.string().max(WireLimits.stringLen).optional(),
});
export const workerAliveSchema = z.object({
  WORKER: z.literal('ALIVE'),
  WORKER_UUID: str,
  LOAN_ID: str.optional(),
  CLUSTER_ID: str.optional(),
  LOCATION: z.string().max(WireLimits.stringLen).optional(),
  LOAD: loadSchema.optional(),
});
export const workerAcceptedSchema = z.object({ WORKER: z.literal('ALIVE'), TASK: z.literal('RECIEVE') });
export const workSchema = z
  .object({
    TASK: z.literal('WORK'),
    VERSION: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    PART: z.number().int().min(1).max(WireLimits.parts),
    PARTS: z.number().int().min(1).max(WireLimits.parts),
    CHECKS: z.array(checkDefSchema),
  })
  .refine((m) => m.PART <= m.PARTS, { message: 'PART must not exceed PARTS', path: ['PART'] });
export const resultsSchema = z.object({ TASK: z.literal('RESULTS'), RESULTS: z.array(resultSchema).max(WireLimits.results) });
export const returnSchema = z.object({ TASK: z.literal('WORKER_RETURN'), WORKERS: workers, LOAN_IDS: ids.optional() });
export const recallSchema = z.object({ TASK: z.literal('WORKER_RECALL'), WORKERS: workers, LOAN_IDS: ids.optional() });
/** MASTER_ADDRESS (extension): a follower's loan port names its farm's master ("ip:port") to a worker */
export const errorSchema = z.object({ TASK: z.literal('ERROR'), REASON: z.string().max(WireLimits.stringLen).optional(), MASTER_ADDRESS: z.string().max(WireLimits.stringLen).optional() });

export type Heartbeat = z.output<typeof heartbeatSchema>;
export type Recieve = z.output<typeof recieveSchema>;
export type WorkerRequest = z.output<typeof workerRequestSchema>;
export type WorkerAck = z.output<typeof ackSchema>;
export type WorkerNack = z.output<typeof nackSchema>;
export type WorkerResponse = WorkerAck | WorkerNack;
export type WorkerAlive = z.output<typeof workerAliveSchema>;
export type WorkerAccepted = z.output<typeof workerAcceptedSchema>;
export type Work = z.output<typeof workSchema>;
export type Results = z.output<typeof resultsSchema>;
export type ResultItem = z.output<typeof resultSchema>;
export type WorkerReturn = z.output<typeof returnSchema>;
export type WorkerRecall = z.output<typeof recallSchema>;
export type ErrorLine = z.output<typeof errorSchema>;
/** the extension keys a RECIEVE carries (the LoanServer's heartbeat handler returns them) */
export type RecieveExt = Partial<Omit<Recieve, 'SERVER' | 'TASK'>>;

/** every message, tagged by kind (the tag is not on the wire) */
export type LoanMessage =
  | { kind: 'heartbeat'; msg: Heartbeat }
  | { kind: 'recieve'; msg: Recieve }
  | { kind: 'worker-request'; msg: WorkerRequest }
  | { kind: 'worker-response'; msg: WorkerResponse }
  | { kind: 'worker-alive'; msg: WorkerAlive }
  | { kind: 'worker-accepted'; msg: WorkerAccepted }
  | { kind: 'work'; msg: Work }
  | { kind: 'results'; msg: Results }
  | { kind: 'worker-return'; msg: WorkerReturn }
  | { kind: 'worker-recall'; msg: WorkerRecall }
  | { kind: 'error'; msg: ErrorLine };
export type LoanMessageKind = LoanMessage['kind'];
/** what encodeLine takes: any message object of the wire */
export type OutMessage = LoanMessage['msg'];

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
