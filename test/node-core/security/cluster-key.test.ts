// The cluster key file (cluster.key: 0600, atomic write, clear errors) and where a node's key comes
// from (config, invite, file, none), with the configuration rules for openCluster, invite and old keys.
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../node-core/src/config.js';
import { ConfigError, StorageError } from '../../../node-core/src/errors.js';
import { CLUSTER_KEY_FILE, generateClusterKey, loadClusterKey, resolveClusterKey, saveClusterKey } from '../../../node-core/src/security/cluster-key.js';
import { formatInvite } from '../../../node-core/src/security/invite.js';
import { TmpDirs } from '../storage/tmp-dirs.js';

const dirs = new TmpDirs();
afterEach(() => dirs.cleanup());
const KEY = generateClusterKey();

describe('generateClusterKey', () => {
  it('is 32 random bytes in base64url (43 characters), different every time', () => {
    const keys = new Set(Array.from({ length: 50 }, () => generateClusterKey()));
    expect(keys.size).toBe(50);
    for (const k of keys) {
      expect(k).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(k, 'base64url')).toHaveLength(32);
    }
  });

  it('never starts with "-" (a command line would read it as an option; 1 key in 64 did)', () => {
    // 2,000 draws: with the old generator about 31 of them started with '-'
    for (let i = 0; i < 2000; i++) expect(generateClusterKey().startsWith('-')).toBe(false);
  });
});

describe('cluster.key', () => {
  it('is absent at first (null), then saved with mode 0600 and loaded back; no temporary file is left', () => {
    const dir = dirs.make();
    expect(loadClusterKey(dir)).toBeNull();
    saveClusterKey(dir, KEY);
    const file = join(dir, CLUSTER_KEY_FILE);
    expect(readFileSync(file, 'utf8')).toBe(`${KEY}\n`);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadClusterKey(dir)).toBe(KEY);
    expect(readdirSync(dir)).toEqual([CLUSTER_KEY_FILE]);
    // replaced atomically by a second save
    const next = generateClusterKey();
    saveClusterKey(dir, next);
    expect(loadClusterKey(dir)).toBe(next);
    expect(readdirSync(dir)).toEqual([CLUSTER_KEY_FILE]);
  });

  it('creates a missing data directory', () => {
    const dir = join(dirs.make(), 'a', 'b');
    saveClusterKey(dir, KEY);
    expect(loadClusterKey(dir)).toBe(KEY);
  });

  it.each([
    ['empty', ''],
    ['too short', 'short\n'],
    ['two words', 'one key\n'],
    ['too long', 'k'.repeat(300)],
  ])('a malformed file (%s) is a StorageError naming the file', (_what, content) => {
    const dir = dirs.make();
    writeFileSync(join(dir, CLUSTER_KEY_FILE), content);
    expect(() => loadClusterKey(dir)).toThrow(StorageError);
    expect(() => loadClusterKey(dir)).toThrow(join(dir, CLUSTER_KEY_FILE));
  });

  it('a huge file or a directory in its place is refused, naming it', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, CLUSTER_KEY_FILE), 'k'.repeat(10_000));
    expect(() => loadClusterKey(dir)).toThrow(/too large to be a cluster key/);
    const dir2 = dirs.make();
    mkdirSync(join(dir2, CLUSTER_KEY_FILE));
    expect(() => loadClusterKey(dir2)).toThrow(/is not a file/);
  });

  const noUnreadable = process.getuid?.() === 0 ? 'root reads any file' : process.platform === 'win32' ? 'Windows has no mode 000' : null;
  it.skipIf(noUnreadable !== null)(`an unreadable file is a StorageError, not "no key"${noUnreadable ? ` (skipped: ${noUnreadable})` : ''}`, () => {
    const dir = dirs.make();
    saveClusterKey(dir, KEY);
    chmodSync(join(dir, CLUSTER_KEY_FILE), 0o000);
    expect(() => loadClusterKey(dir)).toThrow(/cannot read the cluster key file .*EACCES/);
  });

  it('refuses to save a key that is not one', () => {
    expect(() => saveClusterKey(dirs.make(), 'two words here, long enough')).toThrow(ConfigError);
  });

  it('a failed write is a StorageError naming the file', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'blocker'), 'x');
    expect(() => saveClusterKey(join(dir, 'blocker'), KEY)).toThrow(StorageError);
  });
});

