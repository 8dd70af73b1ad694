// A remote monitoring location (seed 003's dependent): registers at the primary with the team key, fetches
// the checks, probes them on a simple timer with the node's probes, and pushes results in heartbeats. It
// votes in verdicts but is no voter of the cluster. Every loop is bounded; failures back off (0.5 s → 30 s).
import { cpus, freemem, hostname, loadavg, platform, arch, totalmem } from 'node:os';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { runProbe as defaultRunProbe } from './probes/index.js';
import { SyncClient, SyncHttpError } from './sync-client.js';
import { DEFAULT_HEARTBEAT_SEC, SyncLimits, type HeartbeatPayload, type InstanceRegistration, type MonitoringResult } from './sync-schema.js';
import { CheckTypes, type CheckDef, type LocationStatus, type ProbeRunner } from './types.js';

export interface RemoteInstanceOptions {
  /** the primary's URL (any cluster node's API works: a follower names the primary); more are fallbacks */
  primaries: string[];
  /** the team key (or the primary's admin token) */
  secret: string;
  name: string;
  /** stable id (default: from the name) */
  instanceId?: string;
  location?: string;
  failoverOrder?: number;
  /** ms between heartbeats (default 5 s); a status change goes out at once */
  heartbeatMs?: number;
  /** ms between config fetches when nothing signals a change (default 60 s) */
  syncMs?: number;
  requestTimeoutMs?: number;
  /** consecutive results that must agree before this location's status of a check flips */
  damping?: number;
  /** probes at once at most */
  concurrency?: number;
  /** false: this location's own network is in doubt (heartbeat status 'failing': it does not vote) */
  reference?: () => Promise<boolean>;
  runProbe?: ProbeRunner;
  logger?: Logger;
  fetch?: typeof fetch;
  version?: string;
}

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** re-register this long before the token ends */
const RENEW_BEFORE_MS = 3_600_000;
const TICK_MS = 200;

/** what a fetched endpoint must have before it is probed (the rest goes to the probe as is) */
const runnable = z.looseObject({
  id: z.number().int().min(1),
  type: z.enum(CheckTypes),
  target: z.string().max(2048),
  intervalSec: z.number().min(5).max(86_400),
  timeoutMs: z.number().int().min(100).max(60_000),
  retries: z.number().int().min(0).max(5),
  enabled: z.boolean().optional(),
});

interface Slot {
  check: CheckDef;
  nextAt: number;
  running: boolean;
  status: LocationStatus | null;
  streak: number;
}

export function defaultInstanceId(name: string): string {
  return `remote-${name.replace(/[^A-Za-z0-9._:-]+/g, '-').slice(0, 100)}`;
}

export class RemoteInstance {
  readonly instanceId: string;
  readonly location: string;
  private readonly client: SyncClient;
  private readonly log: Logger;
  private readonly slots = new Map<number, Slot>();
  private readonly pending = new Map<number, MonitoringResult>();
  private readonly aborter = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private urgent = false;
  private configVersion = -1;
  private nextHeartbeatAt = 0;
  private nextSyncAt = 0;
  private notBefore = 0;
  private failures = 0;
  private lastSyncSuccess = '';
  private referenceOk = true;
  private readonly startedAt = Date.now();
  readonly counters = { heartbeats: 0, heartbeatErrors: 0, registrations: 0, configFetches: 0, probes: 0, followed: 0 };

