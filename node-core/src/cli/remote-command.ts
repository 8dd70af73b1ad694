// `peerboard remote`: runs a remote monitoring location (seed 003's dependent) headless, until SIGINT or
// SIGTERM. It registers at the primary over /sync/api with the team key, probes the checks, pushes results.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createLogger } from '../log.js';
import { splitHostPort } from '../monitoring/check-schema.js';
import { runProbe } from '../monitoring/probes/index.js';
import { defaultLocation, RemoteInstance } from '../monitoring/remote-instance.js';
import type { CheckDef } from '../monitoring/types.js';
import type { CliContext } from './context.js';
import { UsageError } from './time.js';

interface RemoteOpts {
  primary: string[];
  secret?: string;
  secretFile?: string;
  name: string;
  location?: string;
  instanceId?: string;
  failoverOrder?: string;
  heartbeat?: string;
  reference?: string;
  logLevel?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function intOpt(raw: string | undefined, name: string, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`bad ${name} "${raw}": a whole number from ${min} to ${max}`);
  return n;
}

/** a reference check: a TCP connect to host:port that must succeed before this location's DOWN results vote */
function referenceOf(spec: string): () => Promise<boolean> {
  const hp = splitHostPort(spec);
  if (!hp) throw new UsageError(`bad --reference "${spec}": give host:port`);
  const check = { id: 0, type: 'tcp', target: spec, timeoutMs: 2000, retries: 0, intervalSec: 30 } as CheckDef;
  return async () => (await runProbe(check, AbortSignal.timeout(3000))).ok;
}

export function addRemoteCommand(program: Command, ctx: CliContext): void {
  program
    .command('remote')
    .description('run a remote monitoring location: register at the primary (seed 003 sync API), probe the checks, push results')
    .requiredOption('--primary <url>', 'a cluster node\'s API, http(s)://host:8777 (repeat or comma-separate for fallbacks; a follower names the primary)', collect, [])
    .option('--secret <key>', 'the team key (or the admin token); better: env PEERBOARD_SYNC_SECRET or --secret-file')
    .option('--secret-file <path>', 'read the secret from this file')
    .requiredOption('--name <name>', 'this instance\'s name (1-100 characters)')
    .option('--location <label>', 'its location label in verdicts (default: the host name)')
    .option('--instance-id <id>', 'stable id (default: remote-<name>)')
    .option('--failover-order <n>', 'seed 003\'s failoverOrder (informational: a remote instance never becomes primary)')
    .option('--heartbeat <sec>', 'seconds between heartbeats (default 5)')
    .option('--reference <host:port>', 'a TCP reference check: while it fails this location does not vote')
    .option('--log-level <level>', 'info, debug, warn, error', 'info')
    .action(async (o: RemoteOpts) => {
      let secret = o.secret ?? ctx.env.PEERBOARD_SYNC_SECRET;
      if (o.secretFile !== undefined) secret = readFileSync(o.secretFile, 'utf8').trim();
      if (!secret) throw new UsageError('give the team key: --secret-file <path>, env PEERBOARD_SYNC_SECRET, or --secret');
      if (o.name.trim() === '' || o.name.length > 100) throw new UsageError('bad --name: 1 to 100 characters');
      const level = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(o.logLevel ?? '') ? (o.logLevel as 'info') : 'info';
      const logger = createLogger({ level, base: { subsystem: 'remote' } });
      const heartbeatSec = intOpt(o.heartbeat, '--heartbeat', 1, 3600);
      const failoverOrder = intOpt(o.failoverOrder, '--failover-order', 0, 1_000_000);
      let remote: RemoteInstance;
      try {
        remote = new RemoteInstance({
          primaries: o.primary,
          secret,
          name: o.name.trim(),
          location: o.location ?? defaultLocation(),
          logger,
          ...(o.instanceId !== undefined ? { instanceId: o.instanceId } : {}),
          ...(failoverOrder !== undefined ? { failoverOrder } : {}),
          ...(heartbeatSec !== undefined ? { heartbeatMs: heartbeatSec * 1000 } : {}),
          ...(o.reference !== undefined ? { reference: referenceOf(o.reference) } : {}),
        });
      } catch (err) {
        throw new UsageError(`bad --primary: ${(err as Error).message}`);
      }
      ctx.io.err(`peerboard remote: instance ${remote.instanceId} (${remote.location}) reporting to ${remote.primary}; Ctrl-C stops it\n`);
      remote.start();
      await new Promise<void>((resolve) => {
        const done = (): void => {
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          remote.stop();
          resolve();
        };
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      logger.flush();
    });
}
