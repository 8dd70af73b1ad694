// The limits of monitoring's board entities, as runtime schemas: a check definition, a patch to one, a
// notification target, a committed verdict change. The board, the HTTP routes, IPC and the CLI use these.
import { z } from 'zod';
import { isIP } from './private-address.js';
import { CheckTypes, DnsRecordTypes, HttpMethods, type CheckInput } from './types.js';

export const MonitorLimits = {
  /** checks a board holds */
  checks: 10_000,
  /** notification targets */
  targets: 50,
  minIntervalSec: 5,
  maxIntervalSec: 86_400,
  minTimeoutMs: 100,
  maxTimeoutMs: 60_000,
  maxRetries: 5,
  nameLen: 100,
  targetLen: 2048,
  keywordLen: 1000,
  jsonPathLen: 200,
  bodyBytes: 16 * 1024,
  headers: 20,
  headerLen: 1024,
  expectStatus: 20,
  /** locations one verdict change records */
  locations: 64,
  errorLen: 300,
  /** alerts (committed verdict changes with their deliveries) kept, oldest dropped first */
  alerts: 500,
  /** verdict changes per check kept for uptime (7 days of a flapping check is still bounded) */
  timeline: 2000,
  /** remote instances registered over /sync/api */
  instances: 64,
  /** locationsPerCheck: 0 (every location) .. this */
  locationsPerCheck: 64,
} as const;

/** K, the locations each check runs on (0: every location); README "Monitoring" */
export const DEFAULT_LOCATIONS_PER_CHECK = 3;
export const locationsPerCheckSchema = z
  .number({ error: 'must be a whole number from 0 (every location) to 64' })
  .int('must be a whole number from 0 (every location) to 64')
  .min(0, 'must be a whole number from 0 (every location) to 64')
  .max(MonitorLimits.locationsPerCheck, 'must be a whole number from 0 (every location) to 64');

/** the settings an admin changes (each optional, at least one) */
export const monitorSettingsSchema = z
  .strictObject({ allowPrivateTargets: z.boolean().optional(), locationsPerCheck: locationsPerCheckSchema.optional() })
  .refine((s) => s.allowPrivateTargets !== undefined || s.locationsPerCheck !== undefined, { message: 'give allowPrivateTargets, locationsPerCheck or both' });

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;
const CONTROL = /\p{Cc}/u;

/** a host name or a literal IP address (IPv6 without brackets) */
export function validHost(h: string): boolean {
  return HOST_NAME.test(h) || isIP(h) !== 0;
}

/** "host:port" or "[v6]:port" → parts, or null */
export function splitHostPort(s: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  if (m[1] !== undefined ? isIP(host) !== 6 : !validHost(host)) return null;
  return { host, port };
}

/** The address a target names, as a host (URL host, tcp host, ping host, dns resolver host). */
export function targetHost(type: CheckInput['type'], target: string): string | null {
  switch (type) {
    case 'http':
      try {
        return new URL(target).hostname.replace(/^\[|\]$/g, '');
      } catch {
        return null;
      }
    case 'tcp':
    case 'ping': {
      const h = type === 'tcp' ? splitHostPort(target)?.host : target;
      if (h === undefined) return null;
      // through the URL parser, so that 127.1, 0x7f.0.0.1 and 2130706433 are seen as 127.0.0.1
      try {
        return new URL(`http://${isIP(h) === 6 ? `[${h}]` : h}/`).hostname.replace(/^\[|\]$/g, '');
      } catch {
        return h;
      }
    }
    case 'dns':
      return null; // a name to resolve, not an address to reach
  }
}

