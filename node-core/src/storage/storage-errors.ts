// Typed storage failures: an operation SQLite refused (disk full, I/O error, closed store, other),
// and a value that cannot be stored because it is not serialisable as JSON (never a disk failure).
import { ErrorCode, PeerboardError, StorageError } from '../errors.js';

/** Why a storage operation failed, as details.reason. */
export const StorageFailure = {
  /** SQLITE_FULL, or SQLITE_IOERR* (ENOSPC in a WAL write or fsync shows as an I/O error) */
  DiskFull: 'disk_full',
  /** any other SQLite failure */
  Sqlite: 'sqlite',
  /** the store was closed */
  Closed: 'closed',
} as const;
export type StorageFailure = (typeof StorageFailure)[keyof typeof StorageFailure];

/**
 * A storage operation failed in SQLite. `diskFull` means the disk is full or failing: the write
 * was rolled back, and the same write may succeed once space returns.
 */
export class StorageOperationError extends StorageError {
  override name = 'StorageOperationError';
  readonly op: string;
  readonly reason: StorageFailure;
  readonly diskFull: boolean;
  readonly sqliteCode: string | undefined;
  constructor(op: string, file: string, reason: StorageFailure, sqliteCode: string | undefined, message: string, cause: unknown) {
    super(message, { op, file, reason, sqlite: sqliteCode, diskFull: reason === StorageFailure.DiskFull }, { cause });
    this.op = op;
    this.reason = reason;
    this.diskFull = reason === StorageFailure.DiskFull;
    this.sqliteCode = sqliteCode;
  }
}

/** A value (log entry, snapshot) JSON.stringify refused: a cycle, a BigInt, nesting too deep. */
export class NotSerialisableError extends PeerboardError {
  override name = 'NotSerialisableError';
  constructor(what: string, cause?: unknown) {
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    super(ErrorCode.BadRequest, `${what} is not serialisable as JSON${why}`, { reason: 'not_serialisable', what }, { cause });
  }
}

/** The failure kind of a SQLite error code. */
export function failureOf(sqliteCode: string | undefined): StorageFailure {
  if (sqliteCode === 'SQLITE_FULL' || sqliteCode?.startsWith('SQLITE_IOERR')) return StorageFailure.DiskFull;
  return StorageFailure.Sqlite;
}
