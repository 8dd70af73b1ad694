// Opens a node's data directory for a given cluster: the SQLite store, refused when the directory
// already belongs to another cluster (so a mistyped --cluster-id never mixes two clusters' logs).
import { StorageError } from '../errors.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import type { Store } from './store.js';

export interface ExpectedIdentity {
  clusterId: string;
}

/** Throws StorageError when `store` holds the identity of another cluster; a store without identity passes. */
export function checkIdentity(store: Store, expect: ExpectedIdentity, where: string): void {
  const id = store.identity();
  if (id && id.clusterId !== expect.clusterId) {
    throw new StorageError(
      `data directory ${where} belongs to cluster "${id.clusterId}", not "${expect.clusterId}": ` +
        `use another --data-dir or the same cluster id`,
      { dataDir: where, stored: id.clusterId, expected: expect.clusterId, nodeId: id.nodeId },
    );
  }
}

/** Opens `<dataDir>/peerboard.db` and checks it belongs to `expect.clusterId`. The caller sets the identity on first start. */
export function openStore(dataDir: string, expect: ExpectedIdentity, opts: SqliteStoreOptions = {}): SqliteStore {
  const store = SqliteStore.open(dataDir, opts);
  try {
    checkIdentity(store, expect, dataDir);
  } catch (err) {
    store.close();
    throw err;
  }
  return store;
}