/** Why a target is not valid for its type, or null. */
export function targetProblem(type: CheckInput['type'], target: string): string | null {
  if (CONTROL.test(target)) return 'target must not contain control characters';
  switch (type) {
    case 'http': {
      let u: URL;
      try {
        u = new URL(target);
      } catch {
        return `target "${short(target)}" is not a URL; an http check needs one like https://example.com/health`;
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return `target must be an http:// or https:// URL, not ${u.protocol}`;
      if (u.username || u.password) return 'target must not carry a user name or password; use headers for credentials';
      return null;
    }
    case 'tcp':
      return splitHostPort(target) ? null : `target "${short(target)}" must be host:port (IPv6 as [addr]:port), port 1-65535`;
    case 'ping':
      return validHost(target) ? null : `target "${short(target)}" must be a host name or an IP address`;
    case 'dns':
      return HOST_NAME.test(target) ? null : `target "${short(target)}" must be a DNS name such as example.com`;
  }
}

function short(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}...` : s;
}

const nameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MonitorLimits.nameLen)
  .refine((v) => !CONTROL.test(v), 'must not contain control characters');
const serverHost = z.string().max(128).regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be a board host name');
const headerName = z.string().min(1).max(128).regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');
const headerValue = z.string().max(MonitorLimits.headerLen).refine((v) => !/[\r\n\0]/.test(v), 'must not contain line breaks');

/** The fields of a check, each optional (a patch); the create schema requires the core ones. */
export const checkFields = {
  name: nameSchema,
  type: z.enum(CheckTypes, { message: `type must be one of ${CheckTypes.join(', ')}` }),
  target: z.string().min(1).max(MonitorLimits.targetLen),
  server: serverHost.nullable(),
  intervalSec: z.number().int().min(MonitorLimits.minIntervalSec, `must be at least ${MonitorLimits.minIntervalSec} seconds`).max(MonitorLimits.maxIntervalSec),
  timeoutMs: z.number().int().min(MonitorLimits.minTimeoutMs).max(MonitorLimits.maxTimeoutMs),
  retries: z.number().int().min(0).max(MonitorLimits.maxRetries),
  enabled: z.boolean(),
  method: z.enum(HttpMethods),
  expectStatus: z.array(z.number().int().min(100).max(599)).min(1).max(MonitorLimits.expectStatus),
  keyword: z.string().min(1).max(MonitorLimits.keywordLen),
  jsonPath: z.string().min(1).max(MonitorLimits.jsonPathLen),
  jsonExpect: z.string().max(MonitorLimits.keywordLen),
  certExpiryDays: z.number().int().min(0).max(3650),
  body: z.string().max(MonitorLimits.bodyBytes),
  headers: z.record(headerName, headerValue).refine((h) => Object.keys(h).length <= MonitorLimits.headers, `at most ${MonitorLimits.headers} headers`),
  ignoreTls: z.boolean(),
  dnsRecordType: z.enum(DnsRecordTypes),
  dnsExpect: z.string().min(1).max(MonitorLimits.targetLen),
  dnsServer: z.string().min(1).max(300),
};

const optionalFields = Object.fromEntries(Object.entries(checkFields).map(([k, v]) => [k, v.optional()])) as {
  [K in keyof typeof checkFields]: z.ZodOptional<(typeof checkFields)[K]>;
};

/** The whole-definition rules: the target fits the type, the timeout fits the interval, http fields only on http. */
function definitionProblems(c: Partial<CheckInput>, ctx: z.RefinementCtx): void {
  if (c.type !== undefined && c.target !== undefined) {
    const p = targetProblem(c.type, c.target);
    if (p) ctx.addIssue({ code: 'custom', path: ['target'], message: p });
  }
  if (c.intervalSec !== undefined && c.timeoutMs !== undefined && c.timeoutMs > c.intervalSec * 1000) {
    ctx.addIssue({ code: 'custom', path: ['timeoutMs'], message: `must not exceed the interval (${c.intervalSec * 1000} ms)` });
  }
  if (c.type !== undefined && c.type !== 'http') {
    for (const k of ['method', 'expectStatus', 'keyword', 'jsonPath', 'jsonExpect', 'certExpiryDays', 'body', 'headers', 'ignoreTls'] as const) {
      if (c[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `applies to http checks only, not ${c.type}` });
    }
  }
  if (c.type !== undefined && c.type !== 'dns') {
    for (const k of ['dnsRecordType', 'dnsExpect', 'dnsServer'] as const) {
      if (c[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `applies to dns checks only, not ${c.type}` });
    }
  }
  if (c.dnsServer !== undefined && !validHost(c.dnsServer) && !splitHostPort(c.dnsServer)) {
    ctx.addIssue({ code: 'custom', path: ['dnsServer'], message: 'must be an IP address or ip:port' });
  }
  if ((c.jsonExpect !== undefined) !== (c.jsonPath !== undefined) && c.jsonExpect !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['jsonExpect'], message: 'needs jsonPath' });
  }
}

/** POST /api/checks, and the check-add command's check. */
export const checkInputSchema = z
  .strictObject({
    ...optionalFields,
    name: checkFields.name,
    type: checkFields.type,
    target: checkFields.target,
    intervalSec: checkFields.intervalSec.default(60),
    timeoutMs: checkFields.timeoutMs.default(5000),
    retries: checkFields.retries.default(0),
  })
  .superRefine(definitionProblems);

/** PATCH /api/checks/:id: any of the fields, at least one. The merged definition is checked again by the board. */
export const checkPatchSchema = z
  .strictObject(optionalFields)
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'send at least one field to change' });

/** The merged definition after a patch must pass the whole-definition rules too. */
export const checkMergedSchema = z.strictObject({ ...optionalFields }).superRefine(definitionProblems);

export const notificationInputSchema = z.strictObject({
  type: z.enum(['webhook', 'slack'], { message: 'type must be webhook or slack' }),
  url: z
    .string()
    .max(MonitorLimits.targetLen)
    .refine((u) => targetProblem('http', u) === null, { message: 'must be an http:// or https:// URL without credentials' }),
  secret: z.string().min(8, 'must be at least 8 characters').max(256).optional(),
  name: nameSchema.optional(),
});

const locationResultSchema = z.strictObject({
  nodeId: z.string().min(1).max(128),
  location: z.string().max(MonitorLimits.nameLen),
  status: z.enum(['UP', 'DOWN']),
  responseTime: z.number().finite().min(0).max(3_600_000),
  lastChecked: z.string().max(40),
  error: z.string().max(MonitorLimits.errorLen).nullable(),
  voting: z.boolean().optional(),
});
export const verdictSchema = z.enum(['UP', 'DOWN', 'PARTIAL', 'UNKNOWN']);

/** The monitoring commands' schemas (the board's discriminated union includes these). */
export const monitorCommandSchemas = [
  z.strictObject({ type: z.literal('check-add'), check: checkInputSchema }),
  z.strictObject({ type: z.literal('check-update'), id: z.number().int().min(1), patch: checkPatchSchema }),
  z.strictObject({ type: z.literal('check-remove'), id: z.number().int().min(1) }),
  z.strictObject({ type: z.literal('notify-add'), target: notificationInputSchema }),
  z.strictObject({ type: z.literal('notify-remove'), id: z.number().int().min(1) }),
  z.strictObject({ type: z.literal('monitor-settings'), allowPrivateTargets: z.boolean().optional(), locationsPerCheck: locationsPerCheckSchema.optional() }),
  z.strictObject({
    type: z.literal('verdict'),
    checkId: z.number().int().min(1),
    verdict: verdictSchema,
    previous: verdictSchema,
    locations: z.array(locationResultSchema).max(MonitorLimits.locations),
  }),
  z.strictObject({
    type: z.literal('alert-delivery'),
    alertId: z.number().int().min(0),
    targetId: z.number().int().min(1),
    ok: z.boolean(),
    /** true: stop retrying (not retryable, or too many attempts) */
    final: z.boolean(),
    error: z.string().max(MonitorLimits.errorLen).optional(),
  }),
  z.strictObject({
    type: z.literal('instance-register'),
    instance: z.strictObject({
      instanceId: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, dots, colons, dashes, underscores'),
      instanceName: nameSchema,
      location: z.string().max(MonitorLimits.nameLen),
      failoverOrder: z.number().int().min(0).max(1_000_000),
      version: z.string().max(64),
      capabilities: z.array(z.string().max(64)).max(32),
      publicEndpoint: z.string().max(MonitorLimits.targetLen).optional(),
    }),
  }),
  z.strictObject({ type: z.literal('instance-remove'), instanceId: z.string().min(1).max(128) }),
] as const;
