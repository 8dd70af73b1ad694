// Seed 002's cluster management API under /api/cluster: register, heartbeat, nodes, status, health
// (cluster-health.ts), enable/disable-serving (maintenance through the log) and service-status.
// Peerboard's own nodes come from discovery (coordinator = master, worker = slave), then registered ones.
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ClusterNodeRecord } from '../board/types.js';
import { NotFoundError } from '../errors.js';
import { osStats, presenceFor } from '../presence.js';
import { ensureSelfRecord, nodeUrl } from '../self-register.js';
import { Access, requireAccess } from './auth.js';
import type { Caller } from './auth.js';
import { type RouteContext, actorOf } from './context.js';
import { healthRows, probeTargets } from './cluster-health.js';
import { boundedJson, nodeIdSchema, parseInput } from './schemas.js';

const httpUrl = z
  .string()
  .max(512)
  .refine((u) => URL.canParse(u) && ['http:', 'https:'].includes(new URL(u).protocol), { message: 'must be an http:// or https:// URL' });
const label = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'letters, digits, . _ : -; 1 to 64 characters');
const stat = z.number().finite().min(0).max(1_000_000_000);
/** an enum whose message says what to send when the field is missing or wrong */
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const list = values.map((v) => `"${v}"`).join(', ');
  return z.enum(values, { error: (iss) => (iss.input === undefined ? `is required: send one of ${list}` : `must be one of ${list}`) });
}

export const registerNodeBody = z.strictObject({
  id: nodeIdSchema,
  url: httpUrl,
  clusterId: label,
  role: oneOf(['coordinator', 'worker']),
  capabilities: boundedJson().optional(),
  tags: z.array(z.string().max(64)).max(64).optional(),
  metadata: boundedJson().optional(),
});
export const nodeHeartbeatBody = z.strictObject({
  status: oneOf(['active', 'inactive', 'maintenance']),
  metadata: z.strictObject({ load: stat.optional(), memory: stat.optional(), connections: z.int().min(0).max(1_000_000_000).optional() }).optional(),
});
const nodeParams = z.strictObject({ nodeId: nodeIdSchema });

/** One node as seed 002 lists it, plus Peerboard's fields. */
export interface ListedNode {
  id: string;
  url: string;
  clusterId: string;
  status: 'active' | 'inactive' | 'maintenance';
  role: string;
  lastSeen: string | null;
  createdAt: string | null;
  serving: boolean;
  peerboard: boolean;
  tags: string[];
  capabilities: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function registerClusterRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { node } = ctx;
  const presence = presenceFor(node, ctx.logger);
  const read = { onRequest: requireAccess(node.config, Access.read) };
  const userOp = { onRequest: requireAccess(node.config, Access.user) };
  const admin = { onRequest: requireAccess(node.config, Access.admin) };
  const startTime = iso(Date.now() - node.health().uptimeSec * 1000);

  /** Peerboard nodes from discovery (live role, liveness from consensus), then registered ones. */
  function listNodes(view = node.clusterView()): ListedNode[] {
    const now = Date.now();
    const records = new Map(node.clusterNodes().map((r) => [r.id, r]));
    const aliveMs = node.config.electionTimeoutMs * 3;
    const out: ListedNode[] = [];
    for (const e of view) {
      const rec = records.get(e.nodeId);
      records.delete(e.nodeId);
      const self = e.nodeId === node.nodeId;
      const seen = presence.nodeSeen(e.nodeId);
      const beat = self ? now : e.lastHeartbeat;
      // the view's own verdict when it has one (heard within the election timeout), else heartbeat freshness
      const alive = self || (e.reachable ?? (beat > 0 && now - beat < aliveMs));
      const stats = self ? osStats() : { ...(e.cpuLoad !== undefined ? { load: e.cpuLoad } : {}), ...statsOf(seen) };
      const serving = rec?.serving ?? true;
      out.push({
        id: e.nodeId,
        url: nodeUrl(e.nodeIP, e.apiPort),
        clusterId: node.config.clusterId,
        status: !alive ? 'inactive' : serving ? 'active' : 'maintenance',
        role: e.role === 'master' ? 'coordinator' : 'worker',
        lastSeen: beat > 0 ? iso(Math.max(beat, seen?.at ?? 0)) : seen ? iso(seen.at) : null,
        createdAt: rec?.createdAt ?? null,
        serving,
        peerboard: true,
        tags: rec?.tags ?? ['peerboard'],
        capabilities: rec?.capabilities ?? {},
        metadata: { ...rec?.metadata, peerboard: true, user: e.user ?? null, ...stats },
      });
    }
    for (const r of records.values()) out.push(external(r, now));
    return out;
  }

