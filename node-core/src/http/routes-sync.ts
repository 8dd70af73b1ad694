// Seed 003's sync API (/sync/api/*) mapped onto the cluster: the master is the primary, remote instances
// register with the team key, get a JWT, fetch the checks and push results that vote in verdicts. A
// follower answers writes with 403 NOT_LEADER naming the primary; reads answer from its replica.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { NodeHandle } from '../api/node-handle.js';
import type { LeaderInfo } from '../api/peer-api.js';
import { ErrorCode, NotFoundError, PeerboardError } from '../errors.js';
import type { MonitoringData } from '../monitoring/board-monitoring.js';
import { HeartbeatLimiter, syncAuth } from '../monitoring/sync-auth.js';
import { endpointOf, heartbeatPayloadSchema, instanceIdSchema, instanceRegistrationSchema, reportsOf, SyncLimits, syncConfigurationOf, configVersionOf, DEFAULT_HEARTBEAT_SEC } from '../monitoring/sync-schema.js';
import { issueSyncToken, jwtKeys } from '../monitoring/sync-token.js';
import { Access, requireAccess } from './auth.js';
import type { RouteContext } from './context.js';
import { parseInput, nodeIdSchema } from './schemas.js';

/** "http://ip:apiPort" of the primary, or null while none is known */
export function primaryUrl(leader: LeaderInfo | null): string | null {
  return leader && leader.nodeIP && leader.apiPort ? `http://${leader.nodeIP}:${leader.apiPort}` : null;
}

/** 403 NOT_LEADER with the primary's address at the top (seed 003's dependents follow it) and in details. */
export class NotPrimaryError extends PeerboardError {
  override name = 'NotPrimaryError';
  constructor(
    readonly primary: string | null,
    readonly leader: LeaderInfo | null,
  ) {
    super(ErrorCode.NotLeader, `this node is not the primary (the cluster's master); ${primary ? `send this to ${primary}` : 'no primary is known now (an election is in progress); retry in a few seconds'}`, { primary, leader });
  }
  override toHttpBody(): ReturnType<PeerboardError['toHttpBody']> {
    return { ...super.toHttpBody(), primary: this.primary, leader: this.leader } as ReturnType<PeerboardError['toHttpBody']>;
  }
}

export function requirePrimary(node: NodeHandle): void {
  const v = node.status();
  if (v.self.role === 'master') return;
  throw new NotPrimaryError(primaryUrl(v.leader), v.leader);
}

/** an instance that has not sent a heartbeat for this long shows as inactive */
const ACTIVE_WITHIN_MS = 6 * DEFAULT_HEARTBEAT_SEC * 1000;

const idParams = z.strictObject({ id: instanceIdSchema });
const endpointParams = z.strictObject({ id: z.string().regex(/^[1-9][0-9]{0,14}$/, 'an endpoint id: a positive integer').transform(Number) });
const promoteBody = z.union([z.strictObject({ nodeId: nodeIdSchema }), z.strictObject({ instanceId: instanceIdSchema })]);

