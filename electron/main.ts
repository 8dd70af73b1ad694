// The Electron main process: one instance, one locked-down window, the peer node in-process, tray
// and notifications (wired in desktop-core.ts); quitting waits (bounded) for the node's graceful leave.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, Menu, nativeImage, Notification, powerMonitor, session, shell, Tray } from 'electron';
import { createLogger, type Logger } from '../node-core/src/log.js';
import { claimSingleInstance, installQuitGuard, type QuitGuard } from './app-lifecycle.js';
import { PUSH_EVENT_CHANNEL } from './ipc-contract.js';
import { createDesktopCore } from './desktop-core.js';
import { nodeFactory } from './node-core-loader.js';
import { createAppUrlPolicy, hardenSession, installAppSecurity } from './security.js';
import { applyLoginItem, createSettingsStore, generateKey } from './settings.js';
import { TrayController } from './tray.js';
import { loadApp, mainWindowOptions, showWindow } from './window.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/renderer/index.html, built by Vite */
const RENDERER_INDEX = join(here, '..', 'renderer', 'index.html');
/** dist/electron/preload.cjs, built by electron/scripts/build-preload.mjs */
const PRELOAD = join(here, 'preload.cjs');

function openLogger(): Logger {
  const dir = app.getPath('logs');
  mkdirSync(dir, { recursive: true });
  return createLogger({ destination: join(dir, 'peerboard.log'), base: { host: 'desktop' } });
}

export async function runDesktop(): Promise<void> {
  const iconDir = join(app.getAppPath(), 'build', 'icons');
  const devServerUrl = app.isPackaged ? undefined : process.env.VITE_DEV_SERVER_URL;
  const policy = createAppUrlPolicy({ rendererIndexUrl: pathToFileURL(RENDERER_INDEX).href, devServerUrl });
  let win: BrowserWindow | null = null;
  let tray: TrayController | null = null;

  if (!claimSingleInstance(app, () => showWindow(win))) {
    app.quit();
    return;
  }
  installAppSecurity(app, policy, shell);
  await app.whenReady();
  const logger = openLogger();
  hardenSession(session.defaultSession, policy);

  const userDataDir = app.getPath('userData');
  const settings = createSettingsStore({
    cwd: userDataDir,
    onRecovered: (backup, reason) => logger.warn({ backup, reason }, 'settings file was invalid; kept a copy and started from defaults'),
  });
  // registering the login item from an unpackaged build would start the bare Electron binary at login
  if (app.isPackaged) applyLoginItem(app, settings.get());

  const core = createDesktopCore({
    factory: nodeFactory,
    logger,
    userDataDir,
    settings,
    ipcMain,
    getWindow: () => win,
    policy,
    send: (event) => {
      if (win && !win.isDestroyed()) win.webContents.send(PUSH_EVENT_CHANNEL, event);
    },
    Notification,
    tray: () => tray,
    generateKey,
    shell,
    onSettingsSaved: (saved) => {
      if (app.isPackaged) applyLoginItem(app, saved);
    },
    onNotificationClick: () => showWindow(win),
    iconPath: join(iconDir, '256x256.png'),
    // monitoring pauses while on battery (issue 12); powerMonitor is usable once the app is ready
    powerMonitor,
  });
  const { host, notifier } = core;

  const quit: QuitGuard = installQuitGuard(
    app,
    async () => {
      await core.stop();
      tray?.destroy();
      tray = null;
    },
    logger,
  );

  const createWindow = (show: boolean): BrowserWindow => {
    const w = new BrowserWindow(mainWindowOptions({ preloadPath: PRELOAD, iconPath: join(iconDir, '256x256.png') }));
    w.once('ready-to-show', () => {
      if (show) w.show();
    });
    // with a tray, closing the window hides it: the node keeps serving the team until Quit
    w.on('close', (event) => {
      if (tray && !quit.isQuitting()) {
        event.preventDefault();
        w.hide();
      }
    });
    w.on('closed', () => {
      if (win === w) win = null;
    });
    void loadApp(w, { rendererIndexPath: RENDERER_INDEX, devServerUrl: policy.devOrigin ? (devServerUrl ?? null) : null }).catch((err: unknown) =>
      logger.error({ err: String(err) }, 'could not load the renderer'),
    );
    return w;
  };

  try {
    tray = new TrayController({
      Tray,
      Menu,
      nativeImage,
      iconPath: join(iconDir, process.platform === 'darwin' ? '16x16.png' : '32x32.png'),
      user: () => settings.get().user,
      onShow: () => {
        win ??= createWindow(true);
        showWindow(win);
      },
      onQuit: () => app.quit(),
    });
  } catch (err) {
    logger.warn({ err: String(err) }, 'no tray on this desktop; closing the window quits');
  }

  app.on('window-all-closed', () => {
    if (!tray) app.quit();
  });
  app.on('activate', () => {
    win ??= createWindow(true);
    showWindow(win);
  });

  const initial = settings.get();
  win = createWindow(!initial.startMinimized || !tray);
  notifier.start();
  // before the first-run screen is done the node waits: it would join a cluster the user did not choose
  if (initial.onboarded) {
    await host.start(initial).catch((err: unknown) => logger.error({ err: String(err) }, 'the node did not start; the window shows why'));
  }
}

void runDesktop().catch((err: unknown) => {
  process.stderr.write(`Peerboard failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  app.exit(1);
});
