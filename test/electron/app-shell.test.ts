// The window's locked-down options, the single-instance rule and the quit that waits (bounded) for
// the node's graceful leave.
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { claimSingleInstance, installQuitGuard } from '../../electron/app-lifecycle.js';
import { loadApp, mainWindowOptions } from '../../electron/window.js';
import { silentLogger } from '../../node-core/src/log.js';
import { fakeEvent } from './fake-electron.js';

/** polls until cond() holds or the deadline passes */
async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function fakeApp() {
  const app = Object.assign(new EventEmitter(), { quit: vi.fn(), requestSingleInstanceLock: vi.fn(() => true) });
  // like Electron: quit() emits before-quit; it only goes ahead when nobody prevented it
  app.quit.mockImplementation(() => {
    const ev = fakeEvent();
    app.emit('before-quit', ev);
    if (!ev.defaultPrevented()) app.emit('did-quit');
  });
  return app;
}

describe('main window', () => {
  it('is created with context isolation, sandbox, no Node and the preload', () => {
    const o = mainWindowOptions({ preloadPath: '/app/dist/electron/preload.cjs', iconPath: '/i.png' });
    expect(o.webPreferences).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(o.show).toBe(false);
  });

  it('loads the built file, or the dev server when one is vetted', async () => {
    const win = { loadURL: vi.fn(async () => undefined), loadFile: vi.fn(async () => undefined) };
    await loadApp(win as never, { rendererIndexPath: '/app/dist/renderer/index.html', devServerUrl: null });
    await loadApp(win as never, { rendererIndexPath: '/x', devServerUrl: 'http://localhost:5173' });
    expect(win.loadFile).toHaveBeenCalledWith('/app/dist/renderer/index.html');
    expect(win.loadURL).toHaveBeenCalledWith('http://localhost:5173');
  });
});

describe('app lifecycle', () => {
  it('a second instance quits; the first is told to show its window', () => {
    const app = fakeApp();
    const focus = vi.fn();
    expect(claimSingleInstance(app as never, focus)).toBe(true);
    app.emit('second-instance');
    expect(focus).toHaveBeenCalledTimes(1);
    app.requestSingleInstanceLock.mockReturnValue(false);
    expect(claimSingleInstance(app as never, focus)).toBe(false);
  });

  it('holds the quit until the node has stopped, then quits once', async () => {
    const app = fakeApp();
    let finish!: () => void;
    const shutdown = vi.fn(() => new Promise<void>((r) => (finish = r)));
    const guard = installQuitGuard(app as never, shutdown, silentLogger(), 5000);
    const quitted = vi.fn();
    app.on('did-quit', quitted);
    expect(guard.isQuitting()).toBe(false);
    app.quit();
    app.quit(); // a second request while stopping is absorbed
    expect(guard.isQuitting()).toBe(true);
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(quitted).not.toHaveBeenCalled();
    finish();
    await waitFor(() => quitted.mock.calls.length > 0);
    expect(quitted).toHaveBeenCalledTimes(1);
  });

  it('quits anyway when the node does not stop within the timeout, or fails to stop', async () => {
    const app = fakeApp();
    const quitted = vi.fn();
    app.on('did-quit', quitted);
    installQuitGuard(app as never, () => new Promise<void>(() => undefined), silentLogger(), 30);
    app.quit();
    await waitFor(() => quitted.mock.calls.length > 0);

    const app2 = fakeApp();
    const quitted2 = vi.fn();
    app2.on('did-quit', quitted2);
    installQuitGuard(app2 as never, async () => Promise.reject(new Error('boom')), silentLogger(), 5000);
    app2.quit();
    await waitFor(() => quitted2.mock.calls.length > 0);
  });
});