export function registerSyncRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { node } = ctx;
  const nowMs = () => ctx.nowSec() * 1000;
  const auth = syncAuth(node, new HeartbeatLimiter(SyncLimits.heartbeatsPerSec, () => Date.now()), nowMs);
  const admin = { onRequest: requireAccess(node.config, Access.admin) };
  /** last heartbeat per instance, as this node (the primary) received it: memory only */
  const lastHeartbeat = new Map<string, { at: number; status: string }>();

  const monitoring = (): Readonly<MonitoringData> => {
    const reader = node.monitorReader?.();
    if (!reader) throw new PeerboardError(ErrorCode.Unavailable, 'this node was started without monitoring');
    return reader.monitoring();
  };
  const clusterIds = (): Set<string> => new Set([node.nodeId, ...node.clusterView().map((e) => e.nodeId), ...node.clusterNodes().map((n) => n.id)]);

  app.post('/sync/api/register', { onRequest: auth.register }, async (request) => {
    requirePrimary(node);
    const reg = parseInput(instanceRegistrationSchema, request.body, 'request body');
    if (clusterIds().has(reg.instanceId)) {
      throw new PeerboardError(ErrorCode.Conflict, `instanceId "${reg.instanceId}" is a cluster node's id; pick another (a remote instance must not speak for a node)`, { instanceId: reg.instanceId });
    }
    const keys = jwtKeys(auth.secrets());
    if (!keys) throw new PeerboardError(ErrorCode.Forbidden, 'this node has no secret to sign tokens with');
    const instance = {
      instanceId: reg.instanceId,
      instanceName: reg.instanceName,
      location: reg.location || reg.instanceName,
      failoverOrder: reg.failoverOrder,
      version: reg.version,
      capabilities: reg.capabilities,
      ...(reg.publicEndpoint !== undefined ? { publicEndpoint: reg.publicEndpoint } : {}),
    };
    const res = await node.submit({ type: 'instance-register', instance }, { user: `sync:${reg.instanceId}`.slice(0, 128), caller: 'admin' });
    const created = (res.value as { created?: boolean } | undefined)?.created ?? false;
    const { token, expiresAt } = await issueSyncToken(keys.sign, reg.instanceId, nowMs());
    ctx.logger.info({ instanceId: reg.instanceId, location: instance.location, created, from: request.ip }, 'remote instance registered');
    return { success: true, token, expiresAt: new Date(expiresAt).toISOString(), instanceId: reg.instanceId, created, primary: primaryUrl(node.status().leader), configVersion: configVersionOf(monitoring()) };
  });

  app.put('/sync/api/heartbeat', { onRequest: auth.instance }, async (request) => {
    requirePrimary(node);
    const hb = parseInput(heartbeatPayloadSchema, request.body, 'request body');
    if (request.syncInstance && request.syncInstance !== hb.instanceId) {
      throw new PeerboardError(ErrorCode.Forbidden, `the token is for instance "${request.syncInstance}", not "${hb.instanceId}"`);
    }
    const bad = hb.monitoringResults.findIndex((r) => r.instanceId !== hb.instanceId);
    if (bad >= 0) throw new PeerboardError(ErrorCode.BadRequest, `monitoringResults[${bad}].instanceId differs from the heartbeat's instanceId`, { field: `monitoringResults.${bad}.instanceId` });
    const m = monitoring();
    const instance = m.instances.get(hb.instanceId);
    if (!instance) throw new NotFoundError(`instance "${hb.instanceId}" is not registered (or was removed); register again (POST /sync/api/register)`, { instanceId: hb.instanceId });
    if (!node.monitorIngest) throw new PeerboardError(ErrorCode.Unavailable, 'this node was started without monitoring');
    const reports = reportsOf(instance, hb.monitoringResults);
    let accepted: number;
    try {
      accepted = node.monitorIngest(instance.instanceId, instance.location || instance.instanceName, hb.status !== 'failing', reports);
    } catch (err) {
      if (err instanceof PeerboardError && err.code === ErrorCode.NotLeader) requirePrimary(node);
      throw err;
    }
    lastHeartbeat.set(instance.instanceId, { at: Date.now(), status: hb.status });
    return { success: true, accepted, ignored: hb.monitoringResults.length - accepted, configVersion: configVersionOf(m) };
  });

  app.get('/sync/api/instances', { onRequest: auth.read }, async () => {
    const m = monitoring();
    const master = node.status().self.role === 'master';
    const now = Date.now();
    for (const id of lastHeartbeat.keys()) if (!m.instances.has(id)) lastHeartbeat.delete(id);
    const instances = [...m.instances.values()].map((i) => {
      const hb = lastHeartbeat.get(i.instanceId);
      const status = !master ? 'unknown' : hb && now - hb.at <= ACTIVE_WITHIN_MS ? (hb.status === 'failing' ? 'failed' : 'active') : 'inactive';
      return { ...i, kind: 'remote' as const, registeredAt: new Date(i.registeredAt).toISOString(), lastHeartbeat: hb ? new Date(hb.at).toISOString() : null, status };
    });
    const nodes = node.clusterView().map((e) => ({ kind: 'node' as const, instanceId: e.nodeId, instanceName: e.name ?? e.nodeId, role: e.role, voter: e.voter, failoverOrder: e.failoverOrder ?? 99, address: `http://${e.nodeIP}:${e.apiPort}` }));
    return { success: true, instances, nodes, primary: primaryUrl(node.status().leader), answeredBy: master ? 'primary' : 'replica' };
  });

  app.delete('/sync/api/instances/:id', admin, async (request) => {
    requirePrimary(node);
    const { id } = parseInput(idParams, request.params, 'path');
    const caller = request.caller === 'open' ? 'open' : 'admin';
    await node.submit({ type: 'instance-remove', instanceId: id }, { user: 'admin', caller });
    lastHeartbeat.delete(id);
    return { success: true, removed: id };
  });

  app.get('/sync/api/endpoints', { onRequest: auth.read }, async (request) => ({ success: true, ...syncConfigurationOf(monitoring(), typeof request.syncInstance === 'string') }));

  app.get('/sync/api/endpoints/:id', { onRequest: auth.read }, async (request) => {
    const { id } = parseInput(endpointParams, request.params, 'path');
    const c = monitoring().checks.get(id);
    if (!c) throw new NotFoundError(`no endpoint (check) with id ${id}`, { endpointId: id });
    return { success: true, endpoint: endpointOf(c, typeof request.syncInstance === 'string') };
  });

  app.get('/sync/api/notification-services', { onRequest: auth.read }, async () => ({ success: true, notificationServices: syncConfigurationOf(monitoring(), false).notificationServices }));

  app.get('/sync/api/failover-order', { onRequest: auth.read }, async () => {
    const order = node
      .clusterView()
      .map((e) => ({ nodeId: e.nodeId, name: e.name ?? e.nodeId, address: `http://${e.nodeIP}:${e.apiPort}`, failoverOrder: e.failoverOrder ?? 99, voter: e.voter, role: e.role, headless: e.headless }))
      .sort((a, b) => Number(b.voter) - Number(a.voter) || a.failoverOrder - b.failoverOrder || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
    const remote = [...monitoring().instances.values()].map((i) => ({ instanceId: i.instanceId, instanceName: i.instanceName, failoverOrder: i.failoverOrder, promotable: false }));
    return { success: true, primary: primaryUrl(node.status().leader), failoverOrder: order, remoteInstances: remote };
  });

  app.post('/sync/api/promote', admin, async (request) => {
    requirePrimary(node);
    const b = parseInput(promoteBody, request.body, 'request body');
    const id = 'nodeId' in b ? b.nodeId : b.instanceId;
    if (monitoring().instances.has(id)) {
      throw new PeerboardError(ErrorCode.Conflict, `"${id}" is a remote instance: it runs checks and votes in verdicts, but it is not a voter of the cluster, so it cannot become the primary; promote a cluster node (GET /sync/api/failover-order)`, { instanceId: id });
    }
    if (!node.clusterView().some((e) => e.nodeId === id)) throw new NotFoundError(`no cluster node "${id}" (GET /sync/api/failover-order lists them)`, { nodeId: id });
    ctx.logger.info({ nodeId: id, from: request.ip }, 'promote requested over the sync API');
    const { leaderId } = await node.promote({ nodeId: id });
    return { success: true, leaderId, primary: primaryUrl(node.status().leader) };
  });

  app.post('/sync/api/demote/:id', admin, async (request) => {
    requirePrimary(node);
    const { id } = parseInput(idParams, request.params, 'path');
    if (id !== node.nodeId) {
      const what = monitoring().instances.has(id) ? 'a remote instance, never the primary' : 'not the primary';
      throw new PeerboardError(ErrorCode.Conflict, `"${id}" is ${what}; the primary is "${node.nodeId}" (demote that one to hand the role on)`, { primaryId: node.nodeId });
    }
    ctx.logger.info({ from: request.ip }, 'demote requested over the sync API: handing the primary role on');
    const { leaderId } = await node.promote({});
    return { success: true, leaderId, demoted: id };
  });
}
