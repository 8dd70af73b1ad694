// The monitoring store's schedule on a fake clock: one poll every 10 s while a view uses it and the
// page is visible, none while hidden or after the last view stops; verdict events debounced; a
// refresh asked for while one is on its way causes exactly one more.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { demoBoard } from '../../../renderer/src/api/demo-data.js';
import { POLL_MS, useMonitorStore, VERDICT_DEBOUNCE_MS } from '../../../renderer/src/stores/monitor-store.js';
import { NOW, rig, smallBoard } from '../helpers.js';
import { addCheck, forgetCalls, httpCheck } from './monitor-fixtures.js';

let hidden = false;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  hidden = false;
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
});
afterEach(() => {
  vi.useRealTimers();
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
});

/** A fake with one check (added through it), the store, and a count of the calls made after set-up. */
async function setup() {
  const r = rig({ board: smallBoard(demoBoard(NOW)), now: () => NOW });
  const checkId = await addCheck(r.api, httpCheck('c'));
  forgetCalls(r.api);
  const store = useMonitorStore();
  const count = (m: string): number => r.api.calls.filter((c) => c.method === m).length;
  return { ...r, store, count, checkId };
}

describe('the monitoring store', () => {
  it('polls every 10 s while used and visible; not while hidden; refetches on becoming visible; stops with its last user', async () => {
    const { store, count } = await setup();
    store.start();
    store.start(); // a second view: still one schedule
    await vi.advanceTimersByTimeAsync(0);
    expect(count('listChecks')).toBe(1);
    expect(store.checks).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(POLL_MS - 1);
    expect(count('listChecks')).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(count('listChecks')).toBe(2);
    await vi.advanceTimersByTimeAsync(3 * POLL_MS);
    expect(count('listChecks')).toBe(5);
    hidden = true;
    await vi.advanceTimersByTimeAsync(5 * POLL_MS);
    expect(count('listChecks')).toBe(5);
    hidden = false;
    document.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(0);
    expect(count('listChecks')).toBe(6);
    store.stop();
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(count('listChecks')).toBe(7); // one view still uses it
    store.stop();
    store.stop(); // one stop too many changes nothing
    await vi.advanceTimersByTimeAsync(10 * POLL_MS);
    expect(count('listChecks')).toBe(7);
    expect(store.active()).toBe(false);
  });

  it('alerts are polled only while a view shows them', async () => {
    const { store, count } = await setup();
    store.start();
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(count('listAlerts')).toBe(0);
    store.start({ alerts: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(count('listAlerts')).toBe(1);
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(count('listAlerts')).toBe(2);
    store.stop({ alerts: true });
    await vi.advanceTimersByTimeAsync(3 * POLL_MS);
    expect(count('listAlerts')).toBe(2);
    store.stop();
  });

  it('a burst of verdict events refetches once, after the debounce; other events do not', async () => {
    const { store, count, api, checkId } = await setup();
    store.start();
    await vi.advanceTimersByTimeAsync(0);
    // 1000 committed verdict changes (each pushes its 'verdict' event), alternating so each applies
    for (let i = 0; i < 1000; i++) api.commitVerdict(checkId, i === 0 ? 'UNKNOWN' : i % 2 ? 'DOWN' : 'UP', i % 2 ? 'UP' : 'DOWN');
    api.emit({ type: 'invite', invite: 'x' });
    await vi.advanceTimersByTimeAsync(VERDICT_DEBOUNCE_MS - 1);
    expect(count('listChecks')).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(count('listChecks')).toBe(2);
    expect(count('listAlerts')).toBe(1);
    expect(store.checks?.[0]?.verdict).toBe('UP'); // the last of the burst
    store.stop();
    api.commitVerdict(checkId, 'UP', 'DOWN');
    await vi.advanceTimersByTimeAsync(VERDICT_DEBOUNCE_MS * 2);
    expect(count('listChecks')).toBe(2);
  });

  it('refreshes asked for while one is on its way coalesce into one more', async () => {
    const { store, count } = await setup();
    const all = [store.refresh(), store.refresh(), store.refresh(), store.refresh()];
    await Promise.all(all);
    expect(count('listChecks')).toBe(2);
  });
});
