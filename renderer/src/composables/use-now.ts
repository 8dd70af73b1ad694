// A shared, slowly ticking clock for relative times ("3 min ago"): one interval for the window.
import { onScopeDispose, ref, type Ref } from 'vue';

export const NOW_TICK_MS = 15_000;
const now = ref(Date.now());
let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

export function useNow(): Ref<number> {
  now.value = Date.now();
  if (users++ === 0) timer = setInterval(() => (now.value = Date.now()), NOW_TICK_MS);
  onScopeDispose(() => {
    if (--users === 0) clearInterval(timer);
  });
  return now;
}
