// The desktop app without the Electron binary: the BUILT renderer (dist/renderer, from file:// as
// Electron loads it) in Debian's Chromium, the BUILT preload (dist/electron/preload.cjs) run in the
// page against a stand-in for 'electron' (contextBridge, ipcRenderer), and the REAL main-process
// wiring (desktop-core.ts: node host, ipc-main handlers, notifier, tray) in the test process with a
// real PeerNode. Only Electron's IPC transport is replaced: ipcRenderer.invoke → a Playwright binding
// → the registered ipcMain handler; webContents.send → page.evaluate.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IpcMainInvokeEvent } from 'electron';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { PeerEvent } from '../../node-core/src/api/peer-api.js';
import type { NodeConfigInput } from '../../node-core/src/config.js';
import { startHttp } from '../../node-core/src/http/index.js';
import { silentLogger } from '../../node-core/src/log.js';
import { createNode, type PeerNode } from '../../node-core/src/node.js';
import { createDesktopCore, type DesktopCore } from '../../electron/desktop-core.js';
import { PUSH_EVENT_CHANNEL, type DesktopSettings } from '../../electron/ipc-contract.js';
import type { NodeFactory } from '../../electron/node-host.js';
import { createAppUrlPolicy } from '../../electron/security.js';
import type { SettingsStore } from '../../electron/settings.js';
import { generateClusterKey } from '../../node-core/src/security/cluster-key.js';
import { TrayController } from '../../electron/tray.js';
import { FAST } from '../cluster/cluster-helpers.js';
import { ARTIFACTS, PRELOAD, RENDERER_INDEX } from './desktop-build.js';

export { ARTIFACTS, PRELOAD, RENDERER_INDEX, ensureDesktopBuilt, ensurePreloadBuilt, launchDesktopBrowser } from './desktop-build.js';

/** A Notification class that records what the main process shows (Electron's is mocked). */
export function notificationRecorder() {
  const shown: Array<{ title: string; body: string }> = [];
  class RecordedNotification {
    static isSupported(): boolean {
      return true;
    }
    constructor(readonly options: { title?: string; body?: string }) {}
    on(): this {
      return this;
    }
    show(): void {
      shown.push({ title: this.options.title ?? '', body: this.options.body ?? '' });
    }
  }
  return { shown, Notification: RecordedNotification };
}

/** The tray, as the main process drives it (Electron's Tray and Menu are recorded). */
export function trayRecorder(user: () => string) {
  const state = { tooltip: '', menu: [] as Array<{ label?: string }> };
  const tray = new TrayController({
    Tray: class {
      setToolTip(t: string) {
        state.tooltip = t;
      }
      setContextMenu(m: unknown) {
        state.menu = m as Array<{ label?: string }>;
      }
      on() {
        return this;
      }
      destroy() {}
    } as never,
    Menu: { buildFromTemplate: (t: unknown) => t as never },
    nativeImage: { createFromPath: () => ({}) as never },
    iconPath: 'icon.png',
    user,
    onShow: () => undefined,
    onQuit: () => undefined,
  });
  return { tray, state };
}

/**
 * The factory the app's NodeHost starts nodes with: node-core's own createNode/startHttp, with what
 * keeps a test on loopback (broadcast 127.255.255.255, advertise 127.0.0.1) and the tests' fast timings.
 */
export function loopbackFactory(nodeId: string, created: PeerNode[]): NodeFactory {
  return {
    async createNode(input: NodeConfigInput) {
      const node = await createNode(
        { ...input, ...FAST, nodeId, broadcastAddress: '127.255.255.255', peerBindAddress: '0.0.0.0', advertiseIP: '127.0.0.1', selfRegister: false, logLevel: 'silent' },
        { logger: silentLogger() },
      );
      created.push(node);
      return node;
    },
    startHttp: (node, opts) => startHttp(node, opts),
  };
}

