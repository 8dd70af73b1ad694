// Runtime schemas for board commands and inventory input: a command comes off the wire (log entry,
// forwarded write, HTTP body), so the board validates it here before it touches any state. These are
// the one set of limits: every edge (HTTP, IPC, CLI, the renderer's demo) imports them. Pure TS, no
// Node built-ins, so the renderer can bundle the board.
import { z } from 'zod';
import { LOAN_COMMAND_TYPES, loanCommandSchemas } from '../loans/board-loans.js';
import { loansSnapshotSchema } from '../loans/loans-snapshot.js';
import { MONITOR_COMMAND_TYPES } from '../monitoring/board-monitoring.js';
import { monitorCommandSchemas } from '../monitoring/check-schema.js';
import { monitoringSnapshotSchema } from '../monitoring/monitor-snapshot.js';
import type { BoardCommand, BoardCommandType, BoardSnapshot, CommandMeta, ServerInput } from './types.js';

/** Named limits: every string and list a command carries is bounded. */
export const BoardLimits = {
  /** seconds a hold or a queued hold may last / reach ahead (30 days) */
  maxHoldSec: 30 * 24 * 3600,
  /** shortest hold a reserve or an extension may ask for */
  minHoldSec: 1,
  /** shortest queued hold */
  minQueueDurationSec: 60,
  /** an absolute end (epoch seconds) above this is milliseconds passed by mistake (year 5138) */
  maxEpochSec: 100_000_000_000,
  /** host names: letters, digits, dots, dashes, underscores */
  hostLen: 128,
  userLen: 128,
  commentLen: 1000,
  /** why a server is in maintenance */
  maintenanceReasonLen: 200,
  appLen: 128,
  ipLen: 64,
  envLen: 64,
  idLen: 128,
  urlLen: 512,
  /** servers in one servers-import */
  importServers: 10_000,
  /** users waiting for one server */
  queueLen: 100,
  tags: 64,
  tagLen: 64,
  /** serialized size of capabilities / metadata of a cluster node */
  jsonFieldBytes: 16_384,
  /** nesting depth of capabilities / metadata (an object holding a scalar is depth 1) */
  jsonFieldDepth: 8,
  /** serialized size of one whole command in the log (a forwarded request is at most 1 MiB) */
  commandBytes: 900 * 1024,
  /** users and nodes in one 'presence' command */
  presenceBatch: 500,
} as const;

export const HOST_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
/** host:port where host is a name, an IPv4 address or a bracketed IPv6 address */
export const ADDR_PATTERN = /^(?:[A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):([0-9]{1,5})$/;

const NAME_PATTERN = /^[^\s\p{Cc}](?:[^\p{Cc}]*[^\s\p{Cc}])?$/u;
/**
 * Bidirectional controls (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069): in a name they make the
 * screen show another text than the one stored ("alice" reversed into an impostor), so names refuse them.
 */
export const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const NO_BIDI = { message: 'must not contain bidirectional control characters (U+202A-U+202E, U+2066-U+2069, ...)' };

export const hostSchema = z.string().max(BoardLimits.hostLen).regex(HOST_PATTERN, 'must be 1-128 letters, digits, dots, dashes or underscores');
export const userSchema = z
  .string()
  .min(1)
  .max(BoardLimits.userLen)
  .regex(NAME_PATTERN, 'must not start or end with a space or contain control characters')
  .refine((v) => !BIDI_CONTROLS.test(v), NO_BIDI);
export const commentSchema = z.string().max(BoardLimits.commentLen);
/** an absolute time in epoch seconds */
const epochSecSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** how long a queued hold lasts once granted */
export const queueDurationSchema = z.number().int().min(BoardLimits.minQueueDurationSec).max(BoardLimits.maxHoldSec);
/** how long a reserve holds, or how much an extension adds (the state machine adds it at apply time) */
export const holdDurationSchema = z.number().int().min(BoardLimits.minHoldSec).max(BoardLimits.maxHoldSec);
/** an absolute end a request may name (epoch seconds; checked against the entry's time at apply) */
export const untilSchema = z.number().int().min(1).max(BoardLimits.maxEpochSec);
/** a reserve or extend names exactly one end: a duration or an absolute time */
const oneEnd = {
  check: (c: { until?: number | undefined; durationSec?: number | undefined }): boolean => (c.until === undefined) !== (c.durationSec === undefined),
  message: { message: 'send exactly one of durationSec (seconds) or until (epoch seconds)', path: ['durationSec'] },
};
const idSchema = z
  .string()
  .min(1)
  .max(BoardLimits.idLen)
  .regex(NAME_PATTERN, 'must not contain control characters')
  .refine((v) => !BIDI_CONTROLS.test(v), NO_BIDI);
/** a client address host:port (seed 001's addr) */
export const addrSchema = z
  .string()
  .max(300)
  .regex(ADDR_PATTERN, 'must be host:port')
  .refine((a) => validPort(a), { message: 'port must be 1-65535' });
/** ms since the epoch */
const epochMsSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const statSchema = z.number().finite().min(0).max(1_000_000_000);

/** a JSON object whose nesting and serialization stay under the named limits */
const boundedRecord = z
  .record(z.string(), z.unknown())
  .refine((v) => jsonDepth(v, BoardLimits.jsonFieldDepth) <= BoardLimits.jsonFieldDepth, {
    message: `must nest at most ${BoardLimits.jsonFieldDepth} levels deep`,
  })
  .refine((v) => jsonSize(v) <= BoardLimits.jsonFieldBytes, {
    message: `must serialize to at most ${BoardLimits.jsonFieldBytes} bytes`,
  });

/**
 * Nesting depth of a JSON value (a scalar is 0, {} and [] are 1), counted without recursion so that
 * a hostile 100,000-level value cannot overflow the stack; stops counting past `stopAfter`.
 */
export function jsonDepth(value: unknown, stopAfter = Number.POSITIVE_INFINITY): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > stopAfter) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth]);
  }
  return max;
}

