// The board as this window sees it: the node's last BoardView, kept live from pushed events. A change
// event that names its rows patches them in; only one that cannot (or an older node) causes a refetch.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { usePeerApi } from '../api/api-context.js';
import {
  LinkState,
  type BoardView,
  type ChangeEvent,
  type ErrorValue,
  type ExtendRequest,
  type PeerEvent,
  type QueueRequest,
  type ReleaseRequest,
  type ReserveRequest,
  type Result,
} from '../api/api-types.js';

/** Events arriving closer together than this cause one refetch. */
export const REFRESH_DEBOUNCE_MS = 50;
/** changes kept while a full view is being fetched; more than this: fetch again instead */
const MAX_HELD_CHANGES = 500;
/** history rows the view keeps (the node's BoardView carries its newest 50) */
const VIEW_HISTORY = 50;

/**
 * The view after one change event, or null when the event does not say what changed (refetch).
 * Returns `v` itself when nothing shown changed (presence batches): no repaint. Rows are replaced
 * by host in place, new ones appended (the node's order), removed ones dropped.
 */
export function patchView(v: BoardView, e: ChangeEvent): BoardView | null {
  if (e.full || !e.rows) return null;
  if (e.index <= v.appliedIndex && v.appliedIndex > 0) return v; // already in the view (fetched after it)
  const removed = e.removed ?? [];
  let list = v.serversData.serversList;
  if (e.rows.length > 0 || removed.length > 0) {
    const byHost = new Map(e.rows.map((r) => [r.host, r]));
    const gone = new Set(removed);
    const next: typeof list = [];
    for (const s of list) {
      if (gone.has(s.host)) continue;
      const row = byHost.get(s.host);
      if (row) byHost.delete(s.host);
      next.push(row ?? s);
    }
    for (const row of byHost.values()) next.push(row);
    list = next;
  }
  const request = e.request;
  if (list === v.serversData.serversList && !request) return v;
  return {
    ...v,
    serversData: list === v.serversData.serversList ? v.serversData : { lastUpdate: e.lastUpdate ?? v.serversData.lastUpdate, serversList: list },
    userRequests: request ? [request, ...v.userRequests.filter((r) => r.id !== request.id)].slice(0, VIEW_HISTORY) : v.userRequests,
    appliedIndex: Math.max(v.appliedIndex, e.index),
    commitIndex: Math.max(v.commitIndex, e.index),
  };
}

const BLOCK_TEXT: Record<string, string> = {
  NO_QUORUM: 'No quorum: too few of the team\'s nodes are reachable to agree on changes',
  NOT_LEADER: 'No master: the nodes are choosing one',
};

/** A node's writeBlockedReason in words (codes are explained, sentences kept, end dot dropped). */
export function explainBlock(reason: string): string {
  return (BLOCK_TEXT[reason] ?? reason).replace(/\.\s*$/, '');
}