/** The script that runs the built preload in the page, with a stand-in for the 'electron' module. */
function preloadInitScript(preloadCode: string): string {
  return `(() => {
  const listeners = new Map();
  const electron = {
    contextBridge: {
      // contextBridge copies the API into the page's world; here it is one frozen object, as the page sees it
      exposeInMainWorld(key, api) { Object.defineProperty(window, key, { value: Object.freeze(api), enumerable: true }); },
    },
    ipcRenderer: {
      invoke: (channel, ...args) => invoke(channel, args),
      on(channel, fn) { if (!listeners.has(channel)) listeners.set(channel, new Set()); listeners.get(channel).add(fn); },
      removeListener(channel, fn) { listeners.get(channel)?.delete(fn); },
    },
  };
  // what the renderer spends on each pushed event and each invoke answer, up to the end of the
  // microtasks they start (Vue renders in one): read by the change benchmark
  const cost = { pushMs: 0, pushes: 0, answerMs: 0, answers: 0 };
  Object.defineProperty(window, '__pbCost', { value: cost });
  Object.defineProperty(window, '__pbIpcPush', {
    value: async (channel, payload) => {
      const t = performance.now();
      for (const fn of listeners.get(channel) ?? []) fn({ senderId: 0 }, payload);
      for (let i = 0; i < 4; i++) await Promise.resolve();
      cost.pushMs += performance.now() - t;
      cost.pushes++;
    },
  });
  const invoke = async (channel, args) => {
    const r = await window.__pbIpcInvoke(channel, args);
    const t = performance.now();
    setTimeout(() => { cost.answerMs += performance.now() - t; cost.answers++; }, 0);
    return r;
  };
  const module = { exports: {} };
  const require = (name) => { if (name !== 'electron') throw new Error('a sandboxed preload may require only electron, not ' + name); return electron; };
  (function (require, module, exports) {
${preloadCode}
  })(require, module, module.exports);
})();`;
}

