// Randomized property test of the board (seeded, bounded): thousands of operations from several users
// on a few hosts under a simulated master clock. After every step the safety invariants hold, and a
// board restored from a mid-way snapshot replays the rest of the log to the same state.
import { describe, expect, it } from 'vitest';
import { Board, type BoardEntry } from '../../../node-core/src/board/state-machine.js';
import type { ApplyResult, BoardSnapshot, Server, ServersData } from '../../../node-core/src/board/types.js';
import { seededRandom } from '../../../node-core/src/util/clock.js';
import { DAY, T0 } from './driver.js';

const prng = seededRandom;

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const HOSTS = ['h1', 'h2', 'h3', 'h4'];

/** Broken invariants of a board state, as readable strings (empty when all hold). */
function invariantViolations(data: ServersData): string[] {
  const bad: string[] = [];
  const check = (cond: boolean, what: string): void => {
    if (!cond) bad.push(what);
  };
  for (const s of data.serversList) {
    const queued = s.queue.map((q) => q.user);
    check((s.holder === null) === (s.until === null), `${s.host}: holder set iff until set`);
    check(s.holder !== null || s.holderNode === null, `${s.host}: holderNode without a holder`);
    check(s.available === (s.holder === null && !s.maintenance), `${s.host}: available`);
    check(s.action === (s.maintenance ? 'Maintenance' : s.holder !== null ? 'Reserved' : 'Available'), `${s.host}: action`);
    check(new Set(queued).size === queued.length, `${s.host}: duplicate in queue`);
    check(s.holder === null || !queued.includes(s.holder), `${s.host}: the holder is queued`);
    check(s.holder !== null || s.maintenance || queued.length === 0, `${s.host}: a free server has users waiting`);
  }
  const hosts = data.serversList.map((s) => s.host);
  check(new Set(hosts).size === hosts.length, 'two rows for one host');
  return bad;
}

/** How a server's hold may change in one step; returns what was broken (empty when fine). */
function transitionViolations(before: Server, after: Server, cmd: Record<string, unknown>, r: ApplyResult): string[] {
  const bad: string[] = [];
  const check = (cond: boolean, what: string): void => {
    if (!cond) bad.push(`${before.host}: ${what}`);
  };
  if (before.holder === after.holder) {
    if (after.holder !== null && after.until !== before.until) {
      check(cmd.type === 'extend' && r.ok, 'only a successful extend moves an end');
      check(after.until! > before.until!, 'an extend moved the end earlier');
    }
    return bad;
  }
  check(r.ok, 'a refused command changed the holder');
  const nextInQueue = before.queue[0]?.user;
  if (before.holder !== null) {
    // a held server changes hands only by release/expire of that host, to the head of the queue
    check(cmd.type === 'release' || cmd.type === 'expire', `${before.holder}'s hold ended by ${String(cmd.type)}`);
    check(cmd.host === before.host, 'a command on another host ended the hold');
    check(cmd.type !== 'expire' || cmd.until === before.until, 'expire ended a hold it does not name');
    check(cmd.type !== 'release' || cmd.user === before.holder || cmd.force === true, `${String(cmd.user)} released it without force`);
    check(after.holder === null || after.holder === nextInQueue, `granted to ${after.holder}, not the head of the queue`);
  } else if (cmd.type === 'reserve' || cmd.type === 'queue') {
    check(after.holder === cmd.user, `${String(cmd.user)}'s ${cmd.type} gave the server to ${after.holder}`);
  } else {
    check(cmd.type === 'maintenance' && after.holder === nextInQueue, `a free server was taken by ${String(cmd.type)}`);
  }
  return bad;
}

interface Step {
  entry: BoardEntry;
  result: ApplyResult;
  data: string;
}

