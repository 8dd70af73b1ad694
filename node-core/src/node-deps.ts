// The parts a PeerNode is given (injected): logger, clock, random source, store, transport, and how
// it holds its cluster key. createNode passes the real ones; tests pass in-memory ones.
import type { Logger } from './log.js';
import type { MonitorParts } from './monitoring/monitor-node.js';
import type { MonitorPartsOptions } from './monitoring/monitor-parts.js';
import type { KeyMode } from './security/cluster-key.js';
import type { Store } from './storage/store.js';
import type { Transport } from './transport/transport.js';
import type { Clock, Random } from './util/clock.js';

/** Injected parts; defaults are the real ones. Tests pass a MemStore, a MemTransport, a FakeClock. */
export interface NodeDeps {
  logger: Logger;
  clock: Clock;
  random: Random;
  store: Store;
  transport: Transport;
  /**
   * 'keyed': a key is configured; 'open': explicitly no key; 'pending': no key yet, one is created
   * when this node founds a cluster (secure by default). Default: keyed with a key, else open.
   */
  keyMode?: KeyMode;
  /** keeps a key this node created (createNode: the data directory); absent: kept in memory only */
  saveKey?: (key: string) => void;
  /**
   * the advertised IP was configured (default true); false: it is a hint, re-read from the
   * interfaces as they change, and peers use the source address of our packets
   */
  ipExplicit?: boolean;
  /** monitoring's parts (probes, results store, delivery); absent: no monitoring at all */
  monitor?: MonitorParts;
  /** TESTS AND BENCHMARKS ONLY: options for the default monitoring parts (a time scale for check intervals) */
  monitorOptions?: MonitorPartsOptions;
}