export interface DesktopApp {
  core: DesktopCore;
  page: Page;
  ctx: BrowserContext;
  settingsDir: string;
  /** nodes the app started (one per start/restart) */
  nodes: PeerNode[];
  notes: Array<{ title: string; body: string }>;
  tray: { tooltip: string; menu: Array<{ label?: string }> };
  /** every event pushed to the window, with its size in bytes as JSON (what IPC carries) */
  pushed: Array<{ event: PeerEvent; bytes: number }>;
  /** every invoke answered, with the size of its result as JSON */
  invoked: Array<{ channel: string; bytes: number }>;
  /**
   * Benchmarks only: true pushes change events as the app did before issue 11 (no rows: the
   * renderer refetches the board) and copies the whole board in the main process per event.
   */
  legacyEvents: boolean;
  /** ms spent in node.view() for legacy events (the main process's old per-event copy) */
  legacyViewMs: number[];
  errors: string[];
  /** the node the app runs now */
  node(): PeerNode;
  /** resolves once every event sent so far has reached the page */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the desktop app in a new Chromium context: the settings start from `initial` (a first run
 * unless it says onboarded), the window loads dist/renderer/index.html from file://.
 */
export async function openDesktop(
  browser: Browser,
  opts: { nodeId: string; settings: Partial<DesktopSettings>; scheme?: 'light' | 'dark'; store?: (dir: string) => SettingsStore },
): Promise<DesktopApp> {
  const settingsDir = mkdtempSync(join(tmpdir(), `pb-desktop-${opts.nodeId}-`));
  // the app's own file-backed store (electron-store, mocked in the test files) unless one is given
  const settings = opts.store ? opts.store(settingsDir) : (await import('../../electron/settings.js')).createSettingsStore({ cwd: settingsDir });
  settings.save({ dataDir: join(settingsDir, 'node-data'), apiPort: 0, uiPort: -1, peerPort: 0, ...opts.settings });
  const nodes: PeerNode[] = [];
  const { shown, Notification } = notificationRecorder();
  const trayRec = trayRecorder(() => settings.get().user);
  const pushed: DesktopApp['pushed'] = [];
  const invoked: DesktopApp['invoked'] = [];
  const legacyViewMs: number[] = [];
  let app: DesktopApp | null = null;
  const errors: string[] = [];

  const ctx = await browser.newContext({ colorScheme: opts.scheme ?? 'light', viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });

  // the window: its webContents id and main frame, as the sender check sees them
  const mainFrame = { url: pathToFileURL(RENDERER_INDEX).href, processId: 1, frameToken: 'main' };
  const win = { isDestroyed: () => page.isClosed(), webContents: { id: 1, mainFrame } };
  const handlers = new Map<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown>();
  const ipcMain = {
    handle: (channel: string, fn: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown) => void handlers.set(channel, fn),
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
  let chain: Promise<unknown> = Promise.resolve();
  const core = createDesktopCore({
    factory: loopbackFactory(opts.nodeId, nodes),
    logger: silentLogger(),
    userDataDir: settingsDir,
    settings,
    ipcMain: ipcMain as never,
    getWindow: () => win as never,
    policy: createAppUrlPolicy({ rendererIndexUrl: pathToFileURL(RENDERER_INDEX).href }),
    send: (original) => {
      let event = original;
      if (app?.legacyEvents && original.type === 'change') {
        event = { type: 'change', index: original.index, request: original.request };
        const t = performance.now();
        core.host.current()?.view();
        legacyViewMs.push(performance.now() - t);
      }
      const bytes = Buffer.byteLength(JSON.stringify(event));
      pushed.push({ event, bytes });
      if (page.isClosed()) return;
      // webContents.send: in order, never awaited by the sender
      chain = chain.then(() => page.evaluate(([c, p]) => (window as unknown as { __pbIpcPush(c: string, p: unknown): void }).__pbIpcPush(c, p), [PUSH_EVENT_CHANNEL, event] as const)).catch(() => undefined);
    },
    Notification: Notification as never,
    tray: () => trayRec.tray,
    generateKey: generateClusterKey,
    shell: { openExternal: async () => undefined },
  });

  // ipcRenderer.invoke → the handler registered for the channel, with the event of the frame that called
  await page.exposeBinding('__pbIpcInvoke', async (source, channel: string, args: unknown[]) => {
    const fn = handlers.get(channel);
    if (!fn) throw new Error(`No handler registered for '${channel}'`);
    const isMain = source.frame === page.mainFrame();
    const senderFrame = isMain ? { ...mainFrame, url: source.frame.url() } : { url: source.frame.url(), processId: 1, frameToken: 'child' };
    const event = { sender: { id: isMain ? 1 : 2 }, senderFrame } as unknown as IpcMainInvokeEvent;
    const result = await fn(event, ...args);
    invoked.push({ channel, bytes: Buffer.byteLength(JSON.stringify(result)) });
    return result;
  });
  await page.addInitScript({ content: preloadInitScript(readFileSync(PRELOAD, 'utf8')) });

  const initial = settings.get();
  if (initial.onboarded) await core.host.start(initial);
  await page.goto(pathToFileURL(RENDERER_INDEX).href);

  app = {
    core,
    page,
    ctx,
    settingsDir,
    nodes,
    notes: shown,
    tray: trayRec.state,
    pushed,
    invoked,
    legacyEvents: false,
    legacyViewMs,
    errors,
    async flush() {
      await chain;
    },
    node() {
      const n = core.host.current();
      if (!n) throw new Error('the app runs no node');
      return n as PeerNode;
    },
    async close() {
      await core.stop();
      await chain;
      await ctx.close().catch(() => undefined);
      rmSync(settingsDir, { recursive: true, force: true });
    },
  };
  return app;
}

/** Saves a PNG as test-artifacts/desktop-<name>.png (after two frames, so the picture is what a user sees). */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `desktop-${name}.png`);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path, fullPage: true });
  return path;
}

