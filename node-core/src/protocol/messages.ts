// The wire protocol: every peer message, its runtime schema and its TypeScript type.
// Seed 000's message names are kept exactly; Peerboard's additions are new types and optional
// fields. Names are part of the protocol: never rename one, only add.
import { z } from 'zod';
import { nodeNameSchema } from '../node-name.js';
import { MAX_TERM } from '../consensus/limits.js';

/** Version of this protocol. A node drops messages whose v is outside [MIN, CURRENT]. */
export const PROTOCOL_VERSION = 1;
export const MIN_PROTOCOL_VERSION = 1;

export const MessageType = {
  // seed 000, UDP
  JoinRequest: 'JoinRequest',
  JoinResponse: 'JoinResponse',
  Heartbeat: 'Heartbeat',
  LeaveNotification: 'LeaveNotification',
  ForceMaster: 'ForceMaster',
  masterDisconnected: 'masterDisconnected',
  slaveDisconnected: 'slaveDisconnected',
  // seed 000, TCP
  FetchState: 'FetchState',
  StateUpdate: 'StateUpdate',
  // Peerboard additions, TCP
  VoteRequest: 'VoteRequest',
  VoteResponse: 'VoteResponse',
  TimeoutNow: 'TimeoutNow',
  TimeoutNowResponse: 'TimeoutNowResponse',
  ForwardRequest: 'ForwardRequest',
  ForwardResponse: 'ForwardResponse',
  ErrorResponse: 'ErrorResponse',
  // Peerboard additions, TCP: monitoring (issue 12)
  CheckReport: 'CheckReport',
  CheckReportResponse: 'CheckReportResponse',
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

const id = z.string().min(1).max(128);
const nat = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** a term: bounded so that one forged number cannot exhaust the term space (consensus/limits.ts) */
const termNum = z.number().int().min(0).max(MAX_TERM);
const port = z.number().int().min(0).max(65535);
/** a location's load over the last ~10 s (loans/types.ts LocationLoad) */
const locationLoad = z.object({
  lagP99Ms: z.number().finite().min(0).max(86_400_000),
  cpu: z.number().finite().min(0).max(1024),
  utilisation: z.number().finite().min(0).max(1),
  demand: z.number().finite().min(0).max(1000).optional(),
});
/** the checks a location runs (monitoring/assign.ts): at most 10,000 ids (the board's limit on checks) */
const assignVersion = z.string().min(1).max(64);
const assignment = z.object({ version: assignVersion, ids: z.array(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)).max(10_000) });

