// The PeerApi contract (libp2p style): one suite, run against every implementation (the HTTP client
// on a real node, the renderer's demo API, the desktop preload -> ipc-main -> real node path).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoardCommand } from '../../node-core/src/board/types.js';
import type { CheckInput, PeerApi, PeerEvent, Result, Server, Verdict } from '../../node-core/src/api/peer-api.js';

export interface PeerApiHarness {
  api: PeerApi;
  close(): Promise<void>;
  /**
   * Commits a verdict change of a check as the master's monitoring would (PeerApi has no such call:
   * verdicts are the master's own writes). Absent: the verdict-event case is skipped.
   */
  commitVerdict?(checkId: number, previous: Verdict, verdict: Verdict): Promise<void>;
  /**
   * Starts a loan on the board as the master's LoanManager would (PeerApi only recalls and returns:
   * loans start from the farms' negotiation). Absent: the recall/return cases are skipped.
   */
  startLoan?(cmd: Extract<BoardCommand, { type: 'loan-start' }>): Promise<void>;
}

/** a loan-start for the contract: the other farm's loan port is 127.0.0.1:9 (nothing listens there) */
export function loanStart(direction: 'in' | 'out', tag: string): Extract<BoardCommand, { type: 'loan-start' }> {
  const worker = `ct-w-${process.pid}-${tag}`;
  return {
    type: 'loan-start',
    loan: { id: `ct-master:${worker}:${Date.now()}`, direction, workerId: worker, workerName: `ct-host-${tag}`, peer: { clusterId: 'ct-farm', masterId: 'ct-master', address: '127.0.0.1', loanPort: 9, peerboard: true }, leaseMs: 600_000 },
  };
}

/** Builds a fresh implementation: writes allowed (quorum, no token needed or one given), any board. */
export type PeerApiFactory = () => Promise<PeerApiHarness>;

const DAY = 86_400;
const nowSec = (): number => Math.floor(Date.now() / 1000);

function ok<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

function refused<T>(r: Result<T>, code: string): { code: string; message: string; details?: Record<string, unknown> } {
  if (r.ok) throw new Error(`expected ${code}, got ok: ${JSON.stringify(r.value).slice(0, 200)}`);
  expect(r.error.code, r.error.message).toBe(code);
  expect(typeof r.error.message).toBe('string');
  return r.error;
}

/**
 * A check nobody probes (disabled) on a loopback target: the contract never sends traffic off this
 * machine, and its verdict stays UNKNOWN whatever the implementation runs.
 */
