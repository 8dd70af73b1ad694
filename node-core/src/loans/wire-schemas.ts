// The loan wire's message schemas (seed 004): seed keys exact, Peerboard's UPPER_SNAKE extensions optional,
// unknown keys ignored (z.object strips them), every array and string bounded. wire.ts parses lines with them.
import { z } from 'zod';
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
