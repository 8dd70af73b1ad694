// Runtime schemas for the arguments of every IPC invoke channel: the renderer is not trusted, so
// each call is checked for shape, size and unknown fields before anything reaches the node. The board
// channels use the board's own request schemas (node-core/src/board/requests.ts): one set of limits.
import { z } from 'zod';
import { BoardLimits, hostSchema } from '../node-core/src/board/commands.js';
import { requestSchemas, requestUserSchema } from '../node-core/src/board/requests.js';
import type { InvokeChannel, InvokeChannels } from './ipc-contract.js';
import { checkInputSchema, checkPatchSchema, notificationInputSchema } from '../node-core/src/monitoring/check-schema.js';
import { loanIdSchema } from '../node-core/src/loans/loans-edge.js';
import { settingsPatchSchema } from './settings-schema.js';

/** Largest inventory import accepted in one call: the board's. */
export const MAX_IMPORT_SERVERS = BoardLimits.importServers;

const host = hostSchema;
const user = requestUserSchema;
/** a check's or a notification target's id */
const id = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** One tuple schema per channel; its output type is the channel's argument tuple. */
export const argSchemas = {
  'board:get-state': z.tuple([]),
  'board:reserve-server': z.tuple([requestSchemas.reserve]),
  'board:release-server': z.tuple([requestSchemas.release]),
  'board:extend-reservation': z.tuple([requestSchemas.extend]),
  'board:queue-server': z.tuple([requestSchemas.queue]),
  'board:leave-queue': z.tuple([requestSchemas.leaveQueue]),
  'inventory:add-server': z.tuple([requestSchemas.addServer]),
  'inventory:update-server': requestSchemas.updateServer,
  'inventory:remove-server': z.tuple([requestSchemas.removeServer]),
  'inventory:import-servers': z.tuple([requestSchemas.importServers]),
  'inventory:set-maintenance': requestSchemas.setMaintenance,
  'history:list-requests': z.tuple([
    z.strictObject({
      user: user.optional(),
      host: host.optional(),
      operation: z.string().min(1).max(64).optional(),
      result: z.enum(['ok', 'error']).optional(),
      system: z.boolean().optional(),
      since: z.number().int().min(0).max(BoardLimits.maxEpochSec).optional(),
      limit: z.number().int().min(1).max(500).optional(),
      offset: z.number().int().min(0).max(10_000_000).optional(),
    }),
  ]),
  'cluster:promote-node': z.tuple([z.string().trim().min(1).max(128)]),
  'settings:get-settings': z.tuple([]),
  'settings:save-settings': z.tuple([settingsPatchSchema]),
  'settings:generate-key': z.tuple([]),
  'settings:join-team': z.tuple([z.strictObject({ invite: z.string().min(1).max(4096), user: z.string().trim().min(1).max(128) })]),
  'cluster:get-invite': z.tuple([]),
  'app:open-external': z.tuple([z.string().min(1).max(2048)]),
  // monitoring: the same schemas the board and the HTTP routes use (MonitorService checks again)
  'monitor:list-checks': z.tuple([]),
  'monitor:add-check': z.tuple([checkInputSchema]),
  'monitor:update-check': z.tuple([id, checkPatchSchema]),
  'monitor:remove-check': z.tuple([id]),
  'monitor:get-series': z.tuple([id, z.number().int().min(1).max(720)]),
  'monitor:list-alerts': z.tuple([z.number().int().min(1).max(500).optional()]),
  'monitor:list-notifications': z.tuple([]),
  'monitor:add-notification': z.tuple([notificationInputSchema]),
  'monitor:remove-notification': z.tuple([id]),
  'loans:get-loans': z.tuple([]),
  'loans:recall-loan': z.tuple([loanIdSchema]),
  'loans:return-loan': z.tuple([loanIdSchema]),
} satisfies { [C in InvokeChannel]: z.ZodType<unknown> };

/** Names of the positional arguments, for error messages ("host", "on", ...). */
export const argNames: { [C in InvokeChannel]: readonly string[] } = {
  'board:get-state': [],
  'board:reserve-server': ['request'],
  'board:release-server': ['request'],
  'board:extend-reservation': ['request'],
  'board:queue-server': ['request'],
  'board:leave-queue': ['request'],
  'inventory:add-server': ['server'],
  'inventory:update-server': ['host', 'patch'],
  'inventory:remove-server': ['host'],
  'inventory:import-servers': ['data'],
  'inventory:set-maintenance': ['host', 'on', 'reason'],
  'history:list-requests': ['filter'],
  'cluster:promote-node': ['nodeId'],
  'settings:get-settings': [],
  'settings:save-settings': ['settings'],
  'settings:generate-key': [],
  'settings:join-team': ['request'],
  'cluster:get-invite': [],
  'app:open-external': ['url'],
  'monitor:list-checks': [],
  'monitor:add-check': ['check'],
  'monitor:update-check': ['id', 'patch'],
  'monitor:remove-check': ['id'],
  'monitor:get-series': ['id', 'hours'],
  'monitor:list-alerts': ['limit'],
  'monitor:list-notifications': [],
  'monitor:add-notification': ['notification'],
  'monitor:remove-notification': ['id'],
  'loans:get-loans': [],
  'loans:recall-loan': ['id'],
  'loans:return-loan': ['id'],
};

/** Compile-time check: what a schema accepts is what the contract declares (up to optional fields). */
type ArgsOf<C extends InvokeChannel> = z.output<(typeof argSchemas)[C]>;
type Mismatched = { [C in InvokeChannel]: ArgsOf<C> extends InvokeChannels[C][0] ? never : C }[InvokeChannel];
/** fails to compile, naming the channel, when a schema drifts from the contract */
const contractCheck: [Mismatched] extends [never] ? true : Mismatched = true;
void contractCheck;

/** Names the offending field: "request.host: ..." or "too many arguments". */
export function describeIssue(channel: InvokeChannel, issue: z.core.$ZodIssue | undefined): { field: string; message: string } {
  if (!issue) return { field: 'arguments', message: 'invalid arguments' };
  const [first, ...rest] = issue.path;
  const names = argNames[channel];
  let field = typeof first === 'number' ? (names[first] ?? `argument ${first + 1}`) : 'arguments';
  if (rest.length > 0) field = rest.map(String).join('.');
  if (issue.code === 'unrecognized_keys') field = issue.keys.join(', ');
  if (issue.code === 'too_big' && issue.path.length === 0) return { field: 'arguments', message: `too many arguments (expected ${names.length})` };
  if (issue.code === 'too_small' && issue.path.length === 0) return { field: 'arguments', message: `missing arguments (expected ${names.join(', ')})` };
  const message = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''}` : issue.message;
  return { field, message };
}
