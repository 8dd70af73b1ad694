// Worker loans as this window sees them (issue 13): the farm's LoansView, refreshed while a view shows
// it (every 5 s while the page is visible, and soon after a loan entry is applied), the active loans
// indexed for the Cluster and Board rows, and recall/return (the views offer them to admins). The node stays the source of truth.
import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import { usePeerApi } from '../api/api-context.js';
import type { ErrorValue, LoansView, PeerEvent, Result } from '../api/api-types.js';
import { indexLoans } from '../lib/loans.js';

/** how often the loans are fetched while a view shows them and the page is visible */
export const LOANS_POLL_MS = 5_000;
/** loan entries closer together than this cause one refetch */
export const LOANS_DEBOUNCE_MS = 200;

export const useLoansStore = defineStore('loans', () => {
  const api = usePeerApi();
  const view = shallowRef<LoansView | null>(null);
  const loadError = shallowRef<ErrorValue | null>(null);
  const index = computed(() => indexLoans(view.value?.active ?? []));

  let users = 0;
  let stopEvents: (() => void) | null = null;
  let poll: ReturnType<typeof setInterval> | undefined;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | null = null;

  async function refresh(): Promise<void> {
    if (inFlight) return inFlight;
    inFlight = (async () => {
      try {
        const r = await api.loans();
        if (r.ok) {
          view.value = r.value;
          loadError.value = null;
        } else loadError.value = r.error;
      } catch (err) {
        loadError.value = { code: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) } as ErrorValue;
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  function onEvent(e: PeerEvent): void {
    if (e.type !== 'change' || !(e.request?.operation ?? '').startsWith('loan-')) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void refresh(), LOANS_DEBOUNCE_MS);
  }
  const visible = (): boolean => globalThis.document?.visibilityState !== 'hidden';

  /** A view that shows loans starts using the store (counted; the first one starts the updates). */
  function start(): void {
    if (users++ > 0) return;
    stopEvents = api.subscribe(onEvent);
    poll = setInterval(() => {
      if (visible()) void refresh();
    }, LOANS_POLL_MS);
    void refresh();
  }

  function stop(): void {
    if (users === 0 || --users > 0) return;
    stopEvents?.();
    stopEvents = null;
    clearInterval(poll);
    clearTimeout(debounce);
  }

  async function end(call: Promise<Result<{ id: string }>>): Promise<Result<{ id: string }>> {
    const r = await call;
    if (r.ok) await refresh();
    return r;
  }

  return {
    view,
    loadError,
    index,
    refresh,
    start,
    stop,
    recall: (id: string) => end(api.recallLoan(id)),
    giveBack: (id: string) => end(api.returnLoan(id)),
  };
});
