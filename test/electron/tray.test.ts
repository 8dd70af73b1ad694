// tray.ts: the tooltip and menu show the node's role and my reservations, with Show and Quit.
import { describe, expect, it, vi } from 'vitest';
import { buildTrayModel, TrayController } from '../../electron/tray.js';
import { FakeTray } from './fake-electron.js';
import { boardView, server } from './fake-node.js';

const until = (h: number, m: number) => new Date(2024, 0, 1, h, m).getTime() / 1000;

describe('tray', () => {
  it('models role and my reservations only', () => {
    const v = boardView([server('web-1', { holder: 'alice', until: until(14, 5) }), server('web-2', { holder: 'bob', until: until(9, 0) }), server('web-3', { holder: 'alice', until: null })], { role: 'master' });
    expect(buildTrayModel(v, 'alice')).toEqual({
      tooltip: 'Peerboard: master, 2 reservations',
      rows: [{ label: 'Role: master' }, { label: 'web-1 until 14:05' }, { label: 'web-3 (no end)' }],
    });
    expect(buildTrayModel(boardView([]), 'alice').rows).toEqual([{ label: 'Role: slave' }, { label: 'No reservations' }]);
    expect(buildTrayModel(null, 'alice').tooltip).toMatch(/not running/);
    expect(buildTrayModel({ ...boardView([]), stale: true }, 'alice').rows[0]!.label).toMatch(/no master/);
  });

  it('builds the menu with Show and Quit and updates it on new views', () => {
    const onShow = vi.fn();
    const onQuit = vi.fn();
    const c = new TrayController({ Tray: FakeTray as never, Menu: { buildFromTemplate: (t) => t as never }, nativeImage: { createFromPath: (p) => ({ p }) as never }, iconPath: '/icons/32x32.png', user: () => 'alice', onShow, onQuit });
    const tray = FakeTray.instances.at(-1)!;
    expect(tray.image).toEqual({ p: '/icons/32x32.png' });
    expect(tray.tooltip).toMatch(/not running/);
    c.update(boardView([server('web-1', { holder: 'alice', until: until(10, 30) })], { role: 'slave' }));
    expect(tray.tooltip).toBe('Peerboard: slave, 1 reservation');
    const labels = tray.menu.map((i) => i.label ?? i.type);
    expect(labels).toEqual(['Role: slave', 'web-1 until 10:30', 'separator', 'Show Peerboard', 'Quit']);
    expect(tray.menu[0]!.enabled).toBe(false);
    tray.menu.find((i) => i.label === 'Show Peerboard')!.click!();
    tray.menu.find((i) => i.label === 'Quit')!.click!();
    tray.emit('click');
    expect(onShow).toHaveBeenCalledTimes(2);
    expect(onQuit).toHaveBeenCalledTimes(1);
    c.destroy();
    expect(tray.destroyed).toBe(true);
  });
});
