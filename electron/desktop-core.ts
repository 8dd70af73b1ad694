// The main process's moving parts wired together, without windows or the app lifecycle: the node
// host, the IPC handlers, the notifier and the tray updates. main.ts runs it with Electron's objects;
// the desktop tests (test/desktop) run the same wiring with Chromium standing in for the window.
import type { IpcMain, Shell } from 'electron';
import type { PeerEvent } from '../node-core/src/api/peer-api.js';
import type { Logger } from '../node-core/src/log.js';
import { routeBoardUpdate } from './board-mirror.js';
import type { DesktopSettings } from './ipc-contract.js';
import { IpcMainManager, type WindowLike } from './ipc-main.js';
import { watchBattery, type BatteryWatch, type PowerMonitorLike } from './monitor-glue.js';
import { NodeHost, type NodeFactory } from './node-host.js';
import { Notifier, type NotificationClass } from './notifications.js';
import type { AppUrlPolicy } from './security.js';
import type { SettingsStore } from './settings.js';
import type { TrayController } from './tray.js';

export interface DesktopCoreDeps {
  factory: NodeFactory;
  logger: Logger;
  userDataDir: string;
  settings: SettingsStore;
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  getWindow(): WindowLike | null;
  policy: AppUrlPolicy;
  /** pushes one event to the window (webContents.send on PUSH_EVENT_CHANNEL) */
  send(event: PeerEvent): void;
  Notification: NotificationClass;
  /** the tray, once there is one (null: no tray on this desktop) */
  tray(): Pick<TrayController, 'update'> | null;
  generateKey(): string;
  shell: Pick<Shell, 'openExternal'>;
  /** after a settings save, before the node restarts (the app applies the login item here) */
  onSettingsSaved?(saved: DesktopSettings): void;
  /** clicking a notification */
  onNotificationClick?(): void;
  iconPath?: string;
  /** Electron's powerMonitor: monitoring pauses on battery (absent: never paused) */
  powerMonitor?: PowerMonitorLike;
}

export interface DesktopCore {
  host: NodeHost;
  notifier: Notifier;
  ipc: IpcMainManager;
  /** the battery watch, when a powerMonitor was given */
  battery: BatteryWatch | null;
  /** stops the notifier and the IPC handlers, then the node (graceful leave) */
  stop(): Promise<void>;
}

export function createDesktopCore(d: DesktopCoreDeps): DesktopCore {
  const notifier = new Notifier({
    Notification: d.Notification,
    user: () => d.settings.get().user,
    ...(d.onNotificationClick ? { onClick: d.onNotificationClick } : {}),
    ...(d.iconPath ? { iconPath: d.iconPath } : {}),
  });
  let battery: BatteryWatch | null = null;
  const host = new NodeHost({
    factory: d.factory,
    logger: d.logger,
    userDataDir: d.userDataDir,
    send: d.send,
    onEvent: (event) => {
      if (event.type === 'verdict') notifier.onVerdict(event.alert);
    },
    onStarted: (node) => battery?.apply(node),
    // the mirror is patched from each event's rows: no copy of the whole board per change
    onBoard: (mirror, update) => routeBoardUpdate(mirror, update, { notifier, tray: d.tray(), user: d.settings.get().user }),
  });
  const ipc = new IpcMainManager({
    ipcMain: d.ipcMain,
    getWindow: d.getWindow,
    policy: d.policy,
    node: () => host.require(),
    settings: d.settings,
    onSettingsSaved: async (saved) => {
      d.onSettingsSaved?.(saved);
      if (saved.onboarded) await host.applySettings(saved);
    },
    generateKey: d.generateKey,
    shell: d.shell,
    logger: d.logger,
  }).register();
  // deadlines pass without board changes: the periodic check reads the user's holds from the mirror
  notifier.recheckFrom(() => host.mirror.viewOf(host.mirror.heldBy(d.settings.get().user)));
  if (d.powerMonitor) battery = watchBattery(d.powerMonitor, () => host.current(), d.logger);
  return {
    host,
    notifier,
    ipc,
    battery,
    async stop() {
      battery?.dispose();
      notifier.stop();
      ipc.dispose();
      await host.stop();
    },
  };
}
