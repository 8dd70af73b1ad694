// Notices that this process did not run for a while: the laptop slept (Linux stops the monotonic
// clock during a suspend, so only the wall clock jumps), or the process was stopped or starved
// (SIGSTOP, a paused VM: both clocks jump). A node uses it to stop trusting its master contact and
// to tell its user how old the board was until it caught up.
import type { Clock, TimerHandle } from './util/clock.js';

export interface Pause {
  /** how long the process did not run, as far as the clocks tell */
  pausedMs: number;
  /** 'suspended': only the wall clock moved on (system sleep); 'stopped': the process did not run */
  kind: 'suspended' | 'stopped';
  /** the part of the pause the monotonic clock did not count (what timers and timeouts missed) */
  hiddenMs: number;
}

export interface PauseDetectorOptions {
  /** how often the clocks are compared */
  tickMs?: number;
  /** a gap beyond the tick longer than this counts as a pause (GC and scheduling stay far below) */
  thresholdMs?: number;
}

export const PAUSE_TICK_MS = 1000;
export const PAUSE_THRESHOLD_MS = 5000;

/**
 * Compares both clocks every tick. A wall clock set forward by hand also reads as 'suspended': the
 * consequence (check with the master before showing data as current) is harmless. A wall clock set
 * back is ignored.
 */
export class PauseDetector {
  private timer: TimerHandle | undefined;
  private lastWall = 0;
  private lastMono = 0;
  private readonly tickMs: number;
  private readonly thresholdMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly onPause: (p: Pause) => void,
    opts: PauseDetectorOptions = {},
  ) {
    this.tickMs = opts.tickMs ?? PAUSE_TICK_MS;
    this.thresholdMs = opts.thresholdMs ?? PAUSE_THRESHOLD_MS;
  }

  start(): void {
    this.lastWall = this.clock.now();
    this.lastMono = this.clock.monotonic();
    this.schedule();
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => this.tick(), this.tickMs);
  }

  private tick(): void {
    const wall = this.clock.now();
    const mono = this.clock.monotonic();
    const wallGap = wall - this.lastWall - this.tickMs;
    const monoGap = mono - this.lastMono - this.tickMs;
    this.lastWall = wall;
    this.lastMono = mono;
    const gap = Math.max(wallGap, monoGap);
    if (gap >= this.thresholdMs) {
      const hiddenMs = Math.max(0, Math.round(wallGap - monoGap));
      this.onPause({ pausedMs: Math.round(gap + this.tickMs), kind: hiddenMs >= this.thresholdMs / 2 ? 'suspended' : 'stopped', hiddenMs });
    }
    this.schedule();
  }
}
