// settings.ts on a real settings file in a temp directory: defaults, validation naming the field,
// persistence, recovery from a broken file without losing it, keys and the login item.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./fake-electron.js')).electronModule());
vi.mock('electron-store', async () => (await import('./fake-electron.js')).electronStoreModule());

const { applyLoginItem, createSettingsStore, defaultSettings, generateKey } = await import('../../electron/settings.js');
const { PeerboardError } = await import('../../node-core/src/errors.js');

const tempDir = () => mkdtempSync(join(tmpdir(), 'pb-settings-'));

describe('settings', () => {
  it('starts from the documented defaults', () => {
    const s = createSettingsStore({ cwd: tempDir() }).get();
    expect(s).toEqual({
      user: userInfo().username,
      clusterId: 'peerboard',
      clusterKey: '',
      openCluster: false,
      staticPeers: [],
      apiPort: 8777,
      uiPort: 8778,
      discoveryPort: 8779,
      peerPort: 8780,
      dataDir: '',
      startAtLogin: false,
      startMinimized: false,
      onboarded: false,
      // monitoring checks on this computer: opt-in (issue 12)
      monitor: false,
    });
    expect(defaultSettings()).toEqual(s);
  });

  it('saves a patch to disk and reads it back in a new store', () => {
    const cwd = tempDir();
    const saved = createSettingsStore({ cwd }).save({ user: 'alice', clusterKey: 'k'.repeat(20), apiPort: 9777, onboarded: true });
    expect(saved).toMatchObject({ user: 'alice', apiPort: 9777, onboarded: true, clusterId: 'peerboard' });
    const again = createSettingsStore({ cwd });
    expect(again.get()).toEqual(saved);
    expect(JSON.parse(readFileSync(again.path, 'utf8'))).toMatchObject({ user: 'alice', apiPort: 9777 });
  });

  it.each([
    [{ apiPort: 70000 }, 'apiPort'],
    [{ apiPort: '8777' }, 'apiPort'],
    [{ uiPort: -2 }, 'uiPort'],
    [{ clusterId: 'has space' }, 'clusterId'],
    [{ clusterKey: 'short' }, 'clusterKey'],
    [{ user: '' }, 'user'],
    [{ startAtLogin: 'yes' }, 'startAtLogin'],
    [{ monitor: 'on' }, 'monitor'],
    [{ favouriteColour: 'red' }, 'favouriteColour'],
    [null, 'settings'],
  ])('refuses %j with BAD_REQUEST naming %s, and keeps the old values', (patch, field) => {
    const store = createSettingsStore({ cwd: tempDir() });
    const before = store.get();
    let err: unknown;
    try {
      store.save(patch);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PeerboardError);
    expect((err as InstanceType<typeof PeerboardError>).code).toBe('BAD_REQUEST');
    expect((err as Error).message).toContain(field);
    expect(store.get()).toEqual(before);
  });

  it('accepts an empty key (open cluster) after a key was set', () => {
    const store = createSettingsStore({ cwd: tempDir() });
    store.save({ clusterKey: 'x'.repeat(32) });
    expect(store.save({ clusterKey: '' }).clusterKey).toBe('');
  });

  it.each([
    ['not json {', 'invalid JSON'],
    [JSON.stringify({ apiPort: 'eighty' }), 'schema violation'],
  ])('moves a broken settings file aside (%s) and starts from defaults', (content) => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'settings.json'), content);
    const recovered: string[] = [];
    const store = createSettingsStore({ cwd, onRecovered: (backup) => recovered.push(backup) });
    expect(store.get()).toEqual(defaultSettings());
    expect(recovered).toHaveLength(1);
    expect(readFileSync(recovered[0]!, 'utf8')).toBe(content); // the user's file is kept, not lost
    expect(readdirSync(cwd).filter((f) => f.startsWith('settings.json.broken-'))).toHaveLength(1);
    store.save({ user: 'bob' });
    expect(existsSync(join(cwd, 'settings.json'))).toBe(true);
  });

  it('generates distinct 43-character base64url keys (32 random bytes) that the settings accept', () => {
    const keys = new Set(Array.from({ length: 50 }, () => generateKey()));
    expect(keys.size).toBe(50);
    for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createSettingsStore({ cwd: tempDir() }).save({ clusterKey: [...keys][0] }).clusterKey).toBe([...keys][0]);
  });

  it('applies startAtLogin through app.setLoginItemSettings', () => {
    const app = { setLoginItemSettings: vi.fn() };
    applyLoginItem(app, { ...defaultSettings(), startAtLogin: true, startMinimized: true });
    applyLoginItem(app, defaultSettings());
    expect(app.setLoginItemSettings.mock.calls).toEqual([[{ openAtLogin: true, openAsHidden: true }], [{ openAtLogin: false, openAsHidden: false }]]);
  });
});