/** Generates and applies `count` random entries, checking the board after every one. */
function simulate(seed: number, count: number): Step[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const board = new Board();
  const steps: Step[] = [];
  let at = T0;
  /** every end a hold ever had: the master may propose an expire for one that was extended since */
  const pastEnds: Array<{ host: string; until: number }> = [];
  const add = (cmd: unknown, user: string, reqId: string): Step => {
    const entry: BoardEntry = { index: steps.length + 1, at, cmd, meta: { user, nodeId: `node-${user}`, nodeIP: '127.0.0.1', reqId } };
    const before = board.serversData();
    const rowsBefore = board.history({ limit: 1 }).total;
    const result = board.apply(entry);
    const after = board.serversData();
    const where = `seed ${seed} step ${entry.index} ${JSON.stringify(cmd).slice(0, 200)}`;
    expect(invariantViolations(after), where).toEqual([]);
    const rows = board.history({ limit: 1 }).total - rowsBefore;
    if (!result.ok) {
      expect(after, `${where}: a refusal changed nothing`).toEqual(before);
      expect(rows, where).toBe(reqId === 'retry' ? 0 : 1);
    }
    const broken = before.serversList.flatMap((b) => {
      const a = after.serversList.find((s) => s.host === b.host);
      return a ? transitionViolations(b, a, cmd as Record<string, unknown>, result) : [];
    });
    expect(broken, where).toEqual([]);
    for (const a of after.serversList) if (a.until !== null) pastEnds.push({ host: a.host, until: a.until });
    const step = { entry, result, data: JSON.stringify(after) };
    steps.push(step);
    return step;
  };

  for (const host of HOSTS) add({ type: 'server-add', server: { host, app: 'App', env: 'test' } }, 'admin', `add-${host}`);
  while (steps.length < count) {
    at += int(0, 1800) * 1000;
    const now = Math.floor(at / 1000);
    const host = pick(HOSTS);
    const s = board.server(host)!;
    const user = s.holder !== null && rnd() < 0.5 ? s.holder : pick(USERS);
    const reqId = `r-${steps.length + 1}`;
    const roll = rnd();
    if (roll < 0.25) {
      add({ type: 'reserve', host, user, until: now + int(-600, 31 * DAY), comment: `c${int(0, 9)}` }, user, reqId);
    } else if (roll < 0.38) {
      add({ type: 'release', host, user, ...(rnd() < 0.1 ? { force: true } : {}) }, user, reqId);
    } else if (roll < 0.46) {
      add({ type: 'extend', host, user, until: (s.until ?? now) + int(-600, 5 * DAY) }, user, reqId);
    } else if (roll < 0.6) {
      add({ type: 'queue', host, user, durationSec: int(30, 2 * DAY) }, user, reqId);
    } else if (roll < 0.65) {
      add({ type: 'unqueue', host, user: pick(USERS) }, user, reqId);
    } else if (roll < 0.8) {
      // the master ends due holds; sometimes a stale (extended since) or early expire arrives instead
      const due = board.dueExpiries(now);
      const r2 = rnd();
      const target =
        due.length > 0 && r2 < 0.6
          ? due[0]!
          : r2 < 0.85 && pastEnds.length > 0
            ? pick(pastEnds.slice(-50))
            : { host, until: (s.until ?? now) + int(-5, 5) };
      add({ type: 'expire', ...target }, 'system', `expire-${target.host}-${target.until}-${steps.length}`);
    } else if (roll < 0.86) {
      add({ type: 'maintenance', host, on: !s.maintenance }, 'admin', reqId);
    } else if (roll < 0.93) {
      // a retried request: same key, whatever the body; nothing may change
      const old = pick(steps);
      const before = JSON.stringify(board.serversData());
      const r = board.apply({ index: steps.length + 1, at, cmd: { type: 'release', host, user, force: true }, meta: { ...old.entry.meta } });
      expect(r).toEqual(old.result);
      expect(JSON.stringify(board.serversData())).toBe(before);
    } else {
      const junk = pick<unknown>([null, 42, { type: 'reserve', host }, { type: 'steal', host, user }, { type: 'queue', host, user, durationSec: 'long' }, { type: 'release', host, user, extra: 1 }]);
      add(junk, user, reqId);
    }
  }
  return steps;
}

describe('board properties under random operations', () => {
  it('keeps the safety invariants after every one of 5000 steps, and replays identically from a snapshot', () => {
    const steps = simulate(20261122, 5000);
    const oks = steps.filter((s) => s.result.ok).length;
    // the run must exercise both paths to mean anything
    expect(oks).toBeGreaterThan(1000);
    expect(steps.length - oks).toBeGreaterThan(500);
    expect(steps.some((s) => (s.result.ok && (s.result.value as { grantedTo?: string } | undefined)?.grantedTo) ?? false)).toBe(true);

    const mid = Math.floor(steps.length / 2);
    const replica = new Board();
    for (const s of steps.slice(0, mid)) expect(replica.apply(s.entry)).toEqual(s.result);
    expect(JSON.stringify(replica.serversData())).toBe(steps[mid - 1]!.data);
    const snap = JSON.parse(JSON.stringify(replica.snapshot())) as BoardSnapshot;
    const restored = Board.fromSnapshot(snap);
    for (const s of steps.slice(mid)) {
      expect(restored.apply(s.entry)).toEqual(s.result);
      expect(replica.apply(s.entry)).toEqual(s.result);
      expect(JSON.stringify(restored.serversData())).toBe(s.data);
    }
    expect(restored.snapshot()).toEqual(replica.snapshot());
  });

  it('a second seed also holds (shorter run)', () => {
    const steps = simulate(7, 1500);
    expect(steps).toHaveLength(1500);
  });
});
