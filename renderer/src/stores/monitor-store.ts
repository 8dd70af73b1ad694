// Monitoring as this window sees it: the checks with their verdicts, recent alerts and (for admins)
// the notification targets. Views that show any of it call start()/stop(); while one does, a
// committed verdict change (the 'verdict' event) refetches after a short debounce, and the checks
// are polled every 10 s while the page is visible. The node stays the source of truth.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { usePeerApi } from '../api/api-context.js';
import type { Alert, CheckInput, CheckView, ErrorValue, NotificationInput, NotificationTargetView, PeerEvent, Result } from '../../../node-core/src/api/peer-api.js';
import { locationReports, verdictsByServer } from '../lib/monitoring.js';

/** verdict events closer together than this cause one refetch */
export const VERDICT_DEBOUNCE_MS = 250;
/** how often the checks are fetched while a view shows them and the page is visible */
export const POLL_MS = 10_000;
/** alerts the view asks for */
export const ALERTS_SHOWN = 20;

const DENIED = new Set(['FORBIDDEN', 'UNAUTHORIZED']);

/** A client that throws instead of answering (a bug, a preload without the channel) gives an error value. */
async function settle<T>(call: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await call();
  } catch (err) {
    return { ok: false, error: { code: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) } as ErrorValue };
  }
}

export const useMonitorStore = defineStore('monitor', () => {
  const api = usePeerApi();
  const checks = shallowRef<CheckView[] | null>(null);
  const alerts = shallowRef<Alert[]>([]);
  /** null until known, or while this user may not see them (not an admin) */
  const notifications = shallowRef<NotificationTargetView[] | null>(null);
  /** true: the node let this user list notification targets (an admin); null: not asked yet */
  const isAdmin = ref<boolean | null>(null);
  const loadError = shallowRef<ErrorValue | null>(null);

  const byServer = computed(() => verdictsByServer(checks.value ?? []));
  const locations = computed(() => locationReports(checks.value ?? []));

  let users = 0;
  /** views that show the alerts: the poll refreshes them too (a delivery's state changes without a verdict event) */
  let alertUsers = 0;
  let stopEvents: (() => void) | null = null;
  let poll: ReturnType<typeof setInterval> | undefined;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | null = null;
  let again = false;

  /** Fetches the checks; calls while one is on its way cause exactly one more. */
  function refresh(): Promise<void> {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      try {
        do {
          again = false;
          const r = await settle(() => api.listChecks());
          if (r.ok) {
            checks.value = r.value;
            loadError.value = null;
          } else loadError.value = r.error;
        } while (again);
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  async function refreshAlerts(): Promise<void> {
    const r = await settle(() => api.listAlerts(ALERTS_SHOWN));
    if (r.ok) alerts.value = r.value;
  }

  /** Lists the targets; a refusal (not an admin) hides the admin parts instead of showing an error. */
  async function refreshNotifications(): Promise<Result<NotificationTargetView[]>> {
    const r = await settle(() => api.listNotifications());
    if (r.ok) {
      notifications.value = r.value;
      isAdmin.value = true;
    } else if (DENIED.has(r.error.code)) {
      notifications.value = null;
      isAdmin.value = false;
    }
    return r;
  }

  function onEvent(e: PeerEvent): void {
    if (e.type !== 'verdict') return;
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      void refresh();
      void refreshAlerts();
    }, VERDICT_DEBOUNCE_MS);
  }

  function visible(): boolean {
    return globalThis.document?.visibilityState !== 'hidden';
  }
  function onVisibility(): void {
    if (visible()) void refresh();
  }

  /** A view that shows monitoring starts using the store (counted; the first one starts the updates). */
  function start(opts: { alerts?: boolean } = {}): void {
    if (opts.alerts && alertUsers++ === 0) void refreshAlerts();
    if (users++ > 0) return;
    stopEvents = api.subscribe(onEvent);
    poll = setInterval(() => {
      if (!visible()) return;
      void refresh();
      if (alertUsers > 0) void refreshAlerts();
    }, POLL_MS);
    globalThis.document?.addEventListener('visibilitychange', onVisibility);
    void refresh();
  }

  function stop(opts: { alerts?: boolean } = {}): void {
    if (opts.alerts && alertUsers > 0) alertUsers--;
    if (users === 0 || --users > 0) return;
    stopEvents?.();
    stopEvents = null;
    clearInterval(poll);
    clearTimeout(debounce);
    globalThis.document?.removeEventListener('visibilitychange', onVisibility);
  }

  /** An admin change, then a fresh list (the node answers once the change is committed). */
  async function change<T>(call: Promise<Result<T>>, after: () => Promise<unknown>): Promise<Result<T>> {
    const r = await call;
    if (r.ok) await after();
    return r;
  }

  return {
    checks,
    alerts,
    notifications,
    isAdmin,
    loadError,
    byServer,
    locations,
    refresh,
    refreshAlerts,
    refreshNotifications,
    start,
    stop,
    active: () => users > 0,
    addCheck: (input: CheckInput) => change(api.addCheck(input), refresh),
    updateCheck: (id: number, patch: Partial<CheckInput>) => change(api.updateCheck(id, patch), refresh),
    removeCheck: (id: number) => change(api.removeCheck(id), refresh),
    addNotification: (input: NotificationInput) => change(api.addNotification(input), refreshNotifications),
    removeNotification: (id: number) => change(api.removeNotification(id), refreshNotifications),
    checkSeries: (id: number, hours: number) => api.checkSeries(id, hours),
  };
});
