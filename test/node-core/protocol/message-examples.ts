// One valid example of every peer message type, for codec tests (and anyone who needs a sample).
import { MessageType, PROTOCOL_VERSION, type Message, type MessageType as Type } from '../../../node-core/src/protocol/messages.js';

export const CLUSTER = 'lab-cluster';

const env = { v: PROTOCOL_VERSION, clusterId: CLUSTER, nodeId: 'node-a', term: 3, ts: Date.UTC(2026, 0, 1) };
const node = {
  nodeId: 'node-a',
  nodeIP: '10.0.0.1',
  peerPort: 8780,
  apiPort: 8777,
  uiPort: 8778,
  headless: false,
  user: 'alice',
  failoverOrder: 1,
  cpuLoad: 12.5,
  version: '0.1.0',
};
const view = [
  { nodeIP: '10.0.0.1', role: 'master' as const, nodeId: 'node-a', peerPort: 8780, apiPort: 8777, headless: false, voter: true, lastHeartbeat: env.ts, term: 3, matchIndex: 10 },
  { nodeIP: '10.0.0.2', role: 'slave' as const, nodeId: 'node-b', peerPort: 8780, apiPort: 8777, uiPort: 8778, headless: true, voter: true, user: 'bob', lastHeartbeat: env.ts - 500, term: 3, matchIndex: 9, failoverOrder: 2, cpuLoad: 3 },
];
const member = { nodeId: 'node-a', ip: '10.0.0.1', peerPort: 8780, apiPort: 8777, headless: false };
const config = { incarnation: 'inc-1', voters: [member] };
const meta = { user: 'alice', nodeId: 'node-a', nodeIP: '10.0.0.1', reqId: 'req-1' };

export const examples: { [T in Type]: Extract<Message, { type: T }> } = {
  JoinRequest: { ...env, type: 'JoinRequest', node, lastIndex: 10, lastTerm: 3, fresh: false },
  JoinResponse: { ...env, type: 'JoinResponse', to: 'node-b', master: node, clusterView: view, commitIndex: 10, incarnation: 'inc-1' },
  Heartbeat: { ...env, type: 'Heartbeat', master: node, commitIndex: 10, lastIndex: 11, incarnation: 'inc-1', clusterView: view },
  LeaveNotification: { ...env, type: 'LeaveNotification', node, reason: 'shutdown' },
  ForceMaster: { ...env, type: 'ForceMaster', targetNodeId: 'node-b', by: 'alice@10.0.0.1' },
  masterDisconnected: { ...env, type: 'masterDisconnected', masterNodeId: 'node-a', reason: 'heartbeat timeout' },
  slaveDisconnected: { ...env, type: 'slaveDisconnected', slaveNodeId: 'node-b', reason: 'heartbeat timeout' },
  FetchState: { ...env, type: 'FetchState', node, lastIndex: 9, lastTerm: 3, maxWaitMs: 1000, commitIndex: 9 },
  StateUpdate: {
    ...env,
    type: 'StateUpdate',
    ok: true,
    leaderId: 'node-a',
    entries: [
      { index: 10, term: 3, at: env.ts, kind: 'noop' },
      { index: 11, term: 3, at: env.ts, kind: 'config', config, reason: 'join', by: 'node-a' },
      { index: 12, term: 3, at: env.ts, kind: 'board', cmd: { type: 'reserve', serverId: 's1' }, meta },
    ],
    commitIndex: 11,
    diverging: { index: 9, term: 2 },
    snapshot: { index: 8, term: 2, config, board: { servers: [] } },
  },
  VoteRequest: { ...env, type: 'VoteRequest', preVote: true, lastIndex: 10, lastTerm: 3, transfer: false },
  VoteResponse: { ...env, type: 'VoteResponse', preVote: false, granted: true, reason: 'log up to date' },
  TimeoutNow: { ...env, type: 'TimeoutNow' },
  TimeoutNowResponse: { ...env, type: 'TimeoutNowResponse', accepted: true },
  ForwardRequest: { ...env, type: 'ForwardRequest', cmd: { type: 'release', serverId: 's1' }, meta },
  ForwardResponse: { ...env, type: 'ForwardResponse', result: { ok: true, value: { id: 's1' } }, index: 12 },
  ErrorResponse: { ...env, type: 'ErrorResponse', code: 'NOT_LEADER', message: 'ask node-a', leaderId: 'node-a' },
  CheckReport: { ...env, type: 'CheckReport', location: 'lab-1', referenceOk: true, results: [{ checkId: 1, status: 'DOWN', responseTime: 12.5, at: 1_700_000_000_000, error: 'HTTP 503' }] },
  CheckReportResponse: { ...env, type: 'CheckReportResponse', accepted: 1 },
};

/** every type in MessageType, so a new type without an example fails the test */
export const allTypes = Object.values(MessageType);
