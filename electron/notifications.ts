// Desktop notifications: a reservation of yours ends within 10 minutes (once per hold), a server you
// queued for is now yours, this node became master, a check's verdict changed (once per alert). The
// decision is a pure function of two views (whole boards at start, or just the rows one change
// event touched), or of the alert.
import type { Notification as ElectronNotification, NotificationConstructorOptions } from 'electron';
import type { Alert, BoardView, NodeStatus, Server } from '../node-core/src/api/peer-api.js';
import type { RowChange } from './board-mirror.js';
import { verdictNote, type VerdictNote } from './monitor-glue.js';

/** How long before the end of a hold the warning comes. */
export const ENDING_SOON_SEC = 10 * 60;
/** How often the ending-soon check runs even when nothing changes on the board. */
export const CHECK_INTERVAL_MS = 30_000;

export interface DesktopNote {
  /** identifies the occasion: the same key is never shown twice */
  key: string;
  kind: 'ending-soon' | 'granted' | 'master';
  title: string;
  body: string;
}

function minutesLeft(until: number, nowSec: number): number {
  return Math.max(1, Math.ceil((until - nowSec) / 60));
}

/**
 * What to tell the user, going from `prev` to `next` at `nowSec` (epoch seconds). `shown` holds the
 * keys already shown; notes with those keys are left out, so each hold warns once.
 */
/** What the decision reads of a view: its rows (all, or only those a change touched) and the node's self. */
export type NoteView = { serversData: { serversList: readonly Server[] }; self: Pick<BoardView['self'], 'role' | 'nodeId' | 'term'> };

export function decideNotifications(
  prev: NoteView | null,
  next: NoteView,
  user: string,
  nowSec: number,
  shown: ReadonlySet<string> = new Set(),
): DesktopNote[] {
  const notes: DesktopNote[] = [];
  const before = new Map((prev?.serversData.serversList ?? []).map((s) => [s.host, s]));

  for (const server of next.serversData.serversList) {
    if (server.holder !== user) continue;
    if (server.until !== null && server.until > nowSec && server.until - nowSec <= ENDING_SOON_SEC) {
      const mins = minutesLeft(server.until, nowSec);
      notes.push({
        key: `ending-soon:${server.host}:${server.since}:${server.until}`,
        kind: 'ending-soon',
        title: `${server.host}: your reservation ends soon`,
        body: `It ends in ${mins} minute${mins === 1 ? '' : 's'}. Extend it on the board if you still need it.`,
      });
    }
    const old = before.get(server.host);
    if (old && old.holder !== user && old.queue.some((q) => q.user === user)) {
      notes.push({
        key: `granted:${server.host}:${server.since}`,
        kind: 'granted',
        title: `${server.host} is yours`,
        body: `You were first in the queue${server.until !== null ? `; the hold ends at ${clock(server.until)}` : ''}.`,
      });
    }
  }

  if (prev && prev.self.role !== 'master' && next.self.role === 'master') {
    notes.push({
      key: `master:${next.self.nodeId}:${next.self.term}`,
      kind: 'master',
      title: 'This computer is now the master',
      body: 'Peerboard on this computer now coordinates the team board. Quit normally to hand it over.',
    });
  }
  return notes.filter((n) => !shown.has(n.key));
}

function clock(epochSec: number): string {
  const d = new Date(epochSec * 1000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Electron's Notification class, as far as it is used here. */
export interface NotificationClass {
  new (options: NotificationConstructorOptions): Pick<ElectronNotification, 'show' | 'on'>;
  isSupported(): boolean;
}

export interface NotifierOptions {
  Notification: NotificationClass;
  user(): string;
  /** epoch milliseconds */
  now?: () => number;
  /** clicking a notification (usually: show the window) */
  onClick?: () => void;
  iconPath?: string;
}

/** Feeds views to decideNotifications and shows the result; a timer re-checks deadlines. */
export class Notifier {
  readonly #opts: NotifierOptions;
  #prev: NoteView | null = null;
  readonly #shown = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  /** what the periodic re-check looks at (the user's holds); default: the last view */
  #recheck: (() => NoteView | null) | null = null;

  constructor(opts: NotifierOptions) {
    this.#opts = opts;
  }

  /** A new view of the whole board; returns the notes it showed. */
  onView(view: NoteView): DesktopNote[] {
    const notes = this.#decide(this.#prev, view);
    this.#prev = view;
    return notes;
  }

  /** The rows one change event touched (before and after it); O(those rows). */
  onRows(rows: readonly RowChange[], status: NodeStatus): DesktopNote[] {
    const before = rows.flatMap((r) => (r.before ? [r.before] : []));
    const after = rows.flatMap((r) => (r.after ? [r.after] : []));
    return this.#decide({ serversData: { serversList: before }, self: status.self }, { serversData: { serversList: after }, self: status.self });
  }

  /** The node's role or the cluster changed (became master?). */
  onStatus(status: NodeStatus): DesktopNote[] {
    const self = { role: status.self.role, nodeId: status.self.nodeId, term: status.self.term };
    const prev = this.#prev ? { serversData: { serversList: [] }, self: this.#prev.self } : null;
    const next = { serversData: { serversList: [] }, self };
    const notes = this.#decide(prev, next);
    this.#prev = this.#prev ? { ...this.#prev, self } : next;
    return notes;
  }

  /** A committed verdict change (the 'verdict' event): shown once per alert, unless muted, not notifiable or old. */
  onVerdict(alert: Alert): VerdictNote | null {
    const note = verdictNote(alert, this.#opts.now?.() ?? Date.now());
    if (!note || this.#shown.has(note.key)) return null;
    this.#shown.add(note.key);
    this.#show(note);
    if (this.#shown.size > 1000) this.#forgetOldest();
    return note;
  }

  /** Makes the periodic re-check read `source` (e.g. the user's holds from the main process's mirror). */
  recheckFrom(source: () => NoteView | null): void {
    this.#recheck = source;
  }

  #decide(prev: NoteView | null, next: NoteView): DesktopNote[] {
    const nowSec = Math.floor((this.#opts.now?.() ?? Date.now()) / 1000);
    const notes = decideNotifications(prev, next, this.#opts.user(), nowSec, this.#shown);
    for (const note of notes) {
      this.#shown.add(note.key);
      this.#show(note);
    }
    if (this.#shown.size > 1000) this.#forgetOldest();
    return notes;
  }

  /** Re-checks deadlines every CHECK_INTERVAL_MS (they pass without board changes). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.recheck(), CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  /** One re-check of the deadlines now (the timer's work). */
  recheck(): DesktopNote[] {
    const view = this.#recheck ? this.#recheck() : this.#prev;
    return view ? this.#decide(view, view) : [];
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #show(note: Pick<DesktopNote, 'title' | 'body'>): void {
    const { Notification } = this.#opts;
    if (!Notification.isSupported()) return;
    const n = new Notification({ title: note.title, body: note.body, ...(this.#opts.iconPath ? { icon: this.#opts.iconPath } : {}) });
    if (this.#opts.onClick) n.on('click', this.#opts.onClick);
    n.show();
  }

  #forgetOldest(): void {
    const keep = [...this.#shown].slice(-500);
    this.#shown.clear();
    for (const k of keep) this.#shown.add(k);
  }
}
