// Monitoring's board entities (issue 12): checks and notification targets go through the log and the
// history; a bad definition is refused before any state changes; a verdict change is a compare-and-set
// (a repeat or a deposed master's late proposal never commits twice); maintenance mutes alerts; all of
// it survives a snapshot.
import { beforeEach, describe, expect, it } from 'vitest';
import { checkProposal } from '../../../node-core/src/board/commands.js';
import { Board } from '../../../node-core/src/board/state-machine.js';
import { uptimeOf } from '../../../node-core/src/monitoring/board-monitoring.js';
import type { Alert, CheckDef } from '../../../node-core/src/monitoring/types.js';
import { Driver, expectError, expectOk } from '../board/driver.js';

const META = { user: 'admin', nodeId: 'n1', nodeIP: '127.0.0.1', reqId: '' };
const web = { name: 'web', type: 'http', target: 'http://10.0.0.5/health', intervalSec: 30, timeoutMs: 2000, retries: 1, server: 'server-01' };

let d: Driver;
beforeEach(() => {
  d = new Driver();
  d.addServers('server-01');
});

function addCheck(extra: Record<string, unknown> = {}): CheckDef {
  return (expectOk(d.run({ type: 'check-add', check: { ...web, ...extra } }, { user: 'carol' })) as { check: CheckDef }).check;
}
const loc = (nodeId: string, status: 'UP' | 'DOWN') => ({ nodeId, location: nodeId, status, responseTime: 5, lastChecked: new Date(0).toISOString(), error: status === 'DOWN' ? 'HTTP 503' : null });

describe('checks on the board', () => {
  it('adds a check with a fresh id, UNKNOWN verdict and a history row naming the admin', () => {
    const a = addCheck();
    const b = addCheck({ name: 'second' });
    expect(a).toMatchObject({ id: 1, name: 'web', enabled: true, createdBy: 'carol', server: 'server-01' });
    expect(b.id).toBe(2);
    expect(d.board.monitoring().verdicts.get(1)?.verdict).toBe('UNKNOWN');
    expect(d.board.history({ operation: 'check-add' }).items[0]).toMatchObject({ user: 'carol', serverHost: 'server-01', comment: 'second', result: 'ok' });
    // ids are never reused
    expectOk(d.run({ type: 'check-remove', id: 2 }));
    expect(addCheck({ name: 'third' }).id).toBe(3);
  });

  it.each([
    [{ type: 'smtp' }, 'type'],
    [{ target: 'not a url' }, 'target'],
    [{ target: 'file:///etc/passwd' }, 'target'],
    [{ target: 'http://user:pw@example.com/' }, 'target'],
    [{ intervalSec: 4 }, 'intervalSec'],
    [{ intervalSec: 1.5 }, 'intervalSec'],
    [{ timeoutMs: 40_000 }, 'timeoutMs'],
    [{ retries: 6 }, 'retries'],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ keyword: 'ok', type: 'tcp', target: 'db:5432' }, 'keyword'],
    [{ headers: { 'X-A': 'a\r\nInjected: 1' } }, 'headers'],
    [{ expectStatus: Array.from({ length: 10_000 }, () => 200) }, 'expectStatus'],
    [{ extra: 1 }, 'check'],
  ].map(([bad, field]) => [field, bad] as const))('refuses a bad definition before the log, naming %s', (field, bad) => {
    const cmd = { type: 'check-add', check: { ...web, ...(bad as Record<string, unknown>) } };
    const gate = checkProposal(cmd, META);
    expect(gate.ok).toBe(false);
    if (!gate.ok) expect(gate.message).toContain(field);
    const err = expectError(d.run(cmd), 'BAD_REQUEST');
    expect(err.message).toContain(field);
    expect(d.board.monitoring().checks.size).toBe(0);
  });

  it('takes each type with its own target form', () => {
    expect(addCheck({ type: 'tcp', target: 'db.lab:5432', server: null }).type).toBe('tcp');
    expect(addCheck({ type: 'tcp', target: '[fd00::1]:22', server: null }).target).toBe('[fd00::1]:22');
    expect(addCheck({ type: 'ping', target: '10.0.0.7', server: null }).type).toBe('ping');
    expect(addCheck({ type: 'dns', target: 'example.com', dnsRecordType: 'MX', server: null }).dnsRecordType).toBe('MX');
    expectError(d.run({ type: 'check-add', check: { ...web, type: 'tcp', target: 'db.lab' } }), 'BAD_REQUEST');
    expectError(d.run({ type: 'check-add', check: { ...web, type: 'ping', target: 'a b' } }), 'BAD_REQUEST');
  });

  it('refuses private targets once an admin forbids them, in any spelling', () => {
    expectOk(d.run({ type: 'monitor-settings', allowPrivateTargets: false }));
    for (const target of ['http://10.0.0.5/', 'http://127.1/', 'http://0x7f.0.0.1/', 'http://[::1]/', 'http://localhost:8080/', 'http://a.localhost/']) {
      expectError(d.run({ type: 'check-add', check: { ...web, target } }), 'FORBIDDEN');
    }
    expectError(d.run({ type: 'check-add', check: { ...web, type: 'tcp', target: '192.168.1.4:22' } }), 'FORBIDDEN');
    expectError(d.run({ type: 'check-add', check: { ...web, type: 'ping', target: '2130706433' } }), 'FORBIDDEN');
    expect(addCheck({ target: 'https://example.com/health' }).id).toBe(1);
    // an update cannot move a check onto a private target either
    expectError(d.run({ type: 'check-update', id: 1, patch: { target: 'http://172.16.0.1/' } }), 'FORBIDDEN');
  });

  it('updates some fields, checks the merged definition, and drops the old type\'s own fields on a type change', () => {
    addCheck({ keyword: 'ok' });
    const up = expectOk(d.run({ type: 'check-update', id: 1, patch: { intervalSec: 60, enabled: false } })) as { check: CheckDef };
    expect(up.check).toMatchObject({ intervalSec: 60, enabled: false, keyword: 'ok', name: 'web' });
    // timeout over the interval, checked against the merged definition
    expectError(d.run({ type: 'check-update', id: 1, patch: { timeoutMs: 60_000, intervalSec: 5 } }), 'BAD_REQUEST');
    const tcp = expectOk(d.run({ type: 'check-update', id: 1, patch: { type: 'tcp', target: 'db:5432' } })) as { check: CheckDef };
    expect(tcp.check.keyword).toBeUndefined();
    expectError(d.run({ type: 'check-update', id: 99, patch: { name: 'x' } }), 'NOT_FOUND');
    expectError(d.run({ type: 'check-update', id: 1, patch: {} }), 'BAD_REQUEST');
  });
});

