// The persisted settings of a headless node, kept with `conf` (projectName 'peerboard'). Managed
// by `peerboard config set|get|unset|path`; every value is validated against configSchema.
import Conf from 'conf';
import { ConfigError } from '../errors.js';
import { coerceSetting, settingByKey, SettingInputError, validateSetting, type SettingKey } from './settings-meta.js';

export interface SettingsStoreOptions {
  /** directory of the settings file; default: PEERBOARD_SETTINGS_DIR, else conf's per-user directory */
  dir?: string;
  env?: NodeJS.ProcessEnv;
}

export class SettingsStore {
  private readonly conf: Conf<Record<string, unknown>>;

  constructor(opts: SettingsStoreOptions = {}) {
    const dir = opts.dir ?? (opts.env ?? process.env).PEERBOARD_SETTINGS_DIR;
    try {
      // 0600: the file may hold the cluster key and tokens
      this.conf = new Conf<Record<string, unknown>>({ projectName: 'peerboard', configFileMode: 0o600, ...(dir ? { cwd: dir } : {}) });
    } catch (err) {
      const what = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new ConfigError(`cannot read the settings file${dir ? ` in ${dir}` : ''}: ${what}`, { dir: dir ?? null });
    }
  }

  get path(): string {
    return this.conf.path;
  }

  /** every stored setting (validated later, with the other layers, when a node starts) */
  all(): Record<string, unknown> {
    return { ...this.conf.store };
  }

  get(key: string): unknown {
    checkKey(key);
    return this.conf.get(key);
  }

  has(key: string): boolean {
    checkKey(key);
    return this.conf.has(key);
  }

  /** coerces a text value by the setting's type, validates it and stores it; returns what was stored */
  set(key: string, raw: string): unknown {
    const meta = checkKey(key);
    const value = validateSetting(meta.key, coerceSetting(meta, raw));
    this.conf.set(key, value);
    return value;
  }

  /** stores several already-validated values at once (peerboard join) */
  setMany(values: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(values)) {
      const meta = checkKey(key);
      this.conf.set(key, validateSetting(meta.key, value));
    }
  }

  unset(key: string): boolean {
    checkKey(key);
    const had = this.conf.has(key);
    this.conf.delete(key);
    return had;
  }
}

function checkKey(key: string): { key: SettingKey } & NonNullable<ReturnType<typeof settingByKey>> {
  const meta = settingByKey(key);
  if (!meta) throw new SettingInputError(`unknown setting "${key}" (see peerboard --headless --help)`);
  return meta;
}