  function external(r: ClusterNodeRecord, now: number): ListedNode {
    const seen = presence.nodeSeen(r.id);
    const last = seen?.at ?? Date.parse(r.createdAt);
    const alive = now - last < presence.opts.nodeTimeoutMs && seen?.status !== 'inactive';
    const maintenance = !r.serving || seen?.status === 'maintenance';
    return {
      id: r.id,
      url: r.url,
      clusterId: r.clusterId,
      status: !alive ? 'inactive' : maintenance ? 'maintenance' : 'active',
      role: r.role,
      lastSeen: seen ? iso(seen.at) : r.createdAt,
      createdAt: r.createdAt,
      serving: r.serving,
      peerboard: false,
      tags: r.tags,
      capabilities: r.capabilities,
      metadata: { ...r.metadata, ...statsOf(seen) },
    };
  }

  function serviceStatus(): { mode: 'serving' | 'maintenance'; enabled: boolean; startTime: string } {
    const rec = node.clusterNodes().find((n) => n.id === node.nodeId);
    const enabled = rec?.serving ?? true;
    return { mode: enabled ? 'serving' : 'maintenance', enabled, startTime: rec?.servingChangedAt ?? startTime };
  }

  function selfListed(): ListedNode {
    const me = listNodes().find((n) => n.id === node.nodeId);
    if (!me) throw new NotFoundError('this node is missing from its own cluster view');
    return me;
  }

  app.post('/api/cluster/register', userOp, async (request) => {
    const b = parseInput(registerNodeBody, request.body, 'request body');
    const rec = { id: b.id, url: b.url, clusterId: b.clusterId, role: b.role, capabilities: b.capabilities ?? {}, tags: b.tags ?? [], metadata: b.metadata ?? {} };
    const res = await node.submit({ type: 'cluster-register', node: rec }, { user: actorOf(ctx, request), caller: request.caller ?? 'open' });
    presence.beatNode(b.id, 'active', {});
    const stored = (res.value as { node?: ClusterNodeRecord } | undefined)?.node ?? node.clusterNodes().find((n) => n.id === b.id);
    const createdAt = stored?.createdAt ?? iso(Date.now());
    const listed = listNodes().find((n) => n.id === b.id);
    return {
      success: true,
      node: { id: b.id, url: b.url, clusterId: b.clusterId, status: listed?.status ?? 'active', role: b.role, lastSeen: listed?.lastSeen ?? createdAt, createdAt },
    };
  });

  app.post('/api/cluster/heartbeat/:nodeId', userOp, async (request) => {
    const { nodeId } = parseInput(nodeParams, request.params, 'path');
    const b = parseInput(nodeHeartbeatBody, request.body, 'request body');
    if (!node.clusterNodes().some((n) => n.id === nodeId)) {
      throw new NotFoundError(`node ${nodeId} is not registered; POST /api/cluster/register first`, { nodeId });
    }
    const at = presence.beatNode(nodeId, b.status, b.metadata ?? {});
    return { success: true, acknowledged: true, timestamp: iso(at) };
  });

