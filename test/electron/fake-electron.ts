// Fakes of the Electron APIs the shell uses (the binary cannot run here). Test files mock the
// 'electron' module with `electronModule()` and inspect the same objects through this module.
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';

/** An Electron-style event with preventDefault. */
export function fakeEvent(extra: Record<string, unknown> = {}): { preventDefault: ReturnType<typeof vi.fn>; defaultPrevented: () => boolean } & Record<string, unknown> {
  let prevented = false;
  return {
    preventDefault: vi.fn(() => {
      prevented = true;
    }),
    defaultPrevented: () => prevented,
    ...extra,
  };
}

export interface FakeFrame {
  url: string;
  processId: number;
  frameToken: string;
  parent: null;
}

let nextId = 1;
export class FakeWebContents extends EventEmitter {
  readonly id = nextId++;
  readonly mainFrame: FakeFrame;
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  readonly sent: Array<{ channel: string; payload: unknown }> = [];
  constructor(url = 'file:///app/dist/renderer/index.html') {
    super();
    this.mainFrame = { url, processId: 10 + this.id, frameToken: `token-${this.id}`, parent: null };
  }
  setWindowOpenHandler(fn: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = fn;
  }
  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  destroyed = false;
  visible = false;
  loaded: { url?: string; file?: string } = {};
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.instances.push(this);
  }
  isDestroyed = (): boolean => this.destroyed;
  isMinimized = (): boolean => false;
  restore = (): void => undefined;
  show = (): void => {
    this.visible = true;
  };
  hide = (): void => {
    this.visible = false;
  };
  focus = (): void => undefined;
  loadURL = async (url: string): Promise<void> => {
    this.loaded = { url };
  };
  loadFile = async (file: string): Promise<void> => {
    this.loaded = { file };
  };
}

export class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  handle(channel: string, fn: (event: unknown, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, fn);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

export class FakeSession {
  permissionRequest: ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void) | null = null;
  permissionCheck: ((...args: unknown[]) => boolean) | null = null;
  headersReceived: ((details: { url: string; responseHeaders?: Record<string, string[]> }, cb: (r: unknown) => void) => void) | null = null;
  setPermissionRequestHandler(fn: FakeSession['permissionRequest']): void {
    this.permissionRequest = fn;
  }
  setPermissionCheckHandler(fn: FakeSession['permissionCheck']): void {
    this.permissionCheck = fn;
  }
  readonly webRequest = {
    onHeadersReceived: (fn: FakeSession['headersReceived']): void => {
      this.headersReceived = fn;
    },
  };
}

export class FakeTray extends EventEmitter {
  static instances: FakeTray[] = [];
  tooltip = '';
  menu: Array<{ label?: string; type?: string; enabled?: boolean; click?: () => void }> = [];
  destroyed = false;
  constructor(readonly image: unknown) {
    super();
    FakeTray.instances.push(this);
  }
  setToolTip(t: string): void {
    this.tooltip = t;
  }
  setContextMenu(m: FakeTray['menu']): void {
    this.menu = m;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export class FakeNotification extends EventEmitter {
  static shown: Array<{ title: string; body: string }> = [];
  static supported = true;
  static isSupported(): boolean {
    return FakeNotification.supported;
  }
  constructor(readonly options: { title: string; body: string }) {
    super();
  }
  show(): void {
    FakeNotification.shown.push({ title: this.options.title, body: this.options.body });
  }
}

/** userData etc. live in one temp directory per test process. */
export const paths = { root: mkdtempSync(join(tmpdir(), 'peerboard-electron-')) };

export const state = {
  ipcMain: new FakeIpcMain(),
  exposed: new Map<string, unknown>(),
  rendererListeners: new EventEmitter(),
  session: new FakeSession(),
};

export const ipcRenderer = {
  invoke: vi.fn(async (_channel: string, ..._args: unknown[]): Promise<unknown> => ({ ok: true, value: null })),
  on: vi.fn((channel: string, fn: (...a: unknown[]) => void) => {
    state.rendererListeners.on(channel, fn);
  }),
  removeListener: vi.fn((channel: string, fn: (...a: unknown[]) => void) => {
    state.rendererListeners.removeListener(channel, fn);
  }),
};

export const shell = { openExternal: vi.fn(async (_url: string) => undefined), openPath: vi.fn(async () => '') };

const appEvents = new EventEmitter();
export const app = Object.assign(appEvents, {
  isPackaged: false,
  getPath: (name: string): string => join(paths.root, name),
  getAppPath: (): string => paths.root,
  getVersion: (): string => '0.1.0',
  whenReady: vi.fn(async () => undefined),
  requestSingleInstanceLock: vi.fn(() => true),
  quit: vi.fn(),
  exit: vi.fn(),
  setLoginItemSettings: vi.fn(),
});

/** Electron's powerMonitor: on AC unless a test says otherwise (emit 'on-battery' / 'on-ac') */
export const powerMonitor = Object.assign(new EventEmitter(), { onBattery: false, isOnBatteryPower: (): boolean => powerMonitor.onBattery });

/** The module object vi.mock('electron') returns (named exports and a default, as electron-store imports it). */
export function electronModule(): Record<string, unknown> {
  const mod = {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain: state.ipcMain,
    ipcRenderer,
    contextBridge: { exposeInMainWorld: (name: string, api: unknown) => state.exposed.set(name, api) },
    shell,
    session: { defaultSession: state.session },
    Tray: FakeTray,
    Menu: { buildFromTemplate: (t: unknown[]) => t },
    Notification: FakeNotification,
    nativeImage: { createFromPath: (p: string) => ({ path: p }) },
    powerMonitor,
  };
  return { ...mod, default: mod };
}

/**
 * What vi.mock('electron-store') returns. electron-store is loaded by Node itself (outside vitest's
 * module graph), so its own `import electron` would reach the real package, which tries to download
 * the binary. This stand-in does what electron-store's constructor does (name → configName, cwd
 * default userData, projectVersion from app) on top of the real `conf`, so the real JSON-schema
 * validation and file handling are what the tests exercise.
 */
export async function electronStoreModule(): Promise<Record<string, unknown>> {
  const Conf = (await import('conf')).default;
  class ElectronStore extends Conf<Record<string, unknown>> {
    constructor(options: Record<string, unknown> & { name?: string; cwd?: string }) {
      const { name, ...rest } = options;
      super({ ...rest, configName: name ?? 'config', cwd: rest.cwd ?? app.getPath('userData'), projectVersion: app.getVersion() } as never);
    }
  }
  return { default: ElectronStore };
}