export const useBoardStore = defineStore('board', () => {
  const api = usePeerApi();
  const view = shallowRef<BoardView | null>(null);
  const loading = ref(false);
  const loadError = ref<ErrorValue | null>(null);
  const link = ref<LinkState>(LinkState.connecting);
  /** when (ms, local clock) the view was last refreshed from the node */
  const fetchedAt = ref<number | null>(null);
  /** when (ms, local clock) the link to the node broke; null while it answers (retries keep it set) */
  const offlineSince = ref<number | null>(null);
  const offline = computed(() => offlineSince.value !== null);
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let stops: Array<() => void> = [];
  let inFlight: Promise<void> | null = null;
  let again = false;
  let refreshDue = false;
  let held: ChangeEvent[] = [];

  const servers = computed(() => view.value?.serversData.serversList ?? []);
  const self = computed(() => view.value?.self ?? null);
  const role = computed(() => view.value?.self.role ?? null);
  /** why writes are refused now, or null when they are allowed */
  const readOnlyReason = computed(() => {
    const v = view.value;
    if (!v) return null;
    if (offlineSince.value !== null) return 'Offline: this page has lost its node';
    if (v.writeBlockedReason) return explainBlock(v.writeBlockedReason);
    if (!v.quorum) return explainBlock('NO_QUORUM');
    return null;
  });
  const canWrite = computed(() => view.value !== null && readOnlyReason.value === null);

  function setView(v: BoardView): void {
    view.value = v;
    fetchedAt.value = Date.now();
    loadError.value = null;
    // the node answered: the page is not offline (the event stream reconnects on its own)
    offlineSince.value = null;
  }

  /** Refetches the whole view; concurrent calls coalesce into one more fetch. */
  function refresh(): Promise<void> {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    loading.value = true;
    inFlight = (async () => {
      do {
        again = false;
        const r = await api.getState();
        if (r.ok) {
          setView(r.value);
          replayHeld();
        } else loadError.value = r.error;
      } while (again);
      held = [];
      loading.value = false;
      inFlight = null;
    })();
    return inFlight;
  }

  function scheduleRefresh(): void {
    clearTimeout(debounce);
    refreshDue = true;
    debounce = setTimeout(() => {
      refreshDue = false;
      void refresh();
    }, REFRESH_DEBOUNCE_MS);
  }

  /** a refetch is scheduled or running: a patch now could be overwritten by an older full view */
  function pendingRefresh(): boolean {
    return refreshDue || inFlight !== null;
  }

  /**
   * Changes that arrived while a full view was on its way: applied on top of it once it is here
   * (those it already has are skipped by index). One that names no rows needs another fetch.
   */
  function replayHeld(): void {
    const list = held;
    held = [];
    for (const e of list) {
      const next = view.value ? patchView(view.value, e) : null;
      if (next === null) {
        again = true;
        return;
      }
      view.value = next;
    }
  }

  function onEvent(e: PeerEvent): void {
    const v = view.value;
    if (!v) return scheduleRefresh();
    if (e.type === 'change' && pendingRefresh()) {
      // a full view is coming: keep the change for it (a busy board must not refetch forever);
      // one without rows needs a view fetched after it
      if (!e.full && e.rows && held.length < MAX_HELD_CHANGES) held.push(e);
      else if (inFlight) again = true;
      else scheduleRefresh();
      return;
    }
    if (e.type === 'change') {
      const next = patchView(v, e);
      if (next === null) return scheduleRefresh();
      if (next !== v) view.value = next;
      return;
    }
    if (e.type === 'role') {
      const clusterView = v.clusterView.map((n) => (n.nodeId === e.nodeId ? { ...n, role: e.role, term: e.term } : n));
      view.value = e.nodeId === v.self.nodeId ? { ...v, self: { ...v.self, role: e.role, term: e.term }, clusterView } : { ...v, clusterView };
      return;
    }
    if (e.type === 'cluster') {
      const flipped = e.quorum !== v.quorum || e.stale !== v.stale;
      view.value = {
        ...v,
        clusterView: e.clusterView,
        leader: e.leader,
        quorum: e.quorum,
        stale: e.stale,
        writeBlockedReason: e.quorum ? null : v.writeBlockedReason,
        staleMs: e.stale ? v.staleMs : 0,
        asleep: e.asleep ?? null,
      };
      // the exact reason and age come with the full view
      if (flipped) scheduleRefresh();
    }
  }

  function start(): void {
    if (stops.length) return;
    stops.push(api.subscribe(onEvent));
    stops.push(
      api.onLink((state, hello) => {
        const wasClosed = link.value === LinkState.closed;
        link.value = state;
        if (state === LinkState.open) offlineSince.value = null;
        else if (state === LinkState.closed && offlineSince.value === null) offlineSince.value = Date.now();
        if (hello) setView(hello);
        else if (state === LinkState.open && wasClosed) void refresh();
      }),
    );
    void refresh();
  }

  function stop(): void {
    for (const s of stops) s();
    stops = [];
    clearTimeout(debounce);
    refreshDue = false;
    held = [];
  }

  /** The node's verdict; the view follows from the change event the write causes (never guessed here). */
  async function write<T>(call: Promise<Result<T>>): Promise<Result<T>> {
    const r = await call;
    return r;
  }

  return {
    view,
    loading,
    loadError,
    link,
    fetchedAt,
    offlineSince,
    offline,
    servers,
    self,
    role,
    readOnlyReason,
    canWrite,
    refresh,
    start,
    stop,
    reserve: (req: ReserveRequest) => write(api.reserve(req)),
    release: (req: ReleaseRequest) => write(api.release(req)),
    extend: (req: ExtendRequest) => write(api.extend(req)),
    queue: (req: QueueRequest) => write(api.queue(req)),
    leaveQueue: (req: { host: string; user: string }) => write(api.leaveQueue(req)),
    addServer: (...a: Parameters<typeof api.addServer>) => write(api.addServer(...a)),
    updateServer: (...a: Parameters<typeof api.updateServer>) => write(api.updateServer(...a)),
    removeServer: (host: string) => write(api.removeServer(host)),
    importServers: (...a: Parameters<typeof api.importServers>) => write(api.importServers(...a)),
    setMaintenance: (host: string, on: boolean, reason?: string) => write(api.setMaintenance(host, on, reason)),
    promote: (nodeId: string) => write(api.promote(nodeId)),
  };
});