  app.get('/api/cluster/nodes', read, async () => {
    const nodes = listNodes();
    return { success: true, nodes, total: nodes.length };
  });

  app.get('/api/cluster/status', read, async () => {
    const me = selfListed();
    const leader = node.status().leader;
    return {
      success: true,
      status: { id: me.id, url: me.url, clusterId: me.clusterId, status: me.status, role: me.role, lastSeen: me.lastSeen },
      config: {
        enabled: true,
        clusterId: node.config.clusterId,
        coordinatorUrl: leader && leader.nodeIP && leader.apiPort ? nodeUrl(leader.nodeIP, leader.apiPort) : null,
        heartbeatInterval: Math.round(presence.opts.heartbeatIntervalMs / 1000),
        nodeTimeout: Math.round(presence.opts.nodeTimeoutMs / 1000),
      },
      serviceStatus: serviceStatus(),
    };
  });

  app.get('/api/cluster/health', read, async () => {
    const view = node.clusterView();
    const nodes = listNodes(view);
    const targets = probeTargets(view, node.nodeId, node.config, node.status().self.apiPort);
    const rows = await healthRows(nodes, targets, presence.opts.probeTimeoutMs);
    const active = rows.filter((r) => r.status !== 'inactive').length;
    const coordinator = rows.find((r) => r.role === 'coordinator' && nodes.find((n) => n.id === r.id)?.peerboard);
    return {
      success: true,
      health: {
        totalNodes: rows.length,
        activeNodes: active,
        inactiveNodes: rows.length - active,
        coordinatorHealthy: Boolean(coordinator && coordinator.status !== 'inactive' && node.status().quorum),
        lastUpdate: iso(Date.now()),
        nodes: rows,
      },
    };
  });

  /** One switch for every layer: the replicated serving flag, plus maintenance on this node's board servers. */
  async function setServing(enabled: boolean, by: string, caller: Caller | undefined): Promise<{ changedAt: string; servers: string[] }> {
    await ensureSelfRecord(node, startTime, by);
    const res = await node.submit({ type: 'serving', nodeId: node.nodeId, enabled }, { user: by, caller: caller ?? 'open' });
    const self = node.status().self;
    const mine = new Set([hostname(), node.nodeId]);
    const servers = node
      .view()
      .serversData.serversList.filter((s) => mine.has(s.host) || (s.ip !== '' && s.ip === self.nodeIP))
      .map((s) => s.host);
    for (const host of servers) await node.submit({ type: 'maintenance', host, on: !enabled }, { user: by, caller: caller ?? 'open' });
    const rec = (res.value as { node?: ClusterNodeRecord } | undefined)?.node;
    return { changedAt: rec?.servingChangedAt ?? iso(Date.now()), servers };
  }

  app.post('/api/cluster/enable-serving', admin, async (request) => {
    const r = await setServing(true, actorOf(ctx, request), request.caller);
    return { success: true, message: 'Cluster serving enabled', status: { mode: 'serving', enabled: true, changedAt: r.changedAt }, servers: r.servers };
  });

  app.post('/api/cluster/disable-serving', admin, async (request) => {
    const r = await setServing(false, actorOf(ctx, request), request.caller);
    return {
      success: true,
      message: 'Cluster serving disabled (maintenance mode)',
      status: { mode: 'maintenance', enabled: false, changedAt: r.changedAt },
      servers: r.servers,
    };
  });

  app.get('/api/cluster/service-status', read, async () => {
    const me = selfListed();
    return { success: true, status: serviceStatus(), nodeStatus: { id: me.id, status: me.status, role: me.role, lastSeen: me.lastSeen } };
  });
}

function statsOf(seen: { load?: number; memory?: number; connections?: number } | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (seen?.load !== undefined) out.load = seen.load;
  if (seen?.memory !== undefined) out.memory = seen.memory;
  if (seen?.connections !== undefined) out.connections = seen.connections;
  return out;
}
