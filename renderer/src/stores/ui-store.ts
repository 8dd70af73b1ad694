// Window-level UI state: the open tab (mirrored in location.hash), the toasts read by an
// aria-live region, the "It's yours" notices, and the board's settings kept in this browser.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { DEFAULT_EXPIRY_WARN_MIN, MAX_EXPIRY_WARN_MIN } from '../lib/hold-alerts.js';
import { localizeTimes } from '../lib/time-format.js';

export const Tab = { board: 'board', monitoring: 'monitoring', cluster: 'cluster', history: 'history', admin: 'admin' } as const;
export type Tab = (typeof Tab)[keyof typeof Tab];
const TABS = Object.values(Tab) as string[];

export interface Toast {
  id: number;
  kind: 'info' | 'error';
  text: string;
  /** groups toasts about one thing (e.g. `queue:web-01`) so they can be taken back together */
  tag?: string;
}

/** A server the queue handed to this user, shown until dismissed or released. */
export interface GrantNotice {
  host: string;
  until: number | null;
}

export const TOAST_MS = 6000;
const MAX_TOASTS = 4;
/** localStorage key of the "warn before my hold ends" setting (minutes) */
export const EXPIRY_WARN_KEY = 'peerboard.expiryWarnMin';

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** The saved warning time, or the default when none is saved or it is not a sane number. */
function readWarnMin(): number {
  const raw = storage()?.getItem(EXPIRY_WARN_KEY);
  const n = raw === null || raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 && n <= MAX_EXPIRY_WARN_MIN ? n : DEFAULT_EXPIRY_WARN_MIN;
}

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
  const grants = ref<GrantNotice[]>([]);
  const expiryWarnMin = ref(readWarnMin());
  /** hosts whose queue this window joined (the node said so), until granted, left or reserved directly */
  const waiting = new Set<string>();
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

  /** Takes back every toast with this tag (a "you are number 1" that the grant made stale). */
  function dismissTag(tag: string): void {
    toasts.value = toasts.value.filter((t) => t.tag !== tag);
  }

  /** Shows a message; a node's UTC timestamps in it are shown in the board's local time. */
  function toast(kind: Toast['kind'], raw: string, tag?: string): void {
    const id = nextId++;
    const text = localizeTimes(raw);
    toasts.value = [...toasts.value.slice(-(MAX_TOASTS - 1)), { id, kind, text, ...(tag ? { tag } : {}) }];
    setTimeout(() => dismiss(id), TOAST_MS);
  }

  function addGrant(g: GrantNotice): void {
    grants.value = [...grants.value.filter((x) => x.host !== g.host), g];
  }
  function dismissGrant(host: string): void {
    grants.value = grants.value.filter((x) => x.host !== host);
  }

  /** Sets the warning time (whole minutes, 0 = off); returns the problem, or null when saved. */
  function setExpiryWarnMin(min: number): string | null {
    if (!Number.isInteger(min) || min < 0 || min > MAX_EXPIRY_WARN_MIN) return `Enter whole minutes from 0 (off) to ${MAX_EXPIRY_WARN_MIN}.`;
    expiryWarnMin.value = min;
    storage()?.setItem(EXPIRY_WARN_KEY, String(min));
    return null;
  }

  return { tab, toasts, grants, expiryWarnMin, waiting, setTab, toast, dismiss, dismissTag, addGrant, dismissGrant, setExpiryWarnMin };
});
