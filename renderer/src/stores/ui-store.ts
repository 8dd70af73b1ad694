// Window-level UI state: the open tab (mirrored in location.hash) and the toasts read by an
// aria-live region.
import { defineStore } from 'pinia';
import { ref } from 'vue';

export const Tab = { board: 'board', cluster: 'cluster', history: 'history', admin: 'admin' } as const;
export type Tab = (typeof Tab)[keyof typeof Tab];
const TABS = Object.values(Tab) as string[];

export interface Toast {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

export const TOAST_MS = 6000;
const MAX_TOASTS = 4;

export const useUiStore = defineStore('ui', () => {
  const fromHash = (): Tab | null => {
    const h = globalThis.location?.hash.slice(1) ?? '';
    return TABS.includes(h) ? (h as Tab) : null;
  };
  const tab = ref<Tab>(fromHash() ?? Tab.board);
  // links and back/forward change the hash: follow them
  globalThis.addEventListener?.('hashchange', () => {
    const t = fromHash();
    if (t) tab.value = t;
  });
  const toasts = ref<Toast[]>([]);
  let nextId = 1;

  function setTab(t: Tab): void {
    tab.value = t;
    try {
      history.replaceState(null, '', `#${t}`);
    } catch {
      // no history (tests): the tab still changes
    }
  }

  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((t) => t.id !== id);
  }

  function toast(kind: Toast['kind'], text: string): void {
    const id = nextId++;
    toasts.value = [...toasts.value.slice(-(MAX_TOASTS - 1)), { id, kind, text }];
    setTimeout(() => dismiss(id), TOAST_MS);
  }

  return { tab, toasts, setTab, toast, dismiss };
});
