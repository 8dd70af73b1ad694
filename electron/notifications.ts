// Desktop notifications: a reservation of yours ends within 10 minutes (once per hold), a server you
// queued for is now yours, this node became master. The decision is a pure function of two views.
import type { Notification as ElectronNotification, NotificationConstructorOptions } from 'electron';
import type { BoardView } from '../node-core/src/api/peer-api.js';

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
export function decideNotifications(
  prev: BoardView | null,
  next: BoardView,
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
  #prev: BoardView | null = null;
  readonly #shown = new Set<string>();
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: NotifierOptions) {
    this.#opts = opts;
  }

  /** A new view of the board; returns the notes it showed. */
  onView(view: BoardView): DesktopNote[] {
    const nowSec = Math.floor((this.#opts.now?.() ?? Date.now()) / 1000);
    const notes = decideNotifications(this.#prev, view, this.#opts.user(), nowSec, this.#shown);
    this.#prev = view;
    for (const note of notes) {
      this.#shown.add(note.key);
      this.#show(note);
    }
    if (this.#shown.size > 1000) this.#forgetOldest();
    return notes;
  }

  /** Re-checks the last view every CHECK_INTERVAL_MS (deadlines pass without board changes). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#prev) this.onView(this.#prev);
    }, CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #show(note: DesktopNote): void {
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
