// Maintenance with a reason: the command's optional reason (at most 200 characters) is stored on
// the server row with who set it and since when, goes into the history row's comment, survives a
// snapshot, and is cleared when maintenance ends.
import { beforeEach, describe, expect, it } from 'vitest';
import { Board } from '../../../node-core/src/board/state-machine.js';
import { Driver, T0_SEC, expectError, expectOk } from './driver.js';

let d: Driver;
beforeEach(() => {
  d = new Driver();
  d.addServers('server-01');
});

describe('maintenance reason', () => {
  it('stores reason, who and since on the row, and the reason in the history', () => {
    d.advance(30);
    expectOk(d.run({ type: 'maintenance', host: 'server-01', on: true, reason: 'kernel upgrade' }, { user: 'carol' }));
    expect(d.board.server('server-01')).toMatchObject({
      maintenance: true,
      maintenanceReason: 'kernel upgrade',
      maintenanceBy: 'carol',
      maintenanceSince: T0_SEC + 30,
    });
    const row = d.board.history({ operation: 'maintenance' }).items[0]!;
    expect(row).toMatchObject({ user: 'carol', comment: 'kernel upgrade', result: 'ok' });
  });

  it('without a reason stores an empty one; a new reason later changes who but not since', () => {
    expectOk(d.run({ type: 'maintenance', host: 'server-01', on: true }, { user: 'carol' }));
    expect(d.board.server('server-01')).toMatchObject({ maintenanceReason: '', maintenanceBy: 'carol', maintenanceSince: T0_SEC });
    d.advance(60);
    expect(expectOk(d.run({ type: 'maintenance', host: 'server-01', on: true, reason: 'disk swap' }, { user: 'dave' }))).toMatchObject({ changed: true });
    expect(d.board.server('server-01')).toMatchObject({ maintenanceReason: 'disk swap', maintenanceBy: 'dave', maintenanceSince: T0_SEC });
  });

  it('clears reason, who and since when maintenance ends (also through server-update)', () => {
    expectOk(d.run({ type: 'maintenance', host: 'server-01', on: true, reason: 'x' }));
    expectOk(d.run({ type: 'maintenance', host: 'server-01', on: false }));
    const s = d.board.server('server-01')!;
    expect(s.maintenance).toBe(false);
    expect('maintenanceReason' in s || 'maintenanceBy' in s || 'maintenanceSince' in s).toBe(false);
    expectOk(d.run({ type: 'maintenance', host: 'server-01', on: true, reason: 'y' }));
    expectOk(d.run({ type: 'server-update', host: 'server-01', patch: { maintenance: false } }));
    expect(d.board.server('server-01')!.maintenanceReason).toBeUndefined();
  });

  it('refuses a reason over 200 characters or not text, and changes nothing', () => {
    expect(expectError(d.run({ type: 'maintenance', host: 'server-01', on: true, reason: 'r'.repeat(201) }), 'BAD_REQUEST').message).toMatch(/reason/);
    expectError(d.run({ type: 'maintenance', host: 'server-01', on: true, reason: 42 }), 'BAD_REQUEST');
    expect(d.board.server('server-01')!.maintenance).toBe(false);
    expectOk(d.run({ type: 'maintenance', host: 'server-01', on: true, reason: 'r'.repeat(200) }));
  });

  it('survives a snapshot and restore', () => {
    expectOk(d.run({ type: 'maintenance', host: 'server-01', on: true, reason: 'rack move' }, { user: 'erin' }));
    const copy = new Board();
    copy.restore(JSON.parse(JSON.stringify(d.board.snapshot())));
    expect(copy.server('server-01')).toMatchObject({ maintenanceReason: 'rack move', maintenanceBy: 'erin', maintenanceSince: T0_SEC });
  });
});
