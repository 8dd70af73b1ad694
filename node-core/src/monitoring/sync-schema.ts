// Seed 003's sync API shapes (InstanceRegistration, HeartbeatPayload, MonitoringResult, SyncConfiguration),
// spelled as the seed spells them, as runtime schemas with named limits; and the mapping of a heartbeat's
// results onto the master's LocationReports. Objects strip unknown fields (a newer dependent may send more).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { LocationReport } from './aggregator.js';
import type { MonitoringData } from './board-monitoring.js';
import { MonitorLimits } from './check-schema.js';
import { REPORT_BATCH } from './monitor-node.js';
import type { CheckDef, CheckType, InstanceRecord } from './types.js';

export const SyncLimits = {
  /** results one heartbeat may carry (more: 400) */
  results: REPORT_BATCH,
  /** heartbeats per second one instance may send (more: 429) */
  heartbeatsPerSec: 10,
  /** short strings: ids, names, versions, platform names */
  shortLen: 128,
  /** a failure reason as sent (it is kept cut to MonitorLimits.errorLen) */
  reasonLen: 1000,
  /** ISO 8601 timestamps */
  timeLen: 64,
  /** metadata per result: nesting and JSON bytes */
  metadataDepth: 8,
  metadataBytes: 4096,
  /** a JWT as sent */
  tokenLen: 2048,
} as const;

/** the board's rule for an instance id (check-schema.ts: instance-register) */
export const instanceIdSchema = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, dots, colons, dashes, underscores');
const short = z.string().max(SyncLimits.shortLen);
const count = z.number().finite().min(0).max(Number.MAX_SAFE_INTEGER);
const isoTime = z
  .string()
  .max(SyncLimits.timeLen)
  .refine((s) => Number.isFinite(Date.parse(s)), 'an ISO 8601 time such as 2026-01-31T12:00:00.000Z');

export const instanceRegistrationSchema = z.object({
  instanceId: instanceIdSchema,
  instanceName: z.string().trim().min(1).max(MonitorLimits.nameLen).regex(/^[^\p{Cc}]+$/u, 'no control characters'),
  location: z.string().trim().max(MonitorLimits.nameLen).regex(/^[^\p{Cc}]*$/u, 'no control characters').optional(),
  version: z.string().max(64),
  capabilities: z.array(z.string().max(64)).max(32),
  failoverOrder: z.number().int().min(0).max(1_000_000),
  publicEndpoint: z.string().max(MonitorLimits.targetLen).optional(),
  systemInfo: z.object({ platform: short, arch: short, nodeVersion: short, memory: count, cpu: count }),
});
export type InstanceRegistration = z.infer<typeof instanceRegistrationSchema>;

/** seed 003's check types, plus dns (a Peerboard check type); kafka_* are out of scope (issue 12) */
export const resultCheckTypes = ['http', 'tcp', 'ping', 'dns', 'kafka_producer', 'kafka_consumer'] as const;

const metadataSchema = z.object({
  httpStatus: z.number().int().min(0).max(999).optional(),
  certificateInfo: z.unknown().optional(),
  kafkaMetrics: z.unknown().optional(),
});