export function jsonSize(v: unknown): number {
  try {
    return utf8Length(JSON.stringify(v) ?? '');
  } catch {
    return Number.POSITIVE_INFINITY; // cycles, BigInt: not JSON
  }
}

/** UTF-8 length of a string without Buffer (the board also runs in the renderer's demo mode). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else n += 3; // lone surrogates become U+FFFD (3 bytes), as Buffer and TextEncoder do
  }
  return n;
}

export const inventoryFields = {
  app: z.string().max(BoardLimits.appLen).optional(),
  ip: z.string().max(BoardLimits.ipLen).optional(),
  env: z.string().max(BoardLimits.envLen).optional(),
  comment: commentSchema.optional(),
  maintenance: z.boolean().optional(),
};

/** One server of the inventory (server-add, servers-import, the HTTP admin API). */
export const serverInputSchema = z.strictObject({ host: hostSchema, ...inventoryFields });

/** A change to a server's inventory fields: at least one field. */
export const serverPatchSchema = z
  .strictObject(inventoryFields)
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'send at least one of app, ip, env, comment, maintenance' });

const clusterNodeInputSchema = z.strictObject({
  id: idSchema,
  url: z.string().max(BoardLimits.urlLen),
  clusterId: idSchema,
  role: z.string().min(1).max(32),
  capabilities: boundedRecord,
  tags: z.array(z.string().max(BoardLimits.tagLen)).max(BoardLimits.tags),
  metadata: boundedRecord,
});

export const boardCommandSchema = z.discriminatedUnion('type', [
  ...monitorCommandSchemas,
  ...loanCommandSchemas,
  z
    .strictObject({
      type: z.literal('reserve'),
      host: hostSchema,
      user: userSchema,
      until: epochSecSchema.optional(),
      durationSec: holdDurationSchema.optional(),
      comment: commentSchema.optional(),
    })
    .refine(oneEnd.check, oneEnd.message),
  z.strictObject({ type: z.literal('release'), host: hostSchema, user: userSchema, force: z.boolean().optional() }),
  z
    .strictObject({
      type: z.literal('extend'),
      host: hostSchema,
      user: userSchema,
      until: epochSecSchema.optional(),
      durationSec: holdDurationSchema.optional(),
    })
    .refine(oneEnd.check, oneEnd.message),
  z.strictObject({
    type: z.literal('queue'),
    host: hostSchema,
    user: userSchema,
    durationSec: queueDurationSchema,
    comment: commentSchema.optional(),
  }),
  z.strictObject({ type: z.literal('unqueue'), host: hostSchema, user: userSchema }),
  z.strictObject({ type: z.literal('expire'), host: hostSchema, until: epochSecSchema }),
  z.strictObject({ type: z.literal('server-add'), server: serverInputSchema }),
  z.strictObject({ type: z.literal('server-update'), host: hostSchema, patch: serverPatchSchema }),
  z.strictObject({ type: z.literal('server-remove'), host: hostSchema }),
  z.strictObject({
    type: z.literal('servers-import'),
    servers: z.array(serverInputSchema).max(BoardLimits.importServers),
    replace: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('maintenance'), host: hostSchema, on: z.boolean(), reason: z.string().max(BoardLimits.maintenanceReasonLen).optional() }),
  z.strictObject({
    type: z.literal('user-register'),
    username: userSchema,
    addr: addrSchema,
    userId: idSchema,
  }),
  z.strictObject({ type: z.literal('cluster-register'), node: clusterNodeInputSchema }),
  z.strictObject({ type: z.literal('serving'), nodeId: idSchema, enabled: z.boolean() }),
  z.strictObject({
    type: z.literal('presence'),
    users: z.array(z.strictObject({ username: userSchema, addr: addrSchema, at: epochMsSchema })).max(BoardLimits.presenceBatch),
    nodes: z
      .array(
        z.strictObject({
          id: idSchema,
          at: epochMsSchema,
          status: z.string().min(1).max(32),
          load: statSchema.optional(),
          memory: statSchema.optional(),
          connections: statSchema.optional(),
        }),
      )
      .max(BoardLimits.presenceBatch),
  }),
]);

