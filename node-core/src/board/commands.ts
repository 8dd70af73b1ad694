// Runtime schemas for board commands and inventory input: a command comes off the wire (log entry,
// forwarded write, HTTP body), so the board validates it here before it touches any state.
import { z } from 'zod';
import type { BoardCommand, BoardCommandType, BoardSnapshot, CommandMeta, ServerInput } from './types.js';

/** Named limits: every string and list a command carries is bounded. */
export const BoardLimits = {
  /** seconds a hold or a queued hold may last / reach ahead (30 days) */
  maxHoldSec: 30 * 24 * 3600,
  /** shortest queued hold */
  minQueueDurationSec: 60,
  userLen: 128,
  commentLen: 1000,
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
  /** users and nodes in one 'presence' command */
  presenceBatch: 500,
} as const;

export const HOST_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
/** host:port where host is a name, an IPv4 address or a bracketed IPv6 address */
export const ADDR_PATTERN = /^(?:[A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):([0-9]{1,5})$/;

const NAME_PATTERN = /^[^\s\p{Cc}](?:[^\p{Cc}]*[^\s\p{Cc}])?$/u;

export const hostSchema = z.string().max(128).regex(HOST_PATTERN, 'must be 1-128 letters, digits, dots, dashes or underscores');
export const userSchema = z
  .string()
  .min(1)
  .max(BoardLimits.userLen)
  .regex(NAME_PATTERN, 'must not start or end with a space or contain control characters');
const commentSchema = z.string().max(BoardLimits.commentLen);
/** an absolute time in epoch seconds */
const epochSecSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const durationSchema = z.number().int().min(BoardLimits.minQueueDurationSec).max(BoardLimits.maxHoldSec);
const idSchema = z.string().min(1).max(BoardLimits.idLen).regex(NAME_PATTERN, 'must not contain control characters');
/** a client address host:port (seed 001's addr) */
export const addrSchema = z
  .string()
  .max(300)
  .regex(ADDR_PATTERN, 'must be host:port')
  .refine((a) => validPort(a), { message: 'port must be 1-65535' });
/** ms since the epoch */
const epochMsSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const statSchema = z.number().finite().min(0).max(1_000_000_000);

/** a JSON object whose serialization stays under the named limit */
const boundedRecord = z.record(z.string(), z.unknown()).refine((v) => jsonSize(v) <= BoardLimits.jsonFieldBytes, {
  message: `must serialize to at most ${BoardLimits.jsonFieldBytes} bytes`,
});

function jsonSize(v: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY; // cycles, BigInt: not JSON
  }
}

const inventoryFields = {
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
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'patch must change at least one field' });

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
  z.strictObject({ type: z.literal('reserve'), host: hostSchema, user: userSchema, until: epochSecSchema, comment: commentSchema.optional() }),
  z.strictObject({ type: z.literal('release'), host: hostSchema, user: userSchema, force: z.boolean().optional() }),
  z.strictObject({ type: z.literal('extend'), host: hostSchema, user: userSchema, until: epochSecSchema }),
  z.strictObject({
    type: z.literal('queue'),
    host: hostSchema,
    user: userSchema,
    durationSec: durationSchema,
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
  z.strictObject({ type: z.literal('maintenance'), host: hostSchema, on: z.boolean() }),
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
];

export const commandMetaSchema = z.object({
  user: z.string().max(BoardLimits.userLen),
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
});

/** Validates a snapshot's shape; returns the issues (empty when valid). */
export function checkBoardSnapshot(raw: unknown): { ok: true; snapshot: BoardSnapshot } | { ok: false; issues: IssueSummary[] } {
  const parsed = boardSnapshotSchema.safeParse(raw);
  if (parsed.success) return { ok: true, snapshot: parsed.data as BoardSnapshot };
  return { ok: false, issues: summarizeIssues(parsed.error.issues) };
}
