// The requests a user interface sends (reserve, extend, ...), as runtime schemas built from the board's
// own field schemas: HTTP bodies, IPC arguments and the CLI use these, so every edge has one set of limits.
import { z } from 'zod';
import { BoardLimits, commentSchema, holdDurationSchema, hostSchema, queueDurationSchema, serverInputSchema, serverPatchSchema, untilSchema, userSchema } from './commands.js';

/** an idempotency key: retrying with the same key never applies twice */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(BoardLimits.idLen)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** a user name as typed: surrounding spaces are trimmed, then the board's rule applies */
export const requestUserSchema = z.string().trim().pipe(userSchema);

const oneEnd = (b: { durationSec?: number | undefined; until?: number | undefined }): boolean => (b.durationSec === undefined) !== (b.until === undefined);
const oneEndMessage = { message: 'send exactly one of durationSec (seconds) or until (epoch seconds)', path: [] };

/** The fields of each request without its host (an HTTP route takes the host from the path). */
export const requestFields = {
  reserve: {
    user: requestUserSchema,
    durationSec: holdDurationSchema.optional(),
    until: untilSchema.optional(),
    comment: commentSchema.optional(),
    idempotencyKey: idempotencyKeySchema.optional(),
  },
  release: { user: requestUserSchema, force: z.boolean().optional(), idempotencyKey: idempotencyKeySchema.optional() },
  extend: {
    user: requestUserSchema,
    durationSec: holdDurationSchema.optional(),
    until: untilSchema.optional(),
    idempotencyKey: idempotencyKeySchema.optional(),
  },
  queue: { user: requestUserSchema, durationSec: queueDurationSchema, comment: commentSchema.optional(), idempotencyKey: idempotencyKeySchema.optional() },
  leaveQueue: { user: requestUserSchema, idempotencyKey: idempotencyKeySchema.optional() },
} as const;

/** Bodies without the host (HTTP: the host is in the path). */
export const requestBodies = {
  reserve: z.strictObject(requestFields.reserve).refine(oneEnd, oneEndMessage),
  release: z.strictObject(requestFields.release),
  extend: z.strictObject(requestFields.extend).refine(oneEnd, oneEndMessage),
  queue: z.strictObject(requestFields.queue),
};

/** Whole requests, as PeerApi takes them (IPC arguments, the board service). */
export const requestSchemas = {
  reserve: z.strictObject({ host: hostSchema, ...requestFields.reserve }).refine(oneEnd, oneEndMessage),
  release: z.strictObject({ host: hostSchema, ...requestFields.release }),
  extend: z.strictObject({ host: hostSchema, ...requestFields.extend }).refine(oneEnd, oneEndMessage),
  queue: z.strictObject({ host: hostSchema, ...requestFields.queue }),
  leaveQueue: z.strictObject({ host: hostSchema, ...requestFields.leaveQueue }),
  addServer: serverInputSchema,
  updateServer: z.tuple([hostSchema, serverPatchSchema]),
  removeServer: hostSchema,
  importServers: z.strictObject({ serversList: z.array(serverInputSchema).max(BoardLimits.importServers), replace: z.boolean().optional() }),
  /** host, on, and why (optional, at most BoardLimits.maintenanceReasonLen characters) */
  setMaintenance: z.tuple([hostSchema, z.boolean(), z.string().max(BoardLimits.maintenanceReasonLen).optional()]),
};

export type RequestName = keyof typeof requestSchemas;