export const Role = { master: 'master', slave: 'slave', candidate: 'candidate', observer: 'observer' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** What a node says about itself in UDP messages and in FetchState. */
export const nodeInfoSchema = z.object({
  nodeId: id,
  nodeIP: z.string().min(1).max(64),
  peerPort: port,
  apiPort: port,
  uiPort: port.optional(),
  headless: z.boolean(),
  user: z.string().max(128).optional(),
  failoverOrder: z.number().int().min(0).max(1_000_000),
  cpuLoad: z.number().min(0).max(1000),
  version: z.string().max(32),
  /**
   * nodeIP was configured (advertiseIP): peers use it as it is. Absent: nodeIP is a hint and each
   * peer uses the source address of what it receives from the node.
   */
  ipExplicit: z.boolean().optional(),
  /** display name (config `name`, else user@host): 1-64 printable characters; absent from older nodes */
  name: nodeNameSchema.optional(),
  /** the node may be lent to another farm (issue 13, the `lendable` setting); absent from older nodes: no */
  lendable: z.boolean().optional(),
});
export type NodeInfo = z.infer<typeof nodeInfoSchema>;

/** Seed 000's ClusterView entry ({nodeIP, role}) plus Peerboard's fields. */
export const clusterViewEntrySchema = z.object({
  nodeIP: z.string().max(64),
  role: z.enum(['master', 'slave', 'candidate', 'observer']),
  nodeId: id,
  peerPort: port,
  apiPort: port,
  uiPort: port.optional(),
  headless: z.boolean(),
  voter: z.boolean(),
  user: z.string().max(128).optional(),
  /** ms since epoch of the last message the sender got from this node */
  lastHeartbeat: nat,
  term: termNum,
  /** log index the node has stored (as far as the sender knows) */
  matchIndex: nat,
  failoverOrder: z.number().int().min(0).max(1_000_000).optional(),
  cpuLoad: z.number().min(0).max(1000).optional(),
  /**
   * the sender heard from this node within the election timeout (a master: a FetchState; others:
   * any message); false keeps lastHeartbeat as the last time it was heard, 0 if never
   */
  reachable: z.boolean().optional(),
  /** display name of the node (1-64 printable characters), when known */
  name: nodeNameSchema.optional(),
  /** the node may be lent to another farm (issue 13), when known */
  lendable: z.boolean().optional(),
});
export type ClusterViewEntry = z.infer<typeof clusterViewEntrySchema>;

const memberSchema = z.object({ nodeId: id, ip: z.string().max(64), peerPort: port, apiPort: port, headless: z.boolean() });
const clusterConfigSchema = z.object({ incarnation: z.string().max(64), voters: z.array(memberSchema).max(64) });

/** Log entries cross the wire as JSON; the board command inside is validated when applied. */
const logEntrySchema = z.union([
  z.object({ index: nat, term: termNum, at: nat, kind: z.literal('noop') }),
  z.object({ index: nat, term: termNum, at: nat, kind: z.literal('config'), config: clusterConfigSchema, reason: z.string().max(500), by: z.string().max(128) }),
  z.object({
    index: nat,
    term: termNum,
    at: nat,
    kind: z.literal('board'),
    cmd: z.looseObject({ type: z.string().max(64) }),
    meta: z.object({ user: z.string().max(128), nodeId: z.string().max(128), nodeIP: z.string().max(64), reqId: z.string().max(128) }),
  }),
]);

const envelope = {
  v: z.number().int(),
  clusterId: z.string().min(1).max(64),
  nodeId: id,
  term: termNum,
  /** sender's clock, ms since epoch (informational) */
  ts: nat,
};

export const messageSchemas = {
  JoinRequest: z.object({
    ...envelope,
    type: z.literal('JoinRequest'),
    node: nodeInfoSchema,
    lastIndex: nat,
    lastTerm: termNum,
    /** true when this node has never been part of a cluster (empty log): it may bootstrap */
    fresh: z.boolean(),
  }),
  JoinResponse: z.object({
    ...envelope,
    type: z.literal('JoinResponse'),
    /** the node id the answer is for (JoinResponse is broadcast: several nodes may share a port) */
    to: id,
    master: nodeInfoSchema,
    clusterView: z.array(clusterViewEntrySchema).max(1024),
    commitIndex: nat,
    incarnation: z.string().max(64),
  }),
  Heartbeat: z.object({
    ...envelope,
    type: z.literal('Heartbeat'),
    master: nodeInfoSchema,
    commitIndex: nat,
    lastIndex: nat,
    incarnation: z.string().max(64),
    clusterView: z.array(clusterViewEntrySchema).max(1024),
    /** the cluster holds no board data yet (only membership and registrations): see the merge rule in discovery.ts */
    young: z.boolean().optional(),
    /** the master's worker-loan port (issue 13, seed 004): other farms find their neighbours by it */
    loanPort: z.number().int().min(1).max(65535).optional(),
  }),
  LeaveNotification: z.object({
    ...envelope,
    type: z.literal('LeaveNotification'),
    node: nodeInfoSchema,
    reason: z.string().max(200),
  }),
  ForceMaster: z.object({
    ...envelope,
    type: z.literal('ForceMaster'),
    /** the node that should become master */
    targetNodeId: id,
    /** who asked (free text for the audit log) */
    by: z.string().max(128),
  }),
  masterDisconnected: z.object({
    ...envelope,
    type: z.literal('masterDisconnected'),
    masterNodeId: id,
    reason: z.string().max(200),
  }),
  slaveDisconnected: z.object({
    ...envelope,
    type: z.literal('slaveDisconnected'),
    slaveNodeId: id,
    reason: z.string().max(200),
  }),
  FetchState: z.object({
    ...envelope,
    type: z.literal('FetchState'),
    node: nodeInfoSchema,
    /** last index the slave has stored durably, and its term */
    lastIndex: nat,
    lastTerm: termNum,
    /** how long the master may hold the request when there is nothing new */
    maxWaitMs: z.number().int().min(0).max(60_000),
    /** highest commit index the slave knows: the master answers at once if it knows a higher one */
    commitIndex: nat,
  }),
  StateUpdate: z.object({
    ...envelope,
    type: z.literal('StateUpdate'),
    /** false when the receiver of FetchState is not (or no longer) master */
    ok: z.boolean(),
    leaderId: id.nullable(),
    entries: z.array(logEntrySchema).max(100_000),
    commitIndex: nat,
    /** set when the slave's log diverged: truncate entries after `index` (whose term must be `term`) */
    diverging: z.object({ index: nat, term: termNum }).optional(),
    /** set when the slave is behind the master's compacted log: install it */
    snapshot: z.looseObject({ index: nat, term: termNum, config: clusterConfigSchema, board: z.looseObject({}) }).optional(),
  }),
  VoteRequest: z.object({
    ...envelope,
    type: z.literal('VoteRequest'),
    preVote: z.boolean(),
    lastIndex: nat,
    lastTerm: termNum,
    /** set by a leadership transfer (TimeoutNow): voters grant even though they have a live master */
    transfer: z.boolean(),
  }),
  VoteResponse: z.object({
    ...envelope,
    type: z.literal('VoteResponse'),
    preVote: z.boolean(),
    granted: z.boolean(),
    reason: z.string().max(200),
  }),
  TimeoutNow: z.object({ ...envelope, type: z.literal('TimeoutNow') }),
  TimeoutNowResponse: z.object({ ...envelope, type: z.literal('TimeoutNowResponse'), accepted: z.boolean() }),
  ForwardRequest: z.object({
    ...envelope,
    type: z.literal('ForwardRequest'),
    cmd: z.looseObject({ type: z.string().max(64) }),
    meta: z.object({ user: z.string().max(128), nodeId: z.string().max(128), nodeIP: z.string().max(64), reqId: z.string().max(128) }),
    /** proof of the caller's HTTP token (security/forward-auth.ts); required by a master with tokens */
    auth: z.object({ role: z.enum(['user', 'admin']), proof: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
  }),
  ForwardResponse: z.object({
    ...envelope,
    type: z.literal('ForwardResponse'),
    result: z.union([
      z.object({ ok: z.literal(true), value: z.unknown().optional() }),
      z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }) }),
    ]),
    index: nat.optional(),
  }),
  /** a location's latest probe results, to the master (monitoring/monitor-node.ts) */
  CheckReport: z.object({
    ...envelope,
    type: z.literal('CheckReport'),
    location: z.string().min(1).max(100),
    /** false: the location's own reference check failed, so its results do not vote */
    referenceOk: z.boolean(),
    results: z
      .array(
        z.object({
          checkId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
          status: z.enum(['UP', 'DOWN']),
          responseTime: z.number().finite().min(0).max(3_600_000),
          at: nat,
          error: z.string().max(300).nullable(),
        }),
      )
      .max(2000),
    /** the version of the assignment the location runs (absent: it has heard none and runs every check) */
    assignVersion: assignVersion.optional(),
    load: locationLoad.optional(),
  }),
  CheckReportResponse: z.object({
    ...envelope,
    type: z.literal('CheckReportResponse'),
    accepted: nat,
    /** the location's assignment, sent only when its assignVersion differs */
    assign: assignment.optional(),
  }),
  ErrorResponse: z.object({
    ...envelope,
    type: z.literal('ErrorResponse'),
    code: z.string().max(64),
    message: z.string().max(1000),
    leaderId: id.nullable().optional(),
  }),
} as const;

