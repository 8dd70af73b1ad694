// After a pause (the laptop slept, the process was stopped): distrusts the old master contact, tells the
// user how old the board is until this node has caught up with its master, and says when it did.
import type { Logger } from 'pino';
import { type Pause, PauseDetector, type PauseDetectorOptions } from './pause-detector.js';
import type { WakeInfo } from './api/peer-api.js';
import type { Clock } from './util/clock.js';

export interface WakeDeps {
  clock: Clock;
  logger: Logger;
  /** monotonic ms of the last answer from a master (-Infinity if none); a master with a quorum: now */
  lastMasterContact(): number;
  /** this node is the master (its board was current until the pause began) */
  isMaster(): boolean;
  /** the consensus layer shifts its contacts back by the part of the pause its clock missed */
  clockPaused(hiddenMs: number): void;
  /** a master with a quorum and a ready board, or a follower with a live master whose commits it applied */
  current(): boolean;
  /** the wake state changed (a pause, or caught up): send a fresh status */
  changed(): void;
}

/** how long the report stays after catching up, so that a user who looks later still sees it */
export const WAKE_REPORT_KEEP_MS = 120_000;

export class WakeTracker {
  private readonly detector: PauseDetector;
  private last: (WakeInfo & { wokeMono: number }) | null = null;

  constructor(
    private readonly deps: WakeDeps,
    opts: PauseDetectorOptions = {},
  ) {
    this.detector = new PauseDetector(deps.clock, (p) => this.onPause(p), opts);
  }

  start(): void {
    this.detector.start();
  }
  stop(): void {
    this.detector.stop();
  }

  private onPause(p: Pause): void {
    const { clock } = this.deps;
    this.deps.clockPaused(p.hiddenMs);
    const contact = this.deps.lastMasterContact();
    const dataAsOf = this.deps.isMaster() ? clock.now() - p.pausedMs : Number.isFinite(contact) ? Math.round(clock.now() - (clock.monotonic() - contact)) : null;
    this.last = { kind: p.kind, sleptMs: p.pausedMs, wokeAt: clock.now(), dataAsOf, caughtUpAt: null, wokeMono: clock.monotonic() };
    this.deps.logger.info({ kind: p.kind, sleptMs: p.pausedMs, hiddenMs: p.hiddenMs, dataAsOf: dataAsOf === null ? null : new Date(dataAsOf).toISOString() }, 'this node did not run for a while: catching up with the master before showing the board as current');
    this.deps.changed();
  }

  /** true between a pause and catching up: the board is old */
  pending(): boolean {
    this.refresh();
    return this.last !== null && this.last.caughtUpAt === null;
  }

  info(): WakeInfo | null {
    this.refresh();
    if (!this.last) return null;
    const { wokeMono: _, ...info } = this.last;
    return info;
  }

  private refresh(): void {
    const w = this.last;
    if (!w) return;
    const { clock } = this.deps;
    if (w.caughtUpAt === null) {
      if (this.deps.lastMasterContact() > w.wokeMono && this.deps.current()) {
        w.caughtUpAt = clock.now();
        this.deps.logger.info({ behindMs: w.dataAsOf === null ? null : w.caughtUpAt - w.dataAsOf, tookMs: w.caughtUpAt - w.wokeAt }, 'caught up with the master after the pause');
        this.deps.changed();
      }
    } else if (clock.now() - w.caughtUpAt > WAKE_REPORT_KEEP_MS) this.last = null;
  }
}