describe('resolveClusterKey', () => {
  it('takes the configured key first, then the invite, then the file, else none', () => {
    const dir = dirs.make();
    expect(resolveClusterKey(parseConfig({ dataDir: dir }), dir)).toEqual({ key: null, source: 'none', open: false });
    saveClusterKey(dir, KEY);
    expect(resolveClusterKey(parseConfig({ dataDir: dir }), dir)).toEqual({ key: KEY, source: 'file', open: false });
    const other = generateClusterKey();
    expect(resolveClusterKey(parseConfig({ dataDir: dir, clusterKey: other }), dir)).toEqual({ key: other, source: 'config', open: false });
    const invite = formatInvite({ clusterId: 'team', key: other });
    expect(resolveClusterKey(parseConfig({ dataDir: dir, invite }), dir)).toEqual({ key: other, source: 'invite', open: false });
  });

  it('an open cluster has no key even with a key file (it runs keyless on purpose)', () => {
    const dir = dirs.make();
    saveClusterKey(dir, KEY);
    expect(resolveClusterKey(parseConfig({ dataDir: dir, openCluster: true }), dir)).toEqual({ key: null, source: 'none', open: true });
  });

  it('a malformed key file stops the resolution with its error', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, CLUSTER_KEY_FILE), 'bad');
    expect(() => resolveClusterKey(parseConfig({ dataDir: dir }), dir)).toThrow(StorageError);
  });
});

describe('configuration: openCluster, invite, previousClusterKeys', () => {
  const invite = formatInvite({ clusterId: 'team-x', key: KEY, peers: ['10.0.0.7:8779'] });

  it('defaults: not open, no invite, no old keys', () => {
    expect(parseConfig({})).toMatchObject({ openCluster: false, previousClusterKeys: [] });
    expect(parseConfig({}).invite).toBeUndefined();
  });

  it('an invite sets clusterId and clusterKey and adds its peers to staticPeers; parsing twice changes nothing', () => {
    const c = parseConfig({ invite, staticPeers: ['10.0.0.1:8779'] });
    expect(c).toMatchObject({ clusterId: 'team-x', clusterKey: KEY, staticPeers: ['10.0.0.1:8779', '10.0.0.7:8779'] });
    expect(parseConfig(c)).toEqual(c);
  });

  it('the same clusterId or clusterKey as the invite is fine; a different one is an error naming both keys', () => {
    expect(parseConfig({ invite, clusterId: 'team-x', clusterKey: KEY }).clusterId).toBe('team-x');
    expect(() => parseConfig({ invite, clusterId: 'other' })).toThrow(/clusterId "other" conflicts with invite/);
    expect(() => parseConfig({ invite, clusterKey: generateClusterKey() })).toThrow(/clusterKey conflicts with invite/);
  });

  it('openCluster with clusterKey or invite is an error naming both', () => {
    expect(() => parseConfig({ openCluster: true, clusterKey: KEY })).toThrow(/openCluster and clusterKey exclude each other/);
    expect(() => parseConfig({ openCluster: true, invite })).toThrow(/openCluster and invite exclude each other/);
    expect(() => parseConfig({ openCluster: true, clusterKey: KEY })).toThrow(ConfigError);
  });

  it('a bad invite is a ConfigError naming the invite setting and the problem', () => {
    expect(() => parseConfig({ invite: 'pb1:team:short' })).toThrow(/invite: invalid invite: the key must be 16 to 256/);
    expect(() => parseConfig({ invite: 'x'.repeat(5000) })).toThrow(/invite/);
  });

  it('previousClusterKeys: at most 2, each 16+ characters', () => {
    expect(parseConfig({ previousClusterKeys: [KEY, generateClusterKey()] }).previousClusterKeys).toHaveLength(2);
    expect(() => parseConfig({ previousClusterKeys: [KEY, KEY, KEY] })).toThrow(/previousClusterKeys: at most 2 old keys/);
    expect(() => parseConfig({ previousClusterKeys: ['short'] })).toThrow(/previousClusterKeys.0: at least 16 characters/);
  });
});
