// Monitoring's part of a board snapshot: to plain JSON and back, with the schema a restore checks first
// (a snapshot may come from another peer). Pure TS (the renderer's demo mode bundles the board).
import { z } from 'zod';
import { emptyMonitoring, type MonitoringData } from './board-monitoring.js';
import { checkFields, DEFAULT_LOCATIONS_PER_CHECK, locationsPerCheckSchema, MonitorLimits, verdictSchema } from './check-schema.js';
import type { MonitoringSnapshot } from './types.js';

const nat = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const optional = Object.fromEntries(Object.entries(checkFields).map(([k, v]) => [k, v.optional()]));
const checkDefSchema = z.object({
  ...optional,
  id: nat,
  name: z.string(),
  type: checkFields.type,
  target: z.string(),
  server: z.string().nullable(),
  intervalSec: z.number().int().min(1),
  timeoutMs: z.number().int().min(1),
  retries: z.number().int().min(0),
  enabled: z.boolean(),
  createdAt: nat,
  updatedAt: nat,
  createdBy: z.string(),
});
const locationSchema = z.object({
  nodeId: z.string(),
  location: z.string(),
  status: z.enum(['UP', 'DOWN']),
  responseTime: z.number(),
  lastChecked: z.string(),
  error: z.string().nullable(),
  voting: z.boolean().optional(),
});
const alertSchema = z.object({
  id: nat,
  change: z.object({
    checkId: nat,
    name: z.string(),
    server: z.string().nullable(),
    verdict: verdictSchema,
    previous: verdictSchema,
    at: z.string(),
    locations: z.array(locationSchema),
  }),
  muted: z.boolean(),
  notify: z.boolean().optional(),
  deliveries: z.array(
    z.object({ targetId: nat, state: z.enum(['pending', 'delivered', 'failed']), attempts: nat, lastError: z.string().nullable(), lastAttemptAt: nat.nullable() }),
  ),
});

export const monitoringSnapshotSchema = z.object({
  checks: z.array(checkDefSchema).max(MonitorLimits.checks),
  nextCheckId: nat,
  targets: z
    .array(z.object({ id: nat, type: z.enum(['webhook', 'slack']), url: z.string(), name: z.string(), secret: z.string().optional(), createdAt: nat, createdBy: z.string() }))
    .max(MonitorLimits.targets),
  nextTargetId: nat,
  verdicts: z.array(z.tuple([nat, z.object({ verdict: verdictSchema, since: nat, changeIndex: nat, locations: z.array(locationSchema) })])),
  timeline: z.array(z.tuple([nat, z.array(z.tuple([nat, verdictSchema])).max(MonitorLimits.timeline)])),
  alerts: z.array(alertSchema).max(MonitorLimits.alerts),
  instances: z
    .array(
      z.object({
        instanceId: z.string(),
        instanceName: z.string(),
        location: z.string(),
        failoverOrder: z.number(),
        version: z.string(),
        capabilities: z.array(z.string()),
        publicEndpoint: z.string().optional(),
        registeredAt: nat,
        registeredBy: z.string(),
      }),
    )
    .max(MonitorLimits.instances),
  allowPrivateTargets: z.boolean(),
  /** absent in snapshots written before it existed */
  locationsPerCheck: locationsPerCheckSchema.optional(),
});

export function monitoringSnapshot(m: MonitoringData, copy: <T>(x: T) => T): MonitoringSnapshot {
  return {
    checks: [...m.checks.values()].map(copy),
    nextCheckId: m.nextCheckId,
    targets: [...m.targets.values()].map(copy),
    nextTargetId: m.nextTargetId,
    verdicts: [...m.verdicts.entries()].map(([k, v]) => [k, copy(v)]),
    timeline: [...m.timeline.entries()].map(([k, v]) => [k, copy(v)]),
    alerts: m.alerts.map(copy),
    instances: [...m.instances.values()].map(copy),
    allowPrivateTargets: m.allowPrivateTargets,
    locationsPerCheck: m.locationsPerCheck,
  };
}

/** Rebuilds the data from a checked snapshot (absent: an empty monitoring part). Throws on an inconsistent one. */
export function restoreMonitoring(s: MonitoringSnapshot | undefined): MonitoringData {
  const m = emptyMonitoring();
  if (!s) return m;
  const snap = structuredClone(s);
  for (const c of snap.checks) {
    if (m.checks.has(c.id)) throw new Error(`check ${c.id} appears twice`);
    if (c.id >= snap.nextCheckId) throw new Error(`check ${c.id} is not below nextCheckId ${snap.nextCheckId}`);
    m.checks.set(c.id, c);
  }
  for (const t of snap.targets) {
    if (t.id >= snap.nextTargetId) throw new Error(`notification target ${t.id} is not below nextTargetId`);
    m.targets.set(t.id, t);
  }
  m.nextCheckId = snap.nextCheckId;
  m.nextTargetId = snap.nextTargetId;
  m.verdicts = new Map(snap.verdicts.filter(([id]) => m.checks.has(id)));
  m.timeline = new Map(snap.timeline.filter(([id]) => m.checks.has(id)));
  m.alerts = snap.alerts;
  m.instances = new Map(snap.instances.map((i) => [i.instanceId, i]));
  m.allowPrivateTargets = snap.allowPrivateTargets;
  m.locationsPerCheck = snap.locationsPerCheck ?? DEFAULT_LOCATIONS_PER_CHECK;
  return m;
}
