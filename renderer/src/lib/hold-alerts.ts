// What the board tells the user about their own holds: a server the queue just handed them ("It's
// yours") and holds that end soon. Pure functions of two server lists and the clock.
import type { Server } from '../api/api-types.js';

/** Default warning before a hold ends, in minutes (the board's settings change it). */
export const DEFAULT_EXPIRY_WARN_MIN = 10;
/** Bounds of that setting: 0 turns the warning off; a day is the longest that makes sense. */
export const MAX_EXPIRY_WARN_MIN = 24 * 60;

/** Hosts the queue handed to `user` between `prev` and `next`: queued before, holder now. */
export function grantedTo(prev: readonly Server[], next: readonly Server[], user: string): Server[] {
  if (!user) return [];
  const before = new Map(prev.map((s) => [s.host, s]));
  return next.filter((s) => {
    const old = before.get(s.host);
    return s.holder === user && !!old && old.holder !== user && old.queue.some((q) => q.user === user);
  });
}

/** The user's holds that end within `warnSec` (and have not ended), soonest first. */
export function endingSoon(servers: readonly Server[], user: string, nowSec: number, warnSec: number): Server[] {
  if (!user || warnSec <= 0) return [];
  return servers
    .filter((s) => s.holder === user && s.until !== null && s.until > nowSec && s.until - nowSec <= warnSec)
    .sort((a, b) => (a.until ?? 0) - (b.until ?? 0));
}

/** The user's place in a server's queue (1 = next), or 0 when not in it. */
export function queuePosition(s: Server, user: string): number {
  return user ? s.queue.findIndex((q) => q.user === user) + 1 : 0;
}

/** Who set maintenance and why, when the node records it (optional fields of newer nodes). */
export function maintenanceNote(s: Server): { by: string | null; reason: string | null } | null {
  if (!s.maintenance) return null;
  const extra = s as Server & { maintenanceBy?: unknown; maintenanceReason?: unknown };
  const by = typeof extra.maintenanceBy === 'string' && extra.maintenanceBy ? extra.maintenanceBy : null;
  const reason = typeof extra.maintenanceReason === 'string' && extra.maintenanceReason ? extra.maintenanceReason : null;
  return by || reason ? { by, reason } : null;
}

/** "the user holds it or waits for it": the "My reservations" filter. */
export function isMine(s: Server, user: string): boolean {
  return !!user && (s.holder === user || s.queue.some((q) => q.user === user));
}
