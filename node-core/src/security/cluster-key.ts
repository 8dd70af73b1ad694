// The cluster key: generated at founding (32 random bytes, base64url), kept in the data directory as
// `cluster.key` (mode 0600, written atomically), and resolved at start from config, invite or file.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeConfig } from '../config.js';
import { ConfigError, StorageError } from '../errors.js';
import { parseInvite } from './invite.js';

export const CLUSTER_KEY_FILE = 'cluster.key';
/** Random bytes in a generated key (256 bits; 43 base64url characters). */
export const CLUSTER_KEY_BYTES = 32;
/** Largest key file read: a key is at most 256 characters. */
export const MAX_KEY_FILE_BYTES = 1024;
/** What a key file may hold: like configSchema.clusterKey, 16 to 256 characters, no whitespace. */
const KEY_FILE_RE = /^\S{16,256}$/;

/**
 * How a node authenticates: 'keyed': a key is configured; 'open': explicitly no key; 'pending': no
 * key yet, one is created when this node founds a cluster (secure by default).
 */
export type KeyMode = 'keyed' | 'open' | 'pending';

/** A fresh random cluster key: 32 random bytes, base64url. */
export function generateClusterKey(): string {
  // base64url may start with '-', which a command line would read as an option (`peerboard join -…`,
  // `--cluster-key -…`): draw again (1 time in 64)
  for (;;) {
    const key = randomBytes(CLUSTER_KEY_BYTES).toString('base64url');
    if (!key.startsWith('-')) return key;
  }
}

export function clusterKeyPath(dataDir: string): string {
  return join(dataDir, CLUSTER_KEY_FILE);
}

/** The key kept in the data directory, or null when there is none. Throws StorageError naming the file when it is unreadable or malformed. */
export function loadClusterKey(dataDir: string): string | null {
  const file = clusterKeyPath(dataDir);
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new StorageError(`${file} is not a file; move it away (the cluster key file must be a regular file)`, { file });
    if (st.size > MAX_KEY_FILE_BYTES) throw new StorageError(`${file} is too large to be a cluster key (${st.size} bytes); move it away or restore the key`, { file });
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof StorageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new StorageError(`cannot read the cluster key file ${file}: ${code ?? (err as Error).message}`, { file }, { cause: err });
  }
  const key = text.trim();
  if (!KEY_FILE_RE.test(key)) {
    throw new StorageError(`the cluster key file ${file} is malformed (expected one key of 16 to 256 characters without spaces); restore it or delete it and join again with an invite`, { file });
  }
  return key;
}

/** Writes the key to `cluster.key` (mode 0600) through a temporary file and a rename, so a crash leaves the old file or the new one. */
export function saveClusterKey(dataDir: string, key: string): void {
  if (!KEY_FILE_RE.test(key)) throw new ConfigError('a cluster key must be 16 to 256 characters without spaces', { key: 'clusterKey' });
  const file = clusterKeyPath(dataDir);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${key}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    syncDir(dataDir);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // not created, or already renamed
    }
    const code = (err as NodeJS.ErrnoException).code;
    throw new StorageError(`cannot write the cluster key file ${file}: ${code ?? (err as Error).message}`, { file }, { cause: err });
  }
}

/** fsync of the directory so the rename survives a power cut (not possible on Windows: ignored). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export type ClusterKeySource = 'config' | 'invite' | 'file' | 'none';

export interface ResolvedClusterKey {
  key: string | null;
  source: ClusterKeySource;
  /** an explicitly open cluster (openCluster: true): no key, on purpose */
  open: boolean;
}

/**
 * The key a node starts with: the configured key or the invite's (parseConfig already moved an
 * invite's key into clusterKey), else the key file in the data directory, else none. An open
 * cluster ignores the file: it runs without a key on purpose.
 */
export function resolveClusterKey(config: Pick<NodeConfig, 'clusterKey' | 'invite' | 'openCluster'>, dataDir: string): ResolvedClusterKey {
  if (config.openCluster) return { key: null, source: 'none', open: true };
  if (config.invite !== undefined) {
    const inv = parseInvite(config.invite);
    if (config.clusterKey === undefined || config.clusterKey === inv.key) return { key: inv.key, source: 'invite', open: false };
  }
  if (config.clusterKey !== undefined) return { key: config.clusterKey, source: 'config', open: false };
  const fromFile = loadClusterKey(dataDir);
  if (fromFile !== null) return { key: fromFile, source: 'file', open: false };
  return { key: null, source: 'none', open: false };
}
