// The events a node sends its hosts (NodeEvents 'event'): a listener that throws is logged, never
// fatal; cluster events are coalesced (one per 20 ms) and re-sent when the leader, quorum,
// staleness or wake state changed with time alone (checked every half heartbeat).
import type { EventEmitter } from 'node:events';
import type { NodeStatus, PeerEvent } from './api/peer-api.js';
import type { NodeEvents } from './api/node-handle.js';
import type { NodeConfig } from './config.js';
import type { Raft } from './consensus/raft.js';
import type { Logger } from './log.js';
import type { Clock, TimerHandle } from './util/clock.js';
import type { WakeTracker } from './wake-tracker.js';

/** cluster events closer together than this are sent as one */
const CLUSTER_EVENT_COALESCE_MS = 20;

/** What the event pump uses of its node (PeerNode implements it). */
export interface EventHost {
  readonly events: EventEmitter<NodeEvents>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly config: Pick<NodeConfig, 'heartbeatIntervalMs'>;
  readonly raft: Pick<Raft, 'leaderId' | 'hasQuorum'>;
  status(): NodeStatus;
}

export class NodeEventPump {
  private clusterTimer: TimerHandle | undefined;
  private livenessTimer: TimerHandle | undefined;
  /** leader, quorum and staleness as last sent in a cluster event */
  private sentLiveness = '';

  constructor(
    private readonly node: EventHost,
    private readonly parts: {
      /** the node is stopping: nothing new is scheduled */
      stopping: () => boolean;
      /** the board may lag what a master showed (node-reads.ts) */
      stale: () => boolean;
      wake: Pick<WakeTracker, 'info'>;
    },
  ) {}

  emit(ev: PeerEvent): void {
    try {
      this.node.events.emit('event', ev);
    } catch (err) {
      this.node.log.error({ err }, 'an event listener threw');
    }
  }

  emitCluster(): void {
    if (this.parts.stopping() || this.clusterTimer || this.node.events.listenerCount('event') === 0) return;
    this.clusterTimer = this.node.clock.setTimeout(() => {
      this.clusterTimer = undefined;
      const v = this.node.status();
      this.sentLiveness = this.liveness();
      this.emit({ type: 'cluster', clusterView: v.clusterView, leader: v.leader, quorum: v.quorum, stale: v.stale, asleep: v.asleep });
    }, CLUSTER_EVENT_COALESCE_MS);
  }

  private liveness(): string {
    const w = this.parts.wake.info();
    return `${this.node.raft.leaderId ?? ''}|${this.node.raft.hasQuorum()}|${this.parts.stale()}|${w ? `${w.wokeAt}:${w.caughtUpAt}` : ''}`;
  }

  /**
   * Every half heartbeat: emits a cluster event when leader, quorum or staleness changed since the
   * last one (they also change with time alone: a lease runs out, a new master's first answer
   * arrives after the event that named it).
   */
  watchLiveness(): void {
    if (this.parts.stopping()) return;
    if (this.node.events.listenerCount('event') > 0 && this.liveness() !== this.sentLiveness) this.emitCluster();
    this.livenessTimer = this.node.clock.setTimeout(() => this.watchLiveness(), Math.max(20, Math.round(this.node.config.heartbeatIntervalMs / 2)));
  }

  /** the liveness watch ends (call once stopping() is true) */
  stopWatch(): void {
    this.node.clock.clearTimeout(this.livenessTimer);
  }

  /** a cluster event still waiting is dropped */
  dropPending(): void {
    this.node.clock.clearTimeout(this.clusterTimer);
  }
}