describe('verdict changes', () => {
  it('commits a change only on top of the verdict it was computed against', () => {
    addCheck();
    const first = expectOk(d.run({ type: 'verdict', checkId: 1, verdict: 'UP', previous: 'UNKNOWN', locations: [loc('a', 'UP')] })) as { alert: Alert };
    expect(first.alert.change).toMatchObject({ checkId: 1, verdict: 'UP', previous: 'UNKNOWN', name: 'web', server: 'server-01' });
    // the same change again (a new master repeating it): refused, nothing recorded twice
    expectError(d.run({ type: 'verdict', checkId: 1, verdict: 'UP', previous: 'UNKNOWN', locations: [] }), 'CONFLICT');
    expectError(d.run({ type: 'verdict', checkId: 1, verdict: 'UP', previous: 'UP', locations: [] }), 'BAD_REQUEST');
    expectOk(d.run({ type: 'verdict', checkId: 1, verdict: 'DOWN', previous: 'UP', locations: [loc('a', 'DOWN'), loc('b', 'DOWN')] }));
    const m = d.board.monitoring();
    expect(m.verdicts.get(1)?.verdict).toBe('DOWN');
    expect(m.alerts.map((a) => `${a.change.previous}>${a.change.verdict}`)).toEqual(['UNKNOWN>UP', 'UP>DOWN']);
    expect(d.board.history({ operation: 'verdict' }).items.map((r) => r.comment)).toEqual(['web: UP → DOWN', 'web: UNKNOWN → UP']);
  });

  it('creates a pending delivery per target for a notifiable change, none for UNKNOWN→UP, none while the server is in maintenance', () => {
    addCheck();
    expectOk(d.run({ type: 'notify-add', target: { type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'long-secret' } }));
    expectOk(d.run({ type: 'notify-add', target: { type: 'slack', url: 'https://hooks.example.com/x' } }));
    const up = expectOk(d.run({ type: 'verdict', checkId: 1, verdict: 'UP', previous: 'UNKNOWN', locations: [] })) as { alert: Alert };
    expect(up.alert.deliveries).toEqual([]);
    const down = expectOk(d.run({ type: 'verdict', checkId: 1, verdict: 'DOWN', previous: 'UP', locations: [] })) as { alert: Alert };
    expect(down.alert.deliveries.map((x) => [x.targetId, x.state])).toEqual([
      [1, 'pending'],
      [2, 'pending'],
    ]);
    expectOk(d.run({ type: 'maintenance', host: 'server-01', on: true }));
    const muted = expectOk(d.run({ type: 'verdict', checkId: 1, verdict: 'UP', previous: 'DOWN', locations: [] })) as { alert: Alert };
    expect(muted.alert).toMatchObject({ muted: true, deliveries: [] });
  });

  it('compares with the last known verdict: going UNKNOWN is not news, the recovery after it is', () => {
    addCheck();
    expectOk(d.run({ type: 'notify-add', target: { type: 'webhook', url: 'http://127.0.0.1:9/hook' } }));
    const step = (previous: string, verdict: string) => (expectOk(d.run({ type: 'verdict', checkId: 1, verdict, previous, locations: [] })) as { alert: Alert }).alert;
    expect(step('UNKNOWN', 'DOWN').notify).toBe(true);
    expect(step('DOWN', 'UNKNOWN')).toMatchObject({ notify: false, deliveries: [] }); // disabled, or every location quiet
    expect(step('UNKNOWN', 'DOWN')).toMatchObject({ notify: false, deliveries: [] }); // still down: nothing new
    step('DOWN', 'UNKNOWN');
    const back = step('UNKNOWN', 'UP');
    expect(back.notify).toBe(true); // the recovery is news, though the verdict in between was UNKNOWN
    expect(back.deliveries).toHaveLength(1);
  });

  it('records delivery attempts: a failure stays pending until final, a success ends it, a repeat is refused', () => {
    addCheck();
    expectOk(d.run({ type: 'notify-add', target: { type: 'webhook', url: 'http://127.0.0.1:9/hook' } }));
    expectOk(d.run({ type: 'verdict', checkId: 1, verdict: 'DOWN', previous: 'UNKNOWN', locations: [] }));
    const alertId = d.board.monitoring().alerts[0]!.id;
    const r1 = expectOk(d.run({ type: 'alert-delivery', alertId, targetId: 1, ok: false, final: false, error: 'HTTP 503' })) as { alert: Alert };
    expect(r1.alert.deliveries[0]).toMatchObject({ state: 'pending', attempts: 1, lastError: 'HTTP 503' });
    expectOk(d.run({ type: 'alert-delivery', alertId, targetId: 1, ok: true, final: true }));
    expect(d.board.monitoring().alerts[0]!.deliveries[0]).toMatchObject({ state: 'delivered', attempts: 2, lastError: null });
    expectError(d.run({ type: 'alert-delivery', alertId, targetId: 1, ok: true, final: true }), 'CONFLICT');
    expectError(d.run({ type: 'alert-delivery', alertId: 999, targetId: 1, ok: true, final: true }), 'NOT_FOUND');
  });

  it('keeps monitoring through a snapshot, and refuses an inconsistent one', () => {
    addCheck();
    expectOk(d.run({ type: 'notify-add', target: { type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'long-secret' } }));
    expectOk(d.run({ type: 'verdict', checkId: 1, verdict: 'DOWN', previous: 'UNKNOWN', locations: [loc('a', 'DOWN')] }));
    const snap = JSON.parse(JSON.stringify(d.board.snapshot()));
    const copy = Board.fromSnapshot(snap);
    expect(copy.monitoring().verdicts.get(1)?.verdict).toBe('DOWN');
    expect(copy.monitoring().alerts[0]?.deliveries[0]?.state).toBe('pending');
    expect(copy.monitoring().targets.get(1)?.secret).toBe('long-secret');
    expect(copy.monitoring().nextCheckId).toBe(2);
    const bad = structuredClone(snap);
    bad.monitoring.nextCheckId = 1;
    expect(() => Board.fromSnapshot(bad)).toThrow(/nextCheckId/);
    const badType = structuredClone(snap);
    badType.monitoring.checks[0].type = 'smtp';
    expect(() => Board.fromSnapshot(badType)).toThrow(/invalid board snapshot/);
    // a snapshot from before monitoring restores to an empty monitoring part
    const old = structuredClone(snap);
    delete old.monitoring;
    expect(Board.fromSnapshot(old).monitoring().checks.size).toBe(0);
  });

  it('keeps at most 500 alerts', () => {
    addCheck();
    let prev = 'UNKNOWN';
    for (let i = 0; i < 520; i++) {
      const next = i % 2 === 0 ? 'DOWN' : 'UP';
      expectOk(d.run({ type: 'verdict', checkId: 1, verdict: next, previous: prev, locations: [] }));
      prev = next;
    }
    expect(d.board.monitoring().alerts).toHaveLength(500);
  });
});

describe('uptime from the committed timeline', () => {
  it('counts the time the verdict was UP, of the time it was known', () => {
    expect(uptimeOf([], 0, 100)).toBeNull();
    expect(uptimeOf([[0, 'UP']], 0, 100)).toBe(1);
    expect(uptimeOf([[10, 'UP'], [60, 'DOWN']], 0, 110)).toBe(0.5);
    expect(uptimeOf([[10, 'UP'], [60, 'PARTIAL'], [85, 'UP']], 0, 110)).toBeCloseTo(75 / 100);
    expect(uptimeOf([[-50, 'DOWN'], [50, 'UP']], 0, 100)).toBe(0.5);
  });
});