export const messageSchema = z.discriminatedUnion('type', [
  messageSchemas.JoinRequest,
  messageSchemas.JoinResponse,
  messageSchemas.Heartbeat,
  messageSchemas.LeaveNotification,
  messageSchemas.ForceMaster,
  messageSchemas.masterDisconnected,
  messageSchemas.slaveDisconnected,
  messageSchemas.FetchState,
  messageSchemas.StateUpdate,
  messageSchemas.VoteRequest,
  messageSchemas.VoteResponse,
  messageSchemas.TimeoutNow,
  messageSchemas.TimeoutNowResponse,
  messageSchemas.ForwardRequest,
  messageSchemas.ForwardResponse,
  messageSchemas.ErrorResponse,
  messageSchemas.CheckReport,
  messageSchemas.CheckReportResponse,
]);

export type Message = z.infer<typeof messageSchema>;
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;
/** A message before the envelope is filled in by the sender. */
export type Outgoing<T extends MessageType> = T extends MessageType ? Omit<MessageOf<T>, 'v' | 'clusterId' | 'nodeId' | 'term' | 'ts'> : never;

/** Messages that travel as UDP datagrams; the rest travel on TCP streams. */
export const UDP_TYPES: ReadonlySet<MessageType> = new Set([
  'JoinRequest',
  'JoinResponse',
  'Heartbeat',
  'LeaveNotification',
  'ForceMaster',
  'masterDisconnected',
  'slaveDisconnected',
]);