function validPort(addr: string): boolean {
  const m = ADDR_PATTERN.exec(addr);
  const port = m ? Number(m[1]) : 0;
  return port >= 1 && port <= 65535;
}

/** Every command type, in the schema's order. */
export const BOARD_COMMAND_TYPES: readonly BoardCommandType[] = [
  'reserve',
  'release',
  'extend',
  'queue',
  'unqueue',
  'expire',
  'server-add',
  'server-update',
  'server-remove',
  'servers-import',
  'maintenance',
  'user-register',
  'cluster-register',
  'serving',
  'presence',
  ...MONITOR_COMMAND_TYPES,
  ...LOAN_COMMAND_TYPES,
];

export const commandMetaSchema = z.object({
  user: z
    .string()
    .max(BoardLimits.userLen)
    .refine((v) => !BIDI_CONTROLS.test(v), NO_BIDI),
  nodeId: z.string().max(BoardLimits.idLen),
  nodeIP: z.string().max(BoardLimits.ipLen),
  reqId: z.string().max(BoardLimits.idLen),
});

// Compile-time checks: the schemas produce exactly the contract's types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesCommand: Same<z.infer<typeof boardCommandSchema>['type'], BoardCommandType> = true;
const schemaMatchesInput: Same<z.infer<typeof serverInputSchema>, ServerInput> = true;
const schemaMatchesMeta: Same<z.infer<typeof commandMetaSchema>, CommandMeta> = true;
void schemaMatchesCommand;
void schemaMatchesInput;
void schemaMatchesMeta;

export type ParsedCommand = { ok: true; cmd: BoardCommand } | { ok: false; field: string; message: string; issues: IssueSummary[] };
export interface IssueSummary {
  path: string;
  message: string;
}

/** Validates a command; on failure names the first bad field in a user-facing message. */
export function parseBoardCommand(raw: unknown): ParsedCommand {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, field: '(command)', message: 'invalid command: expected a JSON object', issues: [] };
  }
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return { ok: false, field: 'type', message: 'invalid command: type: expected a command type string', issues: [] };
  }
  if (!(BOARD_COMMAND_TYPES as readonly string[]).includes(type)) {
    const shown = type.length > 64 ? `${type.slice(0, 64)}...` : type;
    return {
      ok: false,
      field: 'type',
      message: `invalid command: type: unknown command type '${shown}' (expected one of ${BOARD_COMMAND_TYPES.join(', ')})`,
      issues: [],
    };
  }
  const parsed = boardCommandSchema.safeParse(raw);
  if (parsed.success) return { ok: true, cmd: parsed.data as BoardCommand };
  const issues = summarizeIssues(parsed.error.issues);
  const first = issues[0] ?? { path: '(command)', message: 'invalid' };
  return { ok: false, field: first.path, message: `invalid ${type} command: ${first.path}: ${first.message}`, issues };
}

/** Turns zod issues into {path, message}, naming unrecognized keys as the field. At most 5. */
export function summarizeIssues(issues: readonly z.core.$ZodIssue[]): IssueSummary[] {
  return issues.slice(0, 5).map((i) => {
    const base = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') {
      const keys = i.keys.slice(0, 5).map((k) => (k.length > 64 ? `${k.slice(0, 64)}...` : k));
      return { path: [base, keys[0] ?? ''].filter(Boolean).join('.'), message: `unknown field(s) ${keys.join(', ')}` };
    }
    return { path: base || '(command)', message: i.message };
  });
}

// ---------------------------------------------------------------------------------------------
// Snapshot: what a restored board is built from (it may come from disk or another peer).

