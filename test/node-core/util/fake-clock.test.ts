// FakeClock: time moves only on advance(), timers fire in order with now() at their due time,
// async work started by a timer completes before the next one, and runUntil() is bounded.
import { describe, expect, it } from 'vitest';
import { FAKE_EPOCH, FakeClock } from '../../../node-core/src/util/fake-clock.js';

describe('FakeClock', () => {
  it('starts at the fixed epoch and stands still until advanced', async () => {
    const c = new FakeClock();
    expect(c.now()).toBe(Date.UTC(2026, 0, 1));
    expect(FAKE_EPOCH).toBe(Date.UTC(2026, 0, 1));
    expect(c.monotonic()).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    expect(c.now()).toBe(FAKE_EPOCH);
    await c.advance(1500);
    expect(c.now()).toBe(FAKE_EPOCH + 1500);
    expect(c.monotonic()).toBe(1500);
  });

  it('fires timers in time order, ties in the order set, with now() at each due time', async () => {
    const c = new FakeClock();
    const log: string[] = [];
    const at = (name: string) => () => log.push(`${name}@${c.monotonic()}`);
    c.setTimeout(at('c'), 30);
    c.setTimeout(at('a1'), 10);
    c.setTimeout(at('b'), 20);
    c.setTimeout(at('a2'), 10);
    c.setTimeout(at('zero'), 0);
    c.setTimeout(at('negative'), -5);
    await c.advance(25);
    expect(log).toEqual(['zero@0', 'negative@0', 'a1@10', 'a2@10', 'b@20']);
    expect(c.monotonic()).toBe(25);
    await c.advance(5);
    expect(log.at(-1)).toBe('c@30');
  });

  it('keeps order for many timers (the heap)', async () => {
    const c = new FakeClock();
    const fired: number[] = [];
    const delays = Array.from({ length: 200 }, (_, i) => (i * 7919) % 113);
    delays.forEach((d) => c.setTimeout(() => fired.push(d), d));
    await c.advance(200);
    expect(fired).toEqual([...delays].sort((x, y) => x - y));
  });

  it('clearTimeout cancels; clearing undefined or twice is harmless', async () => {
    const c = new FakeClock();
    let fired = 0;
    const h = c.setTimeout(() => fired++, 10);
    c.setTimeout(() => fired++, 20);
    expect(c.pendingTimers()).toBe(2);
    c.clearTimeout(h);
    c.clearTimeout(h);
    c.clearTimeout(undefined);
    expect(c.pendingTimers()).toBe(1);
    await c.advance(100);
    expect(fired).toBe(1);
  });

  it('timers set while advancing fire in the same advance when due', async () => {
    const c = new FakeClock();
    const log: number[] = [];
    c.setTimeout(() => {
      log.push(c.monotonic());
      c.setTimeout(() => log.push(c.monotonic()), 5);
      c.setTimeout(() => log.push(c.monotonic()), 50);
    }, 10);
    await c.advance(20);
    expect(log).toEqual([10, 15]);
  });

  it('lets async work started by a timer finish before the next timer fires', async () => {
    const c = new FakeClock();
    const log: string[] = [];
    c.setTimeout(async () => {
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
      log.push('async done');
      c.setTimeout(() => log.push(`chained@${c.monotonic()}`), 1);
    }, 10);
    c.setTimeout(() => log.push('second'), 10);
    await c.advance(11);
    expect(log).toEqual(['async done', 'second', 'chained@11']);
  });

  it('runUntil advances until the condition holds, and gives up at maxMs', async () => {
    const c = new FakeClock();
    let ready = false;
    c.setTimeout(() => (ready = true), 42);
    expect(await c.runUntil(() => ready, 1000)).toBe(true);
    expect(c.monotonic()).toBe(42);
    expect(await c.runUntil(() => false, 100, 10)).toBe(false);
    expect(c.monotonic()).toBe(142);
    const before = c.monotonic();
    expect(await c.runUntil(() => true, 100)).toBe(true);
    expect(c.monotonic()).toBe(before);
  });

  it('rejects nonsense arguments and stops a runaway timer loop', async () => {
    const c = new FakeClock();
    await expect(c.advance(-1)).rejects.toThrow(RangeError);
    await expect(c.runUntil(() => false, 10, 0)).rejects.toThrow(RangeError);
    const small = new FakeClock(FAKE_EPOCH, 1000);
    let spins = 0;
    const spin = () => void (spins++, small.setTimeout(spin, 0));
    spin();
    await expect(small.advance(1)).rejects.toThrow(/timer loop/);
    expect(spins).toBe(1001);
  });
});