export const monitoringResultSchema = z.object({
  endpointId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  instanceId: instanceIdSchema,
  timestamp: isoTime,
  isOk: z.boolean(),
  responseTime: z.number().finite().min(0).max(3_600_000),
  status: z.enum(['UP', 'DOWN']),
  failureReason: z.string().max(SyncLimits.reasonLen).optional(),
  location: z.string().max(MonitorLimits.nameLen),
  checkType: z.enum(resultCheckTypes),
  metadata: metadataSchema
    .superRefine((v, ctx) => {
      let text: string;
      try {
        text = JSON.stringify(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return;
      }
      if (Buffer.byteLength(text) > SyncLimits.metadataBytes) ctx.addIssue({ code: 'custom', message: `more than ${SyncLimits.metadataBytes} bytes of JSON` });
      else if (depthOfText(text) > SyncLimits.metadataDepth) ctx.addIssue({ code: 'custom', message: `nested deeper than ${SyncLimits.metadataDepth} levels` });
    })
    .optional(),
});
export type MonitoringResult = z.infer<typeof monitoringResultSchema>;

export const heartbeatPayloadSchema = z.object({
  instanceId: instanceIdSchema,
  timestamp: isoTime,
  status: z.enum(['healthy', 'degraded', 'failing']),
  uptime: count,
  monitoringResults: z.array(monitoringResultSchema).max(SyncLimits.results, `at most ${SyncLimits.results} results per heartbeat; send the rest in the next one`),
  systemMetrics: z.object({ cpuUsage: count, memoryUsage: count, diskUsage: count, activeEndpoints: count }),
  connectionStatus: z.object({ primaryReachable: z.boolean(), lastSyncSuccess: z.string().max(SyncLimits.timeLen), syncErrors: count }),
});
export type HeartbeatPayload = z.infer<typeof heartbeatPayloadSchema>;

/** A check as a dependent gets it (seed 003's Endpoint): the board's definition; header values only for instances. */
export type Endpoint = CheckDef;
/** A notification target without its URL and secret (a Slack or webhook URL is a credential). */
export interface NotificationService {
  id: number;
  type: string;
  name: string;
}
export interface GlobalSettings {
  allowPrivateTargets: boolean;
  /** how often a dependent should send a heartbeat */
  heartbeatIntervalSec: number;
  maxResultsPerHeartbeat: number;
}
export interface SyncConfiguration {
  endpoints: Endpoint[];
  notificationServices: NotificationService[];
  globalSettings: GlobalSettings;
  lastModified: string;
  configVersion: number;
}

export const DEFAULT_HEARTBEAT_SEC = 5;

/** The version of what a dependent runs: changes whenever a check or the target list changes. */
export function configVersionOf(m: Readonly<MonitoringData>): number {
  const parts = [...m.checks.values()].map((c) => `${c.id}:${c.updatedAt}:${c.enabled}`);
  parts.push(`t:${[...m.targets.keys()].join(',')}`, `p:${m.allowPrivateTargets}`);
  // 48 bits of a hash: a safe integer, as the seed's number type wants
  return createHash('sha256').update(parts.join('|')).digest().readUIntBE(0, 6);
}

/** A check as /sync/api/endpoints shows it; `full` (a registered instance) keeps header values, others see names only. */
export function endpointOf(c: CheckDef, full: boolean): Endpoint {
  const copy = structuredClone(c);
  if (!full && copy.headers) copy.headers = Object.fromEntries(Object.keys(copy.headers).map((k) => [k, '(hidden)']));
  return copy;
}

export function syncConfigurationOf(m: Readonly<MonitoringData>, full: boolean): SyncConfiguration {
  const checks = [...m.checks.values()];
  const last = checks.reduce((t, c) => Math.max(t, c.updatedAt), 0);
  return {
    endpoints: checks.map((c) => endpointOf(c, full)),
    notificationServices: [...m.targets.values()].map((t) => ({ id: t.id, type: t.type, name: t.name })),
    globalSettings: { allowPrivateTargets: m.allowPrivateTargets, heartbeatIntervalSec: DEFAULT_HEARTBEAT_SEC, maxResultsPerHeartbeat: SyncLimits.results },
    lastModified: new Date(last).toISOString(),
    configVersion: configVersionOf(m),
  };
}

/** A heartbeat's results as the master's reports: the newest result per check, labelled with the registered location. */
export function reportsOf(instance: InstanceRecord, results: readonly MonitoringResult[]): LocationReport[] {
  const location = instance.location || instance.instanceName;
  const newest = new Map<number, LocationReport>();
  for (const r of results) {
    const at = Date.parse(r.timestamp);
    const prev = newest.get(r.endpointId);
    if (prev && prev.at > at) continue;
    newest.set(r.endpointId, {
      checkId: r.endpointId,
      nodeId: instance.instanceId,
      location,
      status: r.status,
      responseTime: Math.round(r.responseTime),
      at,
      error: r.failureReason === undefined ? null : r.failureReason.slice(0, MonitorLimits.errorLen),
    });
  }
  return [...newest.values()];
}

/** seed 003's checkType for a check */
export function checkTypeOf(t: CheckType): MonitoringResult['checkType'] {
  return t;
}

/** the nesting depth of a JSON text, counted without recursion (strings skipped) */
function depthOfText(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') max = Math.max(max, ++depth);
    else if (ch === '}' || ch === ']') depth--;
  }
  return max;
}