const serverSchema = z.object({
  host: hostSchema,
  app: z.string(),
  ip: z.string(),
  env: z.string(),
  available: z.boolean(),
  action: z.string(),
  since: epochSecSchema,
  comment: z.string(),
  holder: z.string().nullable(),
  until: epochSecSchema.nullable(),
  maintenance: z.boolean(),
  queue: z.array(z.object({ user: z.string(), durationSec: z.number().int(), comment: z.string(), since: epochSecSchema })),
  holderNode: z.string().nullable(),
  maintenanceReason: z.string().optional(),
  maintenanceBy: z.string().optional(),
  maintenanceSince: epochSecSchema.optional(),
});
const userRequestSchema = z.object({
  nodeIP: z.string(),
  timestamp: z.number(),
  operation: z.string(),
  serverHost: z.string(),
  comment: z.string(),
  id: z.number(),
  user: z.string(),
  nodeId: z.string(),
  result: z.enum(['ok', 'error']),
  errorCode: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
const errorValueSchema = z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() });
const applyResultSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown().optional() }),
  z.object({ ok: z.literal(false), error: errorValueSchema }),
]);

export const boardSnapshotSchema = z.object({
  version: z.literal(1),
  servers: z.array(serverSchema),
  history: z.array(userRequestSchema),
  users: z.array(
    z.object({
      user_id: z.string(),
      username: z.string(),
      addr: z.string(),
      registeredAt: z.number(),
      lastSeen: z.number().optional(),
      lastAddr: z.string().optional(),
    }),
  ),
  clusterNodes: z.array(
    z.object({
      id: z.string(),
      url: z.string(),
      clusterId: z.string(),
      role: z.string(),
      capabilities: z.record(z.string(), z.unknown()),
      tags: z.array(z.string()),
      metadata: z.record(z.string(), z.unknown()),
      createdAt: z.string(),
      serving: z.boolean(),
      servingChangedAt: z.string(),
      lastSeenMs: z.number().optional(),
      reportedStatus: z.string().optional(),
      stats: z.object({ load: z.number().optional(), memory: z.number().optional(), connections: z.number().optional() }).optional(),
    }),
  ),
  applied: z.array(z.tuple([z.string(), applyResultSchema])),
  lastUpdate: z.number(),
  monitoring: monitoringSnapshotSchema.optional(),
  loans: loansSnapshotSchema.optional(),
});

/** Validates a snapshot's shape; returns the issues (empty when valid). */
export function checkBoardSnapshot(raw: unknown): { ok: true; snapshot: BoardSnapshot } | { ok: false; issues: IssueSummary[] } {
  const parsed = boardSnapshotSchema.safeParse(raw);
  if (parsed.success) return { ok: true, snapshot: parsed.data as BoardSnapshot };
  return { ok: false, issues: summarizeIssues(parsed.error.issues) };
}

// ---------------------------------------------------------------------------------------------
// The gate before the log: nothing that the board cannot apply, snapshot and serialise is proposed.

export type CheckedProposal = { ok: true; cmd: BoardCommand; meta: CommandMeta; bytes: number } | { ok: false; message: string; details: Record<string, unknown> };

/**
 * Checks a board command and its meta before a master appends them to the log: the command's
 * schema (every field bounded in length, count and depth), the meta's schema, and that the pair
 * serialises to JSON within BoardLimits.commandBytes. A refusal is a BAD_REQUEST for the caller;
 * the log never sees the command. Board.apply checks the schema again (entries written by older
 * versions), so a bad entry already in a log is refused there deterministically, never applied.
 */
export function checkProposal(cmd: unknown, meta: unknown): CheckedProposal {
  const parsed = parseBoardCommand(cmd);
  if (!parsed.ok) return { ok: false, message: parsed.message, details: { field: parsed.field, issues: parsed.issues } };
  const m = commandMetaSchema.safeParse(meta);
  if (!m.success) {
    const issue = summarizeIssues(m.error.issues)[0];
    return { ok: false, message: `invalid request meta: ${issue?.path ?? ''}: ${issue?.message ?? 'invalid'}`, details: { field: `meta.${issue?.path ?? ''}` } };
  }
  let bytes: number;
  try {
    bytes = utf8Length(JSON.stringify({ cmd: parsed.cmd, meta: m.data }));
  } catch (err) {
    return { ok: false, message: `the command cannot be serialised: ${(err as Error).message}`, details: { reason: 'not_serialisable' } };
  }
  if (bytes > BoardLimits.commandBytes) {
    return { ok: false, message: `the command serialises to ${bytes} bytes, over the limit of ${BoardLimits.commandBytes}`, details: { reason: 'too_large', bytes } };
  }
  return { ok: true, cmd: parsed.cmd, meta: m.data, bytes };
}
