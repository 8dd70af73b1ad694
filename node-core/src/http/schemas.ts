// Strict runtime schemas for every HTTP request body, path parameter and query string, and the
// parse helper that turns a zod failure into a 400 naming the unknown, missing or wrong field.
import { z } from 'zod';
import { BoardLimits, hostSchema, inventoryFields, jsonDepth, serverInputSchema, serverPatchSchema } from '../board/commands.js';
import { idempotencyKeySchema, requestBodies, requestUserSchema } from '../board/requests.js';
import { BadRequestError } from '../errors.js';

/** Named limits: the board's own (board/commands.ts), so that a request the board would refuse is refused here. */
export const Limits = {
  /** longest hold a reservation, extension or queue entry may ask for: the board's 30 days */
  maxDurationSec: BoardLimits.maxHoldSec,
  maxUser: BoardLimits.userLen,
  maxHost: BoardLimits.hostLen,
  maxComment: BoardLimits.commentLen,
  maxIdempotencyKey: BoardLimits.idLen,
  maxImport: BoardLimits.importServers,
  historyMaxLimit: 500,
  /** nesting of a free-form JSON field (seed 002's metadata, capabilities): the board's limit */
  maxJsonDepth: BoardLimits.jsonFieldDepth,
  /** serialised size of one free-form JSON field: the board's limit */
  maxJsonFieldBytes: BoardLimits.jsonFieldBytes,
} as const;

/** the board's own depth count (one rule, one place): see board/commands.ts */
export { jsonDepth };

/**
 * A free-form JSON object field: at most `maxDepth` levels (the object itself is level 1) and
 * `maxBytes` of JSON. Issue 9: metadata nested 3,000 levels deep was committed and then broke
 * every replica's snapshot; such a body is now a 400 naming the field.
 */
export function boundedJson(maxDepth: number = Limits.maxJsonDepth, maxBytes: number = Limits.maxJsonFieldBytes) {
  return z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
    const depth = jsonDepth(v, maxDepth);
    if (depth > maxDepth) {
      ctx.addIssue({ code: 'custom', message: `nested deeper than ${maxDepth} levels; flatten it` });
      return;
    }
    const bytes = Buffer.byteLength(JSON.stringify(v));
    if (bytes > maxBytes) ctx.addIssue({ code: 'custom', message: `${bytes} bytes of JSON, more than ${maxBytes}` });
  });
}

const user = requestUserSchema;
export const idempotencyKey = idempotencyKeySchema;
/** a server's host name: the board's rule */
export const hostName = hostSchema;
export const nodeIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'letters, digits, . _ : -; 1 to 64 characters');

/** Inventory fields (seed 000's descriptive fields): the board's schemas. */
const inventory = inventoryFields;

export const serverInputBody = serverInputSchema;

export const serverPatchBody = serverPatchSchema;

/** One row of an imported ServersData: seed 000's state fields are accepted and ignored. */
const importRow = z.strictObject({
  host: hostName,
  ...inventory,
  available: z.boolean().optional(),
  action: z.string().max(64).optional(),
  since: z.number().optional(),
  holder: z.string().max(Limits.maxUser).nullable().optional(),
  until: z.number().nullable().optional(),
  queue: z.array(z.unknown()).max(1000).optional(),
  holderNode: z.string().max(128).nullable().optional(),
});

export const importBody = z
  .strictObject({
    lastUpdate: z.number().optional(),
    serversList: z.array(importRow).max(Limits.maxImport),
    replace: z.boolean().optional(),
  })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.serversList.forEach((row, i) => {
      if (seen.has(row.host)) ctx.addIssue({ code: 'custom', path: ['serversList', i, 'host'], message: `duplicate host "${row.host}"` });
      seen.add(row.host);
    });
  });

/** reason: why (shown on the board with who set it); the same text rules as a comment, at most 200 characters */
export const maintenanceBody = z.strictObject({ on: z.boolean(), reason: z.string().max(BoardLimits.maintenanceReasonLen).optional() });

export const reserveBody = requestBodies.reserve;
export const releaseBody = requestBodies.release;
export const extendBody = requestBodies.extend;
export const queueBody = requestBodies.queue;

export const promoteBody = z.strictObject({
  role: z.enum(['master', 'slave']),
  /** seed 000 sends the node's IP; optional when nodeId names the node */
  ip: z.string().min(1).max(64).optional(),
  nodeId: nodeIdSchema.optional(),
});

export const updateRoleBody = z.strictObject({
  role: z.enum(['master', 'slave', 'candidate', 'observer']),
  ip: z.string().min(1).max(64),
});
export type UpdateRoleBody = z.infer<typeof updateRoleBody>;

export const voterBody = z.strictObject({ nodeId: nodeIdSchema });

export const forceShrinkBody = z.strictObject({
  voters: z.array(nodeIdSchema).min(1).max(64),
  confirm: z.literal(true, {
    error: 'force-shrink is destructive (the other voters lose their vote and uncommitted writes may be lost); send "confirm": true to proceed',
  }),
});

/** A decimal integer in a query string. */
const qInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'a non-negative integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const historyQuery = z.strictObject({
  user: z.string().min(1).max(Limits.maxUser).optional(),
  host: hostName.optional(),
  operation: z.string().min(1).max(64).optional(),
  result: z.enum(['ok', 'error']).optional(),
  /** false: without the cluster's bookkeeping rows (registrations); true: only those */
  system: z.enum(['true', 'false'], 'true or false').transform((v) => v === 'true').optional(),
  since: qInt(0, 100_000_000_000).optional(),
  limit: qInt(1, Limits.historyMaxLimit).optional(),
  offset: qInt(0, 1_000_000_000).optional(),
});

export const hostParams = z.strictObject({ host: hostName });
export const queueParams = z.strictObject({ host: hostName, user });
export const voterParams = z.strictObject({ nodeId: nodeIdSchema });

function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function fieldName(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/**
 * Parses `data` with `schema`; on failure throws BAD_REQUEST whose message names each bad field
 * (`unknown field "x"`, `missing field "user"`, `field "durationSec": ...`). `where` says what was
 * parsed ("request body", "query string", "path").
 */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown, where: string): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  if (data === undefined || data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new BadRequestError(`${where} must be a JSON object`);
  }
  const problems = r.error.issues.slice(0, 10).map((issue) => {
    const name = fieldName(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${name ? `${name}.` : ''}${k}"`).join(', ');
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}`;
    }
    if (!name) return issue.message;
    if (issue.code === 'invalid_type' && valueAt(data, issue.path) === undefined) return `missing field "${name}"`;
    return `field "${name}": ${issue.message}`;
  });
  throw new BadRequestError(`invalid ${where}: ${problems.join('; ')}`, {
    issues: r.error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String), code: i.code, message: i.message })),
  });
}
