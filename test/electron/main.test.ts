// main.ts wired together against mocked electron and a fake node: window, security, IPC, tray,
// first-run start of the node through settings, events to the window, hide-on-close, graceful quit.
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { FakeBrowserWindow, FakeTray, app, fakeEvent, state } from './fake-electron.js';
import { FakeNode } from './fake-node.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).electronModule());
vi.mock('electron-store', async () => (await import('./fake-electron.js')).electronStoreModule());
const nodes = vi.hoisted(() => [] as unknown[]);
vi.mock('../../electron/node-core-loader.js', async () => {
  const { FakeNode } = await import('./fake-node.js');
  return {
    nodeFactory: {
      createNode: async () => {
        const n = new FakeNode();
        nodes.push(n);
        return n.asHandle();
      },
      startHttp: async () => ({ close: async () => undefined }),
    },
  };
});

const { INVOKE_CHANNELS } = await import('../../electron/ipc-contract.js');

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('main process', () => {
  it('starts the shell, runs the node after first-run settings, and stops it before quitting', async () => {
    await import('../../electron/main.js');
    await waitFor(() => FakeBrowserWindow.instances.length === 1 && FakeTray.instances.length === 1 && state.ipcMain.handlers.size > 0);
    const win = FakeBrowserWindow.instances[0]!;

    expect(app.requestSingleInstanceLock).toHaveBeenCalled();
    expect(app.listenerCount('web-contents-created')).toBe(1);
    expect(state.session.permissionRequest).not.toBeNull();
    expect(state.session.headersReceived).not.toBeNull();
    expect(win.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(String((win.options.webPreferences as { preload: string }).preload)).toMatch(/preload\.cjs$/);
    await waitFor(() => Boolean(win.loaded.file));
    expect(win.loaded.file).toMatch(/renderer[\\/]index\.html$/);
    expect([...state.ipcMain.handlers.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());

    // not onboarded yet: no node, and the renderer is told why
    expect(nodes).toHaveLength(0);
    // the fake frame shows the file the window loaded; calls come from it
    win.webContents.mainFrame.url = pathToFileURL(win.loaded.file!).href;
    const call = (channel: string, ...args: unknown[]) =>
      state.ipcMain.handlers.get(channel)!(fakeEvent({ sender: win.webContents, senderFrame: win.webContents.mainFrame }), ...args) as Promise<any>;
    expect((await call('board:get-state')).error.code).toBe('SERVICE_UNAVAILABLE');

    // the first-run screen saves the settings: the node starts
    const saved = await call('settings:save-settings', { user: 'alice', onboarded: true });
    expect(saved).toMatchObject({ ok: true, value: { user: 'alice', onboarded: true } });
    expect(nodes).toHaveLength(1);
    const node = nodes[0] as FakeNode;
    expect((await call('board:get-state')).ok).toBe(true);

    // node events reach the window and the tray
    node.role = 'master';
    node.events.emit('event', { type: 'role', role: 'master', ip: '127.0.0.1', nodeId: 'n1', term: 2 });
    expect(win.webContents.sent.at(-1)).toEqual({ channel: 'peer:event', payload: expect.objectContaining({ type: 'role', role: 'master' }) });
    expect(FakeTray.instances[0]!.tooltip).toMatch(/master/);

    // closing the window hides it (the tray keeps the node serving)
    const close = fakeEvent();
    win.emit('close', close);
    expect(close.defaultPrevented()).toBe(true);

    // quitting waits for the node's graceful leave, then quits
    const beforeQuit = fakeEvent();
    app.emit('before-quit', beforeQuit);
    expect(beforeQuit.defaultPrevented()).toBe(true);
    await waitFor(() => app.quit.mock.calls.length > 0);
    expect(node.stopped).toBe(1);
    expect(FakeTray.instances[0]!.destroyed).toBe(true);
    expect(state.ipcMain.handlers.size).toBe(0);
    // now a close really closes
    const close2 = fakeEvent();
    win.emit('close', close2);
    expect(close2.defaultPrevented()).toBe(false);
  });
});
