// Endpoint monitoring (seed 003, issue 12): the shapes every part of it shares. Check definitions and
// notification targets are board entities (replicated, admin-edited); probe results stay on the node
// that made them (SQLite) and reach the master as reports; the master commits verdict changes only.
// Types only: the renderer imports this file through api/peer-api.ts.

export const CheckTypes = ['http', 'tcp', 'ping', 'dns'] as const;
export type CheckType = (typeof CheckTypes)[number];

/** a location's view of one check (damped: see LocationDamping) */
export type LocationStatus = 'UP' | 'DOWN';
/** the cluster's consensus about one check */
export type Verdict = 'UP' | 'DOWN' | 'PARTIAL' | 'UNKNOWN';

export const HttpMethods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'] as const;
export type HttpMethod = (typeof HttpMethods)[number];
export const DnsRecordTypes = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SRV'] as const;
export type DnsRecordType = (typeof DnsRecordTypes)[number];

/** What an admin sends to create a check (POST /api/checks). Type-specific fields are optional. */
export interface CheckInput {
  name: string;
  type: CheckType;
  /** http: an http(s) URL; tcp: host:port; ping: a host name or IP; dns: the name to resolve */
  target: string;
  /** the board server (host) it belongs to, if any */
  server?: string | null;
  /** seconds between two probes from one location (at least 5) */
  intervalSec: number;
  /** one attempt's time limit */
  timeoutMs: number;
  /** failed attempts retried at once, within one probe round, before the round counts as DOWN (0..5) */
  retries: number;
  /** false: nobody probes it and it has no verdict (UNKNOWN) */
  enabled?: boolean;
  // -- http
  method?: HttpMethod;
  /** accepted status codes; default: any 2xx or 3xx */
  expectStatus?: number[];
  /** the body must contain this text */
  keyword?: string;
  /** a JSON path into the body (e.g. "$.status" or "data.items[0].ok") ... */
  jsonPath?: string;
  /** ... whose value, as a string, must equal this */
  jsonExpect?: string;
  /** DOWN when the TLS certificate expires within this many days (https only) */
  certExpiryDays?: number;
  /** request body for POST/PUT/PATCH */
  body?: string;
  /** extra request headers */
  headers?: Record<string, string>;
  /** accept self-signed / invalid certificates (the expiry is still reported) */
  ignoreTls?: boolean;
  // -- dns
  dnsRecordType?: DnsRecordType;
  /** an answer must equal this (any record of the type) */
  dnsExpect?: string;
  /** ip or ip:port of the resolver; default: the system's */
  dnsServer?: string;
}

/** A check as the board keeps it. `id` is a positive integer, never reused (seed 003's endpointId). */
export interface CheckDef extends Required<Pick<CheckInput, 'name' | 'type' | 'target' | 'intervalSec' | 'timeoutMs' | 'retries'>> {
  id: number;
  server: string | null;
  enabled: boolean;
  method?: HttpMethod;
  expectStatus?: number[];
  keyword?: string;
  jsonPath?: string;
  jsonExpect?: string;
  certExpiryDays?: number;
  body?: string;
  headers?: Record<string, string>;
  ignoreTls?: boolean;
  dnsRecordType?: DnsRecordType;
  dnsExpect?: string;
  dnsServer?: string;
  /** ms since the epoch (entry time) */
  createdAt: number;
  updatedAt: number;
  createdBy: string;
}

/** One probe round's outcome at one location. */
export interface ProbeResult {
  ok: boolean;
  /** ms from the start of the last attempt to its answer (or to the failure) */
  responseTime: number;
  /** why it failed, one line for people ("HTTP 503", "connect ECONNREFUSED 10.0.0.5:80", "timeout after 2000 ms") */
  error?: string;
  /** attempts made (1 + retries used) */
  attempts: number;
  httpStatus?: number;
  /** ms since the epoch when the TLS certificate expires (https) */
  certExpiresAt?: number;
}

/** Runs one probe round of a check (with its retries). Never throws: a failure is a result. */
export type ProbeRunner = (check: CheckDef, signal: AbortSignal) => Promise<ProbeResult>;

/** One result as a node stores and reports it. */
export interface CheckResult {
  checkId: number;
  /** when the probe round started (ms since the epoch) */
  at: number;
  ok: boolean;
  responseTime: number;
  error?: string;
  httpStatus?: number;
  certExpiresAt?: number;
  /** how late the round started against its schedule, ms */
  lagMs: number;
  /** the location's damped status after this result */
  status: LocationStatus;
}

/** A location's latest status for one check, as the master keeps it and the API shows it (GET /api/checks). */
export interface LocationResult {
  nodeId: string;
  location: string;
  status: LocationStatus;
  responseTime: number;
  /** ISO 8601 time of the probe */
  lastChecked: string;
  error: string | null;
  /** false: this location does not vote now (its report is stale, or it is cut off) */
  voting?: boolean;
}

/** A notification target (a board entity). The secret never leaves the node through the API. */
export type NotificationType = 'webhook' | 'slack';
export interface NotificationInput {
  type: NotificationType;
  url: string;
  /** HMAC-SHA256 key for webhooks: the body is signed in X-Peerboard-Signature: sha256=<hex> */
  secret?: string;
  name?: string;
}
export interface NotificationTarget {
  id: number;
  type: NotificationType;
  url: string;
  name: string;
  secret?: string;
  createdAt: number;
  createdBy: string;
}
/** What the API shows of a target. */
export interface NotificationTargetView extends Omit<NotificationTarget, 'secret'> {
  hasSecret: boolean;
}

