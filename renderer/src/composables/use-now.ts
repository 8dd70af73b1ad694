// Shared, ticking clocks for relative times: one interval per tick rate for the whole window
// ("3 min ago" ticks every 15 s; an offline page's data age ticks every second).
import { onScopeDispose, ref, type Ref } from 'vue';

export const NOW_TICK_MS = 15_000;
/** the clock of things that must move every second (the age of an offline page's data) */
export const SECOND_TICK_MS = 1000;

interface Clock {
  now: Ref<number>;
  users: number;
  timer: ReturnType<typeof setInterval> | undefined;
}
const clocks = new Map<number, Clock>();

export function useNow(tickMs: number = NOW_TICK_MS): Ref<number> {
  let c = clocks.get(tickMs);
  if (!c) {
    c = { now: ref(Date.now()), users: 0, timer: undefined };
    clocks.set(tickMs, c);
  }
  const clock = c;
  clock.now.value = Date.now();
  if (clock.users++ === 0) clock.timer = setInterval(() => (clock.now.value = Date.now()), tickMs);
  onScopeDispose(() => {
    if (--clock.users === 0) clearInterval(clock.timer);
  });
  return clock.now;
}
