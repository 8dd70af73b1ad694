// The main window: its locked-down options (context isolation, sandbox, no Node, preload) and how
// it loads the renderer (the built file, or the Vite dev server in development).
import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';

export interface WindowPaths {
  /** dist/electron/preload.cjs */
  preloadPath: string;
  iconPath: string;
}

/** The options every Peerboard window is created with. */
export function mainWindowOptions(paths: WindowPaths): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    title: 'Peerboard',
    icon: paths.iconPath,
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: paths.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** Loads the dev server when one is configured (devOrigin already vetted by security.ts), else the built file. */
export async function loadApp(win: Pick<BrowserWindow, 'loadURL' | 'loadFile'>, target: { rendererIndexPath: string; devServerUrl: string | null }): Promise<void> {
  if (target.devServerUrl) await win.loadURL(target.devServerUrl);
  else await win.loadFile(target.rendererIndexPath);
}

/** Brings the window to the front (second launch, tray click, notification click). */
export function showWindow(win: Pick<BrowserWindow, 'isDestroyed' | 'isMinimized' | 'restore' | 'show' | 'focus'> | null): void {
  if (!win || win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