/** The webhook body (issue 12): one committed verdict change. */
export interface VerdictChange {
  checkId: number;
  name: string;
  server: string | null;
  verdict: Verdict;
  previous: Verdict;
  /** ISO 8601 time the change was committed */
  at: string;
  locations: LocationResult[];
}

/** One delivery of one committed verdict change to one target. */
export interface DeliveryState {
  targetId: number;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  /** ms since the epoch */
  lastAttemptAt: number | null;
}

/** A committed verdict change with its deliveries (alert). `id` is the log index that committed it. */
export interface Alert {
  id: number;
  change: VerdictChange;
  /** the check's server was in maintenance: nothing is delivered */
  muted: boolean;
  /** the change is news for people (notifiable, not muted, the check enabled): targets and desktop apps notify */
  notify?: boolean;
  deliveries: DeliveryState[];
}

/** The stable id of one delivery (X-Peerboard-Delivery): receivers can drop a repeat by it. */
export function deliveryId(alertId: number, targetId: number): string {
  return `${alertId}-${targetId}`;
}

// -- what the API shows (monitor-service.ts builds these) ------------------------------------

/** A check as the API shows it: its definition (header values hidden), verdict and locations. */
export interface CheckView extends Omit<CheckDef, 'headers'> {
  /** header names with their values hidden (they often carry credentials) */
  headers?: Record<string, string>;
  verdict: Verdict;
  /** ISO time of the last committed verdict change, null when it never changed */
  verdictSince: string | null;
  /** each location's latest status (live on the master; elsewhere as of the last verdict change, plus this node's own) */
  locations: LocationResult[];
  /** fraction of the last 24 h / 7 d with verdict UP, of the time the verdict was known; null when never known */
  uptime24h: number | null;
  uptime7d: number | null;
}

/** One point of a check's response-time chart (this node's own results). */
export interface SeriesPoint {
  at: number;
  responseTime: number;
  ok: boolean;
}
export interface CheckSeries {
  checkId: number;
  location: string;
  points: SeriesPoint[];
}

// -- the board's monitoring entities and commands ------------------------------------------------

export interface CommittedVerdict {
  verdict: Verdict;
  /** ms since the epoch of the entry that set it */
  since: number;
  /** log index of that entry (0: never changed) */
  changeIndex: number;
  locations: LocationResult[];
}

/** A remote location registered over /sync/api (seed 003's InstanceRegistration, the parts the board keeps). */
export interface InstanceRecord {
  instanceId: string;
  instanceName: string;
  location: string;
  failoverOrder: number;
  version: string;
  capabilities: string[];
  publicEndpoint?: string;
  registeredAt: number;
  registeredBy: string;
}

export type MonitorCommand =
  | { type: 'check-add'; check: CheckInput }
  | { type: 'check-update'; id: number; patch: Partial<CheckInput> }
  | { type: 'check-remove'; id: number }
  | { type: 'notify-add'; target: NotificationInput }
  | { type: 'notify-remove'; id: number }
  /** either field may be absent (older entries carry only allowPrivateTargets); absent: unchanged */
  | { type: 'monitor-settings'; allowPrivateTargets?: boolean; locationsPerCheck?: number }
  | { type: 'verdict'; checkId: number; verdict: Verdict; previous: Verdict; locations: LocationResult[] }
  | { type: 'alert-delivery'; alertId: number; targetId: number; ok: boolean; final: boolean; error?: string }
  | { type: 'instance-register'; instance: Omit<InstanceRecord, 'registeredAt' | 'registeredBy'> }
  | { type: 'instance-remove'; instanceId: string };

/** What each monitoring command answers with when it applies. */
export interface MonitorCommandValues {
  'check-add': { check: CheckDef };
  'check-update': { check: CheckDef };
  'check-remove': { removed: number };
  'notify-add': { target: NotificationTargetView };
  'notify-remove': { removed: number };
  'monitor-settings': MonitorSettings;
  verdict: { alert: Alert };
  'alert-delivery': { alert: Alert };
  'instance-register': { instance: InstanceRecord; created: boolean };
  'instance-remove': { removed: string };
}

/** Monitoring's part of a board snapshot (plain JSON). */
export interface MonitoringSnapshot {
  checks: CheckDef[];
  nextCheckId: number;
  targets: NotificationTarget[];
  nextTargetId: number;
  verdicts: Array<[number, CommittedVerdict]>;
  timeline: Array<[number, Array<[number, Verdict]>]>;
  alerts: Alert[];
  instances: InstanceRecord[];
  allowPrivateTargets: boolean;
  /** absent in snapshots from before it existed: DEFAULT_LOCATIONS_PER_CHECK */
  locationsPerCheck?: number;
}

/** monitoring's board settings (GET/PUT /api/monitoring/settings) */
export interface MonitorSettings {
  allowPrivateTargets: boolean;
  /** K: each enabled check runs on this many locations (0: every location); 0..64, default 3 */
  locationsPerCheck: number;
}