function checkInput(extra: Partial<CheckInput> = {}): CheckInput {
  return { name: `ct-check-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, type: 'tcp', target: '127.0.0.1:9', intervalSec: 60, timeoutMs: 1000, retries: 0, enabled: false, ...extra };
}

/** the verdict command a master commits (for harnesses over a real node) */
export function verdictCommand(checkId: number, previous: Verdict, verdict: Verdict): BoardCommand {
  const down = verdict === 'DOWN' || verdict === 'PARTIAL';
  return {
    type: 'verdict',
    checkId,
    previous,
    verdict,
    locations: [{ nodeId: 'contract-loc', location: 'contract', status: down ? 'DOWN' : 'UP', responseTime: 3, lastChecked: new Date().toISOString(), error: down ? 'connect ECONNREFUSED 127.0.0.1:9' : null, voting: true }],
  };
}

/** Registers the suite. `name` says which implementation runs it. */
export function peerApiContract(name: string, factory: PeerApiFactory): void {
  describe(`PeerApi contract: ${name}`, () => {
    let h: PeerApiHarness;
    let api: PeerApi;
    let n = 0;
    /** a server of this test alone */
    const fresh = async (extra: { app?: string; env?: string } = {}): Promise<string> => {
      const host = `ct-${process.pid}-${++n}-${Math.random().toString(36).slice(2, 6)}`;
      ok(await api.addServer({ host, app: 'Mid', env: 'qa', ...extra }));
      return host;
    };

    beforeAll(async () => {
      h = await factory();
      api = h.api;
    });
    afterAll(async () => {
      await h?.close();
    });

    it('getState answers the view with the servers', async () => {
      const host = await fresh();
      const view = ok(await api.getState());
      expect(view.serversData.serversList.find((s) => s.host === host)).toMatchObject({ host, holder: null, available: true, action: 'Available' });
      expect(typeof view.self.nodeId).toBe('string');
      expect(typeof view.quorum).toBe('boolean');
    });

    it('reserve for a duration: the board sets the end from its own clock', async () => {
      const host = await fresh();
      const before = nowSec();
      const s = ok(await api.reserve({ host, user: 'alice', durationSec: 3600, comment: 'contract' }));
      expect(s).toMatchObject({ host, holder: 'alice', available: false, action: 'Reserved', comment: 'contract' });
      expect(s.until).toBeGreaterThanOrEqual(before + 3600 - 1);
      expect(s.until).toBeLessThanOrEqual(nowSec() + 3600 + 1);
    });

    it('reserve until an absolute time; one in the past is BAD_REQUEST', async () => {
      const host = await fresh();
      const until = nowSec() + 7200;
      expect(ok(await api.reserve({ host, user: 'alice', until })).until).toBe(until);
      const other = await fresh();
      refused(await api.reserve({ host: other, user: 'alice', until: nowSec() - 60 }), 'BAD_REQUEST');
    });

    it('a held server: CONFLICT naming the holder, for others and for the holder', async () => {
      const host = await fresh();
      ok(await api.reserve({ host, user: 'alice', durationSec: 600 }));
      const e = refused(await api.reserve({ host, user: 'bob', durationSec: 600 }), 'CONFLICT');
      expect(e.message).toContain('alice');
      expect(e.details?.holder).toBe('alice');
      expect(refused(await api.reserve({ host, user: 'alice', durationSec: 600 }), 'CONFLICT').message).toMatch(/extend/);
    });

    it('extend by a duration adds to the current end, not to now (issue 11)', async () => {
      const host = await fresh();
      const held = ok(await api.reserve({ host, user: 'alice', durationSec: 3600 }));
      // a 15-minute preset on a hold with an hour left: the end moves 15 minutes later
      const s = ok(await api.extend({ host, user: 'alice', durationSec: 900 }));
      expect(s.until).toBe(held.until! + 900);
      const again = ok(await api.extend({ host, user: 'alice', durationSec: 900 }));
      expect(again.until).toBe(held.until! + 1800);
    });

    it('extend to an absolute end must move it later', async () => {
      const host = await fresh();
      const held = ok(await api.reserve({ host, user: 'alice', durationSec: 3600 }));
      refused(await api.extend({ host, user: 'alice', until: held.until! - 60 }), 'BAD_REQUEST');
      expect(ok(await api.extend({ host, user: 'alice', until: held.until! + 60 })).until).toBe(held.until! + 60);
    });

    it('release and extend by someone who does not hold it: FORBIDDEN; of a free server: CONFLICT', async () => {
      const host = await fresh();
      refused(await api.release({ host, user: 'alice' }), 'CONFLICT');
      refused(await api.extend({ host, user: 'alice', durationSec: 60 }), 'CONFLICT');
      ok(await api.reserve({ host, user: 'alice', durationSec: 600 }));
      refused(await api.release({ host, user: 'bob' }), 'FORBIDDEN');
      refused(await api.extend({ host, user: 'bob', durationSec: 60 }), 'FORBIDDEN');
      const s = ok(await api.release({ host, user: 'alice' }));
      expect(s).toMatchObject({ host, holder: null, until: null, available: true });
    });

    it('queue behind a holder, leave it, and a release grants the next in line', async () => {
      const host = await fresh();
      ok(await api.reserve({ host, user: 'alice', durationSec: 600 }));
      const q = ok(await api.queue({ host, user: 'bob', durationSec: 1800, comment: 'after alice' }));
      expect(q.queue).toEqual([expect.objectContaining({ user: 'bob', durationSec: 1800, comment: 'after alice' })]);
      refused(await api.queue({ host, user: 'bob', durationSec: 1800 }), 'CONFLICT');
      ok(await api.queue({ host, user: 'carol', durationSec: 600 }));
      expect(ok(await api.leaveQueue({ host, user: 'carol' })).queue.map((e) => e.user)).toEqual(['bob']);
      refused(await api.leaveQueue({ host, user: 'carol' }), 'NOT_FOUND');
      const before = nowSec();
      const s = ok(await api.release({ host, user: 'alice' }));
      expect(s).toMatchObject({ holder: 'bob', queue: [] });
      expect(s.until).toBeGreaterThanOrEqual(before + 1800 - 1);
    });

    it('a server that does not exist: NOT_FOUND', async () => {
      refused(await api.reserve({ host: 'no-such-server-x', user: 'alice', durationSec: 60 }), 'NOT_FOUND');
      refused(await api.setMaintenance('no-such-server-x', true), 'NOT_FOUND');
    });

    it('maintenance refuses reservations until it ends', async () => {
      const host = await fresh();
      expect(ok(await api.setMaintenance(host, true))).toMatchObject({ maintenance: true, available: false, action: 'Maintenance' });
      refused(await api.reserve({ host, user: 'alice', durationSec: 60 }), 'CONFLICT');
      ok(await api.setMaintenance(host, false));
      ok(await api.reserve({ host, user: 'alice', durationSec: 60 }));
    });

    it('inventory: update, import, and remove (a held server must be released first)', async () => {
      const host = await fresh();
      expect(ok(await api.updateServer(host, { app: 'Gateway', comment: 'new disk' }))).toMatchObject({ host, app: 'Gateway', comment: 'new disk' });
      refused(await api.addServer({ host }), 'CONFLICT');
      const a = `${host}-a`;
      expect(ok(await api.importServers({ serversList: [{ host: a }, { host: `${host}-b`, env: 'dev' }] }))).toEqual({ count: 2 });
      ok(await api.reserve({ host: a, user: 'alice', durationSec: 60 }));
      refused(await api.removeServer(a), 'CONFLICT');
      ok(await api.release({ host: a, user: 'alice' }));
      expect(ok(await api.removeServer(a))).toEqual({ host: a });
      const view = ok(await api.getState());
      expect(view.serversData.serversList.some((s) => s.host === a)).toBe(false);
    });

    it.each([
      ['a hold over the board\'s 30 days', (host: string) => ({ host, user: 'alice', durationSec: 30 * DAY + 1 })],
      ['a zero duration', (host: string) => ({ host, user: 'alice', durationSec: 0 })],
      ['a fractional duration', (host: string) => ({ host, user: 'alice', durationSec: 1.5 })],
      ['both a duration and an end', (host: string) => ({ host, user: 'alice', durationSec: 60, until: nowSec() + 60 })],
      ['neither a duration nor an end', (host: string) => ({ host, user: 'alice' })],
      ['a comment over 1000 characters', (host: string) => ({ host, user: 'alice', durationSec: 60, comment: 'c'.repeat(1001) })],
      ['an empty user', (host: string) => ({ host, user: '   ', durationSec: 60 })],
      ['a user of 129 characters', (host: string) => ({ host, user: 'u'.repeat(129), durationSec: 60 })],
      ['a user with a bidi override', (host: string) => ({ host, user: 'ali\u202Ece', durationSec: 60 })],
      ['a user with a newline', (host: string) => ({ host, user: 'al\nice', durationSec: 60 })],
    ])('refuses %s with BAD_REQUEST and changes nothing', async (_what, make) => {
      const host = await fresh();
      refused(await api.reserve(make(host) as never), 'BAD_REQUEST');
      const row = ok(await api.getState()).serversData.serversList.find((s) => s.host === host);
      expect(row).toMatchObject({ holder: null });
    });

    it.each([
      ['a host with a space', 'web 01'],
      ['a host with a slash', 'a/b'],
      ['a host of 129 characters', 'h'.repeat(129)],
      ['an empty host', ''],
    ])('refuses %s in the inventory with BAD_REQUEST', async (_what, host) => {
      const r = await api.addServer({ host });
      // the HTTP path may refuse some before the route (404 for an empty path segment is not a contract answer)
      expect(r.ok).toBe(false);
      if (!r.ok) expect(['BAD_REQUEST', 'NOT_FOUND']).toContain(r.error.code);
      if (!r.ok && host !== '') expect(r.error.code).toBe('BAD_REQUEST');
    });

    it('a queue shorter than the board\'s minute is BAD_REQUEST', async () => {
      const host = await fresh();
      refused(await api.queue({ host, user: 'bob', durationSec: 59 }), 'BAD_REQUEST');
    });

    it('the history records each operation with its outcome', async () => {
      const host = await fresh();
      ok(await api.reserve({ host, user: 'alice', durationSec: 600 }));
      refused(await api.release({ host, user: 'bob' }), 'FORBIDDEN');
      const page = ok(await api.history({ host, limit: 10 }));
      const ops = page.items.map((r) => [r.operation, r.user, r.result]);
      expect(ops).toContainEqual(['reserve', 'alice', 'ok']);
      expect(ops).toContainEqual(['release', 'bob', 'error']);
      expect(page.items.every((r) => r.serverHost === host)).toBe(true);
    });

    // ---- monitoring (issue 12) ----------------------------------------------------------------

    it('monitoring: an added check is listed with its id and verdict UNKNOWN; update; remove, then NOT_FOUND', async () => {
      const input = checkInput();
      const added = ok(await api.addCheck(input));
      expect(added).toMatchObject({ name: input.name, type: 'tcp', target: '127.0.0.1:9', server: null, intervalSec: 60, enabled: false, verdict: 'UNKNOWN' });
      expect(Number.isInteger(added.id) && added.id >= 1).toBe(true);
      const listed = ok(await api.listChecks()).find((c) => c.id === added.id);
      expect(listed).toMatchObject({ id: added.id, name: input.name, verdict: 'UNKNOWN', locations: [] });

      const updated = ok(await api.updateCheck(added.id, { name: `${input.name}-b`, intervalSec: 120 }));
      expect(updated).toMatchObject({ id: added.id, name: `${input.name}-b`, intervalSec: 120, timeoutMs: 1000 });
      // the merged definition is checked too: a timeout over the (unchanged) interval is refused
      refused(await api.updateCheck(added.id, { timeoutMs: 121_000 }), 'BAD_REQUEST');
      refused(await api.updateCheck(added.id, { type: 'gopher' as never }), 'BAD_REQUEST');

      expect(ok(await api.removeCheck(added.id))).toEqual({ id: added.id });
      refused(await api.removeCheck(added.id), 'NOT_FOUND');
      refused(await api.updateCheck(added.id, { name: 'gone' }), 'NOT_FOUND');
      expect(ok(await api.listChecks()).some((c) => c.id === added.id)).toBe(false);
    });

    it.each([
      ['an unknown type', { type: 'smtp' }, 'type'],
      ['a bad URL', { type: 'http', target: 'not a url' }, 'target'],
      ['an interval of 4 s', { intervalSec: 4 }, 'intervalSec'],
      ['a missing name', { name: undefined }, 'name'],
      ['a timeout longer than the interval', { intervalSec: 5, timeoutMs: 6000 }, 'timeoutMs'],
    ])('monitoring: refuses %s with BAD_REQUEST naming the field', async (_what, extra, field) => {
      const input = { ...checkInput(), ...extra } as Record<string, unknown>;
      for (const k of Object.keys(input)) if (input[k] === undefined) delete input[k];
      const before = ok(await api.listChecks()).length;
      const e = refused(await api.addCheck(input as never), 'BAD_REQUEST');
      expect(e.details?.field, e.message).toBe(field);
      expect(e.message).toContain(field);
      expect(ok(await api.listChecks()).length).toBe(before);
    });

    it.each([
      ['a name of 100,000 characters', { name: 'n'.repeat(100_000) }, 'name'],
      ['a header value with CRLF', { type: 'http', target: 'http://127.0.0.1:9/', headers: { 'x-a': 'b\r\nx-injected: 1' } }, 'headers'],
      ['a header name with CRLF', { type: 'http', target: 'http://127.0.0.1:9/', headers: { 'x-a\r\nx-b': 'c' } }, 'headers'],
      ['10,000 expected statuses', { type: 'http', target: 'http://127.0.0.1:9/', expectStatus: Array.from({ length: 10_000 }, () => 200) }, 'expectStatus'],
    ])('monitoring: hostile input, %s: refused, and the implementation still answers', async (_what, extra, field) => {
      const e = refused(await api.addCheck(checkInput(extra as Partial<CheckInput>)), 'BAD_REQUEST');
      expect(String(e.details?.field ?? e.message)).toContain(field);
      ok(await api.listChecks());
    });

    it('monitoring: notification targets: add (secret hidden), list, remove; alerts list answers', async () => {
      const t = ok(await api.addNotification({ type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'contract-secret', name: 'ct hook' }));
      expect(t).toMatchObject({ type: 'webhook', url: 'http://127.0.0.1:9/hook', name: 'ct hook', hasSecret: true });
      expect(t).not.toHaveProperty('secret');
      const listed = ok(await api.listNotifications()).find((x) => x.id === t.id);
      expect(listed).toMatchObject({ id: t.id, hasSecret: true });
      expect(JSON.stringify(ok(await api.listNotifications()))).not.toContain('contract-secret');
      refused(await api.addNotification({ type: 'pager' as never, url: 'http://127.0.0.1:9/' }), 'BAD_REQUEST');
      refused(await api.addNotification({ type: 'webhook', url: 'ftp://127.0.0.1/' }), 'BAD_REQUEST');
      expect(ok(await api.removeNotification(t.id))).toEqual({ id: t.id });
      refused(await api.removeNotification(t.id), 'NOT_FOUND');
      // a fresh board has no verdict change: an empty list is a fine answer
      expect(Array.isArray(ok(await api.listAlerts()))).toBe(true);
      expect(ok(await api.listAlerts(5)).length).toBeLessThanOrEqual(5);
    });

    it('monitoring: a committed verdict change reaches subscribers as a verdict event and is listed in alerts', async (ctx) => {
      if (!h.commitVerdict) return ctx.skip();
      const check = ok(await api.addCheck(checkInput({ server: null })));
      const events: PeerEvent[] = [];
      const stop = api.subscribe((e) => events.push(e));
      try {
        // the stream may take a moment to open: commit changes until one arrives (bounded). A real
        // master's own monitoring may commit a change too (a disabled check goes back to UNKNOWN), so
        // each change is made against the verdict as it is now, and a lost race is no failure
        const deadline = Date.now() + 10_000;
        const mine = (e: PeerEvent): e is Extract<PeerEvent, { type: 'verdict' }> => e.type === 'verdict' && e.alert.change.checkId === check.id;
        for (let i = 0; i < 20 && Date.now() < deadline && !events.some(mine); i++) {
          const now = ok(await api.listChecks()).find((c) => c.id === check.id)?.verdict ?? 'UNKNOWN';
          await h.commitVerdict(check.id, now, now === 'DOWN' ? 'UP' : 'DOWN').catch(() => undefined);
          const until = Date.now() + 500;
          while (!events.some(mine) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
        }
        const got = events.find(mine);
        expect(got?.alert).toMatchObject({ muted: false, change: { checkId: check.id, name: check.name, server: null } });
        expect(got?.alert.change.previous).not.toBe(got?.alert.change.verdict);
        expect(Number.isInteger(got?.alert.id)).toBe(true);
        // the same committed change, by its id, in the alerts
        const listed = ok(await api.listAlerts(50)).find((a) => a.id === got?.alert.id);
        expect(listed?.change).toEqual(got?.alert.change);
      } finally {
        stop();
        ok(await api.removeCheck(check.id));
      }
    });

    it('monitoring: the series of a check that does not exist is NOT_FOUND', async () => {
      refused(await api.checkSeries(987_654, 24), 'NOT_FOUND');
    });

    it('loans: the view answers its shape; recall/return of an unknown loan is NOT_FOUND, a bad id BAD_REQUEST', async () => {
      const v = ok(await api.loans());
      expect(typeof v.clusterId).toBe('string');
      expect(typeof v.master).toBe('boolean');
      expect(typeof v.loanPort).toBe('number');
      for (const list of [v.active, v.recent, v.neighbours]) expect(Array.isArray(list)).toBe(true);
      expect(typeof v.counters).toBe('object');
      refused(await api.recallLoan('ct-master:nobody:1'), 'NOT_FOUND');
      refused(await api.returnLoan('ct-master:nobody:1'), 'NOT_FOUND');
      refused(await api.recallLoan('x'.repeat(201)), 'BAD_REQUEST');
      refused(await api.returnLoan('..'), 'BAD_REQUEST');
    });

    it('loans: recall takes a lent worker back, return gives a borrowed one back; the wrong direction is BAD_REQUEST', async (ctx) => {
      if (!h.startLoan) return ctx.skip();
      const out = loanStart('out', `o${++n}`);
      const inn = loanStart('in', `i${++n}`);
      await h.startLoan(out);
      await h.startLoan(inn);
      const v = ok(await api.loans());
      expect(v.active.find((l) => l.id === out.loan.id)).toMatchObject({ direction: 'out', workerName: out.loan.workerName, state: 'active', peer: { clusterId: 'ct-farm' } });
      expect(v.active.find((l) => l.id === inn.loan.id)).toMatchObject({ direction: 'in', state: 'active' });
      refused(await api.returnLoan(out.loan.id), 'BAD_REQUEST');
      refused(await api.recallLoan(inn.loan.id), 'BAD_REQUEST');
      expect(ok(await api.recallLoan(out.loan.id))).toEqual({ id: out.loan.id });
      expect(ok(await api.returnLoan(inn.loan.id))).toEqual({ id: inn.loan.id });
      const after = ok(await api.loans());
      expect(after.active.some((l) => l.id === out.loan.id || l.id === inn.loan.id)).toBe(false);
      expect(after.recent.find((l) => l.id === out.loan.id)).toMatchObject({ state: 'ended', endReason: 'recalled' });
      expect(after.recent.find((l) => l.id === inn.loan.id)).toMatchObject({ state: 'ended', endReason: 'returned' });
      refused(await api.recallLoan(out.loan.id), 'NOT_FOUND');
      const page = ok(await api.history({ limit: 20 }));
      expect(JSON.stringify(page.items)).toContain(`loan of ${out.loan.workerName} ended: recalled`);
    });

    it('subscribe delivers a change event naming the operation, and stops when unsubscribed', async () => {
      const host = await fresh();
      const events: PeerEvent[] = [];
      const stop = api.subscribe((e) => events.push(e));
      try {
        // the stream may take a moment to open: write until an event for this host arrives
        const deadline = Date.now() + 10_000;
        let i = 0;
        const mine = (e: PeerEvent): e is Extract<PeerEvent, { type: 'change' }> => e.type === 'change' && e.request?.serverHost === host && e.request.operation === 'server-update';
        const seen = (): boolean => events.some(mine);
        while (!seen() && Date.now() < deadline && i < 40) {
          ok(await api.updateServer(host, { comment: `tick ${i++}` }));
          const until = Date.now() + 250;
          while (!seen() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
        }
        const change = events.find(mine);
        expect(change?.request).toMatchObject({ operation: 'server-update', serverHost: host, result: 'ok' });
        expect(typeof change?.index).toBe('number');
      } finally {
        stop();
      }
      const count = events.length;
      ok(await api.updateServer(host, { comment: 'after unsubscribe' }));
      await new Promise((r) => setTimeout(r, 100));
      expect(events.length).toBe(count);
    });
  });
}

/** The server row out of a Result, for implementations' own extra tests. */
export function serverOf(r: Result<Server>): Server {
  return ok(r);
}
