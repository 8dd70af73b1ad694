// DesktopSettings kept in memory with the renderer-patch rules of settings-schema.ts (the file-backed
// store needs electron-store, which loads Electron; benchmarks and the contract factory use this one).
import { defaultSettings, settingsPatchSchema } from '../../electron/settings-schema.js';
import type { DesktopSettings } from '../../electron/ipc-contract.js';
import type { SettingsStore } from '../../electron/settings.js';

export function memorySettings(initial: Partial<DesktopSettings> = {}): SettingsStore {
  let current: DesktopSettings = { ...defaultSettings(), ...initial };
  return {
    path: ':memory:',
    get: () => ({ ...current }),
    save(patch: unknown) {
      current = { ...current, ...settingsPatchSchema.parse(patch) };
      return { ...current };
    },
  };
}
