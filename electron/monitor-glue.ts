// Monitoring in the main process (issue 12): the desktop notification for a committed verdict change
// (once per alert, not when muted or not notifiable), and battery power pausing this node's checks.
import type { Alert, Verdict } from '../node-core/src/api/peer-api.js';
import type { Logger } from '../node-core/src/log.js';

/** An alert older than this when it reaches the app (a node catching up after a sleep) is not shown. */
export const VERDICT_NOTE_MAX_AGE_MS = 15 * 60_000;

const ICON: Record<Verdict, string> = { DOWN: '🔴', PARTIAL: '🟠', UP: '🟢', UNKNOWN: '⚪' };

export interface VerdictNote {
  /** one per alert: the same key is never shown twice */
  key: string;
  title: string;
  body: string;
}

/**
 * What to show for a verdict change, or null: muted (the server is in maintenance), not notifiable
 * (UNKNOWN <-> UP), or too old. Title: "🔴 api (web-1) is DOWN — 2 of 3 locations".
 */
export function verdictNote(alert: Alert, nowMs: number, maxAgeMs = VERDICT_NOTE_MAX_AGE_MS): VerdictNote | null {
  const c = alert.change;
  if (alert.muted || alert.notify !== true) return null;
  const at = Date.parse(c.at);
  if (Number.isFinite(at) && nowMs - at > maxAgeMs) return null;
  const voting = c.locations.filter((l) => l.voting !== false);
  const want = c.verdict === 'UP' ? 'UP' : 'DOWN';
  const agree = voting.filter((l) => l.status === want).length;
  // UNKNOWN (no fresh results, e.g. after DOWN) has no agreeing locations to count
  const where = voting.length > 0 && c.verdict !== 'UNKNOWN' ? ` — ${agree} of ${voting.length} location${voting.length === 1 ? '' : 's'}` : '';
  const name = oneLine(c.name, 100);
  const server = c.server ? ` (${oneLine(c.server, 128)})` : '';
  const firstError = voting.find((l) => l.status === 'DOWN' && l.error)?.error;
  const body =
    c.verdict === 'UP'
      ? `Back up after ${c.previous}.`
      : c.verdict === 'UNKNOWN'
        ? `Was ${c.previous}; no location reports it now.`
      : `Was ${c.previous}.${firstError ? ` ${oneLine(firstError, 200)}` : ''} Open Monitoring for each location's status.`;
  return { key: `verdict:${alert.id}:${c.at}`, title: `${ICON[c.verdict]} ${name}${server} is ${c.verdict}${where}`, body };
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Electron's powerMonitor, as far as it is used here. */
export interface PowerMonitorLike {
  on(event: 'on-battery' | 'on-ac', listener: () => void): unknown;
  removeListener(event: 'on-battery' | 'on-ac', listener: () => void): unknown;
  isOnBatteryPower(): boolean;
}

/** What the battery watch needs of a node (NodeHandle.setMonitorPaused; absent: never paused). */
export interface PausableNode {
  setMonitorPaused?(paused: boolean): void;
}

/**
 * Pauses this node's checks while on battery power, resumes them on AC. `apply(node)` sets a newly
 * started node to the current state (the node restarts on a settings change). Returns the watch.
 */
export function watchBattery(power: PowerMonitorLike, current: () => PausableNode | null, logger: Logger) {
  let onBattery = false;
  try {
    onBattery = power.isOnBatteryPower();
  } catch (err) {
    logger.warn({ err: String(err) }, 'cannot read the power source; monitoring runs as on AC');
  }
  const apply = (node: PausableNode | null): void => {
    try {
      node?.setMonitorPaused?.(onBattery);
    } catch (err) {
      logger.warn({ err: String(err) }, 'could not pause or resume monitoring');
    }
  };
  const set = (battery: boolean) => () => {
    if (battery === onBattery) return;
    onBattery = battery;
    logger.info({ onBattery }, battery ? 'on battery: monitoring paused' : 'on AC power: monitoring resumed');
    apply(current());
  };
  const toBattery = set(true);
  const toAc = set(false);
  power.on('on-battery', toBattery);
  power.on('on-ac', toAc);
  apply(current());
  return {
    get onBattery(): boolean {
      return onBattery;
    },
    apply,
    dispose(): void {
      power.removeListener('on-battery', toBattery);
      power.removeListener('on-ac', toAc);
    },
  };
}
export type BatteryWatch = ReturnType<typeof watchBattery>;
