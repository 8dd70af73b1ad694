// Start-up checks of what a data directory holds: the hard state, the identity and the snapshot's
// position. A bad value is refused when the store opens, naming the file and the value, instead of
// crashing the node a second later (issue 9: a negative term was accepted, then fatal).
import { MAX_TERM } from '../consensus/limits.js';
import { StorageError } from '../errors.js';

function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function isCount(v: unknown, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
}

function refused(file: string, what: string, problem: string, value: unknown): StorageError {
  return new StorageError(
    `${file}: the stored ${what} is invalid (${problem}); Peerboard will not start on it. ` +
      `Move the file away to start this node empty (it then copies the state from its cluster), or use another --data-dir`,
    { file, what, problem, value: shown(value) },
  );
}

function parsed(file: string, what: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw refused(file, what, `not JSON: ${shown(raw)}`, raw);
  }
}

/** Checks the raw `hardState` meta value (undefined: never written). */
export function checkStoredHardState(file: string, raw: string | undefined): void {
  if (raw === undefined) return;
  const v = parsed(file, 'hard state', raw);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw refused(file, 'hard state', `not an object: ${shown(v)}`, v);
  const { term, votedFor, commitIndex } = v as Record<string, unknown>;
  if (!isCount(term, MAX_TERM)) {
    throw refused(file, 'hard state', `term ${shown(term)} is not an integer from 0 to ${MAX_TERM}`, term);
  }
  if (votedFor !== null && (typeof votedFor !== 'string' || votedFor === '')) {
    throw refused(file, 'hard state', `votedFor ${shown(votedFor)} is neither null nor a node id`, votedFor);
  }
  if (commitIndex !== undefined && !isCount(commitIndex)) {
    throw refused(file, 'hard state', `commitIndex ${shown(commitIndex)} is not a non-negative integer`, commitIndex);
  }
}

/** Checks the raw `identity` meta value (undefined: never written). */
export function checkStoredIdentity(file: string, raw: string | undefined): void {
  if (raw === undefined) return;
  const v = parsed(file, 'identity', raw);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw refused(file, 'identity', `not an object: ${shown(v)}`, v);
  for (const k of ['nodeId', 'clusterId'] as const) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x !== 'string' || x === '') throw refused(file, 'identity', `${k} ${shown(x)} is not a non-empty string`, x);
  }
}

/** Checks the snapshot row's index and term (null: no snapshot). */
export function checkStoredSnapshotMeta(file: string, row: { idx: unknown; term: unknown } | null): void {
  if (!row) return;
  if (!isCount(row.idx)) throw refused(file, 'snapshot', `index ${shown(row.idx)} is not a non-negative integer`, row.idx);
  if (!isCount(row.term, MAX_TERM)) throw refused(file, 'snapshot', `term ${shown(row.term)} is not an integer from 0 to ${MAX_TERM}`, row.term);
}
