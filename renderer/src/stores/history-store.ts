// The history view's state: filters, the current page of UserRequests, paging. The cluster's
// bookkeeping rows (registrations) are left out unless asked for.
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import { usePeerApi } from '../api/api-context.js';
import type { ErrorValue, HistoryFilter, HistoryPage } from '../api/api-types.js';

export const HISTORY_PAGE_SIZE = 25;

export interface HistoryFilters {
  user: string;
  host: string;
  operation: string;
  result: '' | 'ok' | 'error';
  /** also show the cluster's bookkeeping rows (user and node registrations) */
  system: boolean;
}

export const useHistoryStore = defineStore('history', () => {
  const api = usePeerApi();
  const filters = reactive<HistoryFilters>({ user: '', host: '', operation: '', result: '', system: false });
  const offset = ref(0);
  const page = ref<HistoryPage | null>(null);
  const loading = ref(false);
  const error = ref<ErrorValue | null>(null);
  let seq = 0;

  async function load(): Promise<void> {
    const mine = ++seq;
    const f: HistoryFilter = { limit: HISTORY_PAGE_SIZE, offset: offset.value };
    if (filters.user.trim()) f.user = filters.user.trim();
    if (filters.host.trim()) f.host = filters.host.trim();
    if (filters.operation) f.operation = filters.operation;
    // a chosen operation is shown whatever it is; otherwise bookkeeping only on request
    else if (!filters.system) f.system = false;
    if (filters.result) f.result = filters.result;
    loading.value = true;
    const r = await api.history(f);
    if (mine !== seq) return; // a newer request superseded this one
    loading.value = false;
    if (r.ok) {
      page.value = r.value;
      error.value = null;
    } else error.value = r.error;
  }

  function applyFilters(): Promise<void> {
    offset.value = 0;
    return load();
  }
  function next(): Promise<void> {
    if (page.value && offset.value + HISTORY_PAGE_SIZE < page.value.total) offset.value += HISTORY_PAGE_SIZE;
    return load();
  }
  function prev(): Promise<void> {
    offset.value = Math.max(0, offset.value - HISTORY_PAGE_SIZE);
    return load();
  }

  return { filters, offset, page, loading, error, load, applyFilters, next, prev };
});
