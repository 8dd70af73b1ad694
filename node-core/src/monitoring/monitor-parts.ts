// The real parts of a node's monitoring: probes, the scheduler, the results store in the data directory,
// HTTP delivery and the reference check. createNode builds them from the config; tests inject their own.
import type { NodeConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Clock } from '../util/clock.js';
import { deliver, MAX_DELIVERY_ATTEMPTS, nextRetryDelayMs } from './deliver.js';
import type { MonitorParts } from './monitor-node.js';
import { runProbe } from './probes/index.js';
import { ResultsStore } from './results-store.js';
import { CheckScheduler } from './scheduler.js';
import type { CheckDef } from './types.js';

export interface MonitorPartsOptions {
  /** TESTS AND BENCHMARKS ONLY: multiplies every check interval (0.01: 5 s lasts 50 ms) */
  timeScale?: number;
  /** where the results store lives: default the data directory; ':memory:' for a node whose store is injected (tests) */
  resultsDir?: string;
}

/** A node is a location when `monitor` says so; unset: headless nodes are, desktop nodes are not. */
export function isLocation(config: Pick<NodeConfig, 'monitor' | 'headless'>): boolean {
  return config.monitor ?? config.headless;
}

export function defaultMonitorParts(config: NodeConfig, logger: Logger, clock: Clock, opts: MonitorPartsOptions = {}): MonitorParts {
  const location = isLocation(config);
  const store = location ? ResultsStore.open(opts.resultsDir ?? config.dataDir, { logger: logger.child({ part: 'results' }), now: () => clock.now() }) : null;
  store?.startCompaction();
  return {
    createScheduler: location
      ? (onResult) =>
          new CheckScheduler({
            runProbe,
            onResult,
            clock,
            concurrency: config.monitorConcurrency,
            damping: config.monitorDamping,
            logger: logger.child({ part: 'scheduler' }),
            ...(opts.timeScale !== undefined ? { timeScale: opts.timeScale } : {}),
          })
      : null,
    store,
    deliver: (target, alertId, change) => deliver(target, alertId, change),
    nextRetryDelayMs: (attempts) => nextRetryDelayMs(attempts),
    maxAttempts: MAX_DELIVERY_ATTEMPTS,
    ...(config.monitorReference ? { reference: referenceCheck(config.monitorReference) } : {}),
  };
}

/** a TCP connect to host:port within 2 s: can this location reach what it trusts? */
function referenceCheck(target: string): () => Promise<boolean> {
  const def: CheckDef = { id: 0, name: 'reference', type: 'tcp', target, server: null, intervalSec: 5, timeoutMs: 2000, retries: 1, enabled: true, createdAt: 0, updatedAt: 0, createdBy: 'system' };
  return async () => (await runProbe(def, AbortSignal.timeout(5000))).ok;
}
