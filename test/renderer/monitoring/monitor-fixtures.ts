// Monitoring set-ups for the renderer tests, made only through the FakeApi's own methods and test hooks
// (node-core's MonitorService over the real Board): nothing here restates a monitoring rule.
import type { CheckInput, LocationResult, NotificationInput } from '../../../node-core/src/api/peer-api.js';
import type { FakeApi } from '../../../renderer/src/api/fake-api.js';

/** A valid http check; `over` changes any field. */
export function httpCheck(name: string, over: Partial<CheckInput> = {}): CheckInput {
  return { name, type: 'http', target: 'http://10.0.0.1/health', intervalSec: 30, timeoutMs: 2000, retries: 1, ...over };
}

/** Adds a check through the fake's addCheck (as an admin would); returns its id. */
export async function addCheck(api: FakeApi, input: CheckInput): Promise<number> {
  const r = await api.addCheck(input);
  if (!r.ok) throw new Error(`test set-up: addCheck refused: ${r.error.message}`);
  return r.value.id;
}

/** Adds a notification target through the fake; returns its id. */
export async function addTarget(api: FakeApi, input: NotificationInput): Promise<number> {
  const r = await api.addNotification(input);
  if (!r.ok) throw new Error(`test set-up: addNotification refused: ${r.error.message}`);
  return r.value.id;
}

/** A location's result as a node would report it (`agoMs` before `now`). */
export function loc(nodeId: string, location: string, now: number, agoMs: number, status: 'UP' | 'DOWN' = 'UP', over: Partial<LocationResult> = {}): LocationResult {
  return { nodeId, location, status, responseTime: 5, lastChecked: new Date(now - agoMs).toISOString(), error: null, ...over };
}

/**
 * The master's delivery outcomes for one alert and target, committed as 'alert-delivery' entries:
 * `failures` failed attempts (the last one final when `delivered` is false), then one success if `delivered`.
 */
export function deliveries(api: FakeApi, alertId: number, targetId: number, failures: number, delivered: boolean, error = 'failed'): void {
  for (let i = 0; i < failures; i++) {
    api.commitCommand({ type: 'alert-delivery', alertId, targetId, ok: false, final: !delivered && i === failures - 1, error });
  }
  if (delivered) api.commitCommand({ type: 'alert-delivery', alertId, targetId, ok: true, final: true });
}

/** Forgets the set-up's calls, so a test counts only what the view asked for. */
export function forgetCalls(api: FakeApi): void {
  api.calls.length = 0;
}

/**
 * Lets the events the set-up's commits pushed (queued as 0 ms timers, which fire in order) go by before
 * a view subscribes, then forgets the set-up's calls. Real timers only.
 */
export async function settle(api: FakeApi): Promise<void> {
  await new Promise((r) => setTimeout(r, 0));
  forgetCalls(api);
}
