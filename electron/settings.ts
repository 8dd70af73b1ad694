// The desktop settings (DesktopSettings), kept by electron-store with a JSON schema and defaults;
// a bad settings file is moved aside, never silently lost. Also: login item and cluster keys.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import Store from 'electron-store';
import { BadRequestError } from '../node-core/src/errors.js';
import { generateClusterKey } from '../node-core/src/security/cluster-key.js';
import type { DesktopSettings } from './ipc-contract.js';
import { defaultSettings, settingsJsonSchema, settingsPatchSchema } from './settings-schema.js';

export { defaultSettings, settingsJsonSchema, settingsPatchSchema };

const SETTINGS_FILE = 'settings';

/** The parts of Electron's `app` the settings need (login item). */
export interface LoginItemApp {
  setLoginItemSettings(settings: { openAtLogin: boolean; openAsHidden?: boolean }): void;
}

/** A fresh random cluster key ("create a team"): node-core's, 32 random bytes in base64url. */
export function generateKey(): string {
  return generateClusterKey();
}

/** Tells the OS whether to start Peerboard at login. */
export function applyLoginItem(app: LoginItemApp, settings: DesktopSettings): void {
  app.setLoginItemSettings({ openAtLogin: settings.startAtLogin, openAsHidden: settings.startMinimized });
}

export interface SettingsStore {
  /** the settings file */
  readonly path: string;
  get(): DesktopSettings;
  /** validates, saves and returns the whole new settings; throws BadRequestError naming the field */
  save(patch: unknown): DesktopSettings;
}

export interface SettingsOptions {
  /** directory of the settings file (the app passes app.getPath('userData')) */
  cwd: string;
  /** called when a broken settings file was moved aside (path of the copy) */
  onRecovered?: (backupPath: string, reason: string) => void;
}

function openStore(cwd: string): Store<DesktopSettings> {
  return new Store<DesktopSettings>({
    name: SETTINGS_FILE,
    cwd,
    schema: settingsJsonSchema,
    defaults: defaultSettings(),
    clearInvalidConfig: false,
  });
}

/** Opens the settings. A file that is not valid JSON or breaks the schema is renamed, then defaults apply. */
export function createSettingsStore(opts: SettingsOptions): SettingsStore {
  let store: Store<DesktopSettings>;
  try {
    store = openStore(opts.cwd);
  } catch (err) {
    const file = join(opts.cwd, `${SETTINGS_FILE}.json`);
    if (!existsSync(file)) throw err;
    const backup = `${file}.broken-${Date.now()}`;
    renameSync(file, backup);
    opts.onRecovered?.(backup, err instanceof Error ? err.message : String(err));
    store = openStore(opts.cwd);
  }
  return {
    path: store.path,
    get: () => ({ ...defaultSettings(), ...store.store }),
    save(patch: unknown): DesktopSettings {
      const r = settingsPatchSchema.safeParse(patch);
      if (!r.success) {
        const issue = r.error.issues[0];
        const field = issue?.path.join('.') || (issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'settings');
        throw new BadRequestError(`settings: ${field}: ${issue?.message ?? 'invalid'}`, { field });
      }
      const next: DesktopSettings = { ...defaultSettings(), ...store.store, ...r.data };
      if (next.openCluster && next.clusterKey !== '') {
        throw new BadRequestError('settings: openCluster: an open team has no key; clear clusterKey or turn openCluster off', { field: 'openCluster' });
      }
      store.set(next);
      return next;
    },
  };
}