  constructor(private readonly opts: RemoteInstanceOptions) {
    this.instanceId = opts.instanceId ?? defaultInstanceId(opts.name);
    this.location = opts.location ?? opts.name;
    this.log = opts.logger ?? silentLogger();
    this.client = new SyncClient({ primaries: opts.primaries, secret: opts.secret, requestTimeoutMs: opts.requestTimeoutMs ?? 5000, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  }

  /** the primary requests go to now */
  get primary(): string {
    return this.client.current;
  }

  get checks(): number {
    return this.slots.size;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    void this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
    this.aborter.abort();
  }

  private async tick(): Promise<void> {
    if (this.aborter.signal.aborted) return;
    this.startDueProbes();
    if (this.busy || Date.now() < this.notBefore) return;
    this.busy = true;
    const primaryBefore = this.client.current;
    try {
      await this.sync();
      this.failures = 0;
      this.lastSyncSuccess = new Date().toISOString();
    } catch (err) {
      this.failures++;
      const e = err instanceof SyncHttpError ? err : new SyncHttpError(0, 'ERROR', (err as Error).message);
      if (e.status === 0) this.client.rotate(); // unreachable: try the next address known
      if (e.status === 401 || e.status === 404) this.client.forgetToken(); // expired, forged or removed: register again
      const wait = e.status === 429 ? 1000 : Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(this.failures - 1, 10));
      this.notBefore = Date.now() + Math.round(wait * (0.75 + Math.random() * 0.5));
      this.log.warn({ status: e.status, code: e.code, err: e.message, primary: this.client.current, retryInMs: wait }, 'sync with the primary failed');
    } finally {
      if (this.client.current !== primaryBefore) {
        this.counters.followed++;
        this.log.info({ primary: this.client.current }, 'following the primary');
      }
      this.busy = false;
    }
  }

  /** one pass: register when needed, refetch the checks when they changed, send a heartbeat when due */
  private async sync(): Promise<void> {
    const now = Date.now();
    if (!this.client.registered || this.client.tokenExpiresAt - now < RENEW_BEFORE_MS) {
      const { configVersion } = await this.client.register(this.registration());
      this.counters.registrations++;
      this.log.info({ instanceId: this.instanceId, primary: this.client.current }, 'registered at the primary');
      if (configVersion !== this.configVersion) this.nextSyncAt = 0;
      this.client.learn(await this.client.failoverAddresses().catch(() => []));
    }
    if (now >= this.nextSyncAt) {
      this.applyConfig((await this.client.endpoints()) as unknown as { endpoints: unknown[]; configVersion: number });
      this.nextSyncAt = now + (this.opts.syncMs ?? 60_000);
    }
    if (this.urgent || now >= this.nextHeartbeatAt) await this.heartbeat();
  }

  private applyConfig(cfg: { endpoints: unknown[]; configVersion: number }): void {
    this.counters.configFetches++;
    this.configVersion = cfg.configVersion;
    const seen = new Set<number>();
    for (const raw of cfg.endpoints.slice(0, 10_000)) {
      const p = runnable.safeParse(raw);
      if (!p.success || p.data.enabled === false) continue;
      const check = p.data as unknown as CheckDef;
      seen.add(check.id);
      const slot = this.slots.get(check.id);
      if (!slot) this.slots.set(check.id, { check, nextAt: 0, running: false, status: null, streak: 0 });
      else if (slot.check.updatedAt !== check.updatedAt) Object.assign(slot, { check, nextAt: 0, status: null, streak: 0 });
    }
    for (const id of this.slots.keys()) if (!seen.has(id)) this.slots.delete(id);
    for (const id of this.pending.keys()) if (!seen.has(id)) this.pending.delete(id);
    this.log.info({ checks: this.slots.size, configVersion: cfg.configVersion }, 'checks fetched from the primary');
  }

  private startDueProbes(): void {
    const now = Date.now();
    let running = [...this.slots.values()].filter((s) => s.running).length;
    const limit = this.opts.concurrency ?? 16;
    for (const slot of this.slots.values()) {
      if (running >= limit) break;
      if (slot.running || now < slot.nextAt) continue;
      running++;
      slot.running = true;
      slot.nextAt = now + slot.check.intervalSec * 1000;
      void this.probe(slot, now);
    }
  }

  private async probe(slot: Slot, at: number): Promise<void> {
    const check = slot.check;
    try {
      const r = await (this.opts.runProbe ?? defaultRunProbe)(check, this.aborter.signal);
      if (this.aborter.signal.aborted || this.slots.get(check.id) !== slot) return;
      this.counters.probes++;
      const seen: LocationStatus = r.ok ? 'UP' : 'DOWN';
      // flap damping: the status flips after `damping` agreeing results in a row (the first result sets it)
      slot.streak = seen === slot.status ? 0 : slot.streak + 1;
      const before = slot.status;
      if (slot.status === null || slot.streak >= (this.opts.damping ?? 2)) {
        slot.status = seen;
        slot.streak = 0;
      }
      if (slot.status !== before) this.urgent = true;
      if (!this.pending.has(check.id) && this.pending.size >= SyncLimits.results) return;
      this.pending.set(check.id, {
        endpointId: check.id,
        instanceId: this.instanceId,
        timestamp: new Date(at).toISOString(),
        isOk: r.ok,
        responseTime: Math.max(0, Math.round(r.responseTime)),
        status: slot.status!,
        ...(r.error ? { failureReason: r.error.slice(0, 300) } : {}),
        location: this.location,
        checkType: check.type,
        ...(r.httpStatus !== undefined ? { metadata: { httpStatus: r.httpStatus } } : {}),
      });
    } finally {
      slot.running = false;
    }
  }

  private async heartbeat(): Promise<void> {
    this.urgent = false;
    if (this.opts.reference) this.referenceOk = await this.opts.reference().catch(() => false);
    const batch = [...this.pending.values()].slice(0, SyncLimits.results);
    for (const r of batch) this.pending.delete(r.endpointId);
    try {
      const out = await this.client.heartbeat(this.payload(batch));
      this.counters.heartbeats++;
      this.nextHeartbeatAt = Date.now() + (this.opts.heartbeatMs ?? DEFAULT_HEARTBEAT_SEC * 1000);
      if (out.configVersion !== this.configVersion) this.nextSyncAt = 0;
    } catch (err) {
      this.counters.heartbeatErrors++;
      // keep the newest result per check for the next try (a 400 would repeat: drop that batch)
      if (!(err instanceof SyncHttpError && err.status === 400)) for (const r of batch) if (!this.pending.has(r.endpointId)) this.pending.set(r.endpointId, r);
      throw err;
    }
  }

  private registration(): InstanceRegistration {
    return {
      instanceId: this.instanceId,
      instanceName: this.opts.name,
      location: this.location,
      version: this.opts.version ?? '0.0.0',
      capabilities: [...CheckTypes],
      failoverOrder: this.opts.failoverOrder ?? 99,
      systemInfo: { platform: platform(), arch: arch(), nodeVersion: process.version, memory: totalmem(), cpu: cpus().length },
    };
  }

  private payload(results: MonitoringResult[]): HeartbeatPayload {
    return {
      instanceId: this.instanceId,
      timestamp: new Date().toISOString(),
      status: !this.referenceOk ? 'failing' : this.failures > 0 ? 'degraded' : 'healthy',
      uptime: Math.round((Date.now() - this.startedAt) / 1000),
      monitoringResults: results,
      systemMetrics: {
        cpuUsage: Math.round((loadavg()[0]! / Math.max(1, cpus().length)) * 100),
        memoryUsage: Math.round((1 - freemem() / totalmem()) * 100),
        diskUsage: 0,
        activeEndpoints: this.slots.size,
      },
      connectionStatus: { primaryReachable: this.failures === 0, lastSyncSuccess: this.lastSyncSuccess, syncErrors: this.failures },
    };
  }
}

/** the host name, for a default location label */
export const defaultLocation = (): string => hostname().slice(0, 100) || 'remote';
