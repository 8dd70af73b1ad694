// Typed errors with stable codes. Every failure a user or a peer can cause is one of these,
// and each maps to an HTTP status and to seed 002's error shape {success,error,message,code,details}.

export const ErrorCode = {
  BadRequest: 'BAD_REQUEST',
  Unauthorized: 'UNAUTHORIZED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  Conflict: 'CONFLICT',
  NoQuorum: 'NO_QUORUM',
  NotLeader: 'NOT_LEADER',
  Timeout: 'TIMEOUT',
  Unavailable: 'SERVICE_UNAVAILABLE',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  Config: 'CONFIG_ERROR',
  Storage: 'STORAGE_ERROR',
  Internal: 'INTERNAL_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  NO_QUORUM: 503,
  NOT_LEADER: 403,
  TIMEOUT: 504,
  SERVICE_UNAVAILABLE: 503,
  PAYLOAD_TOO_LARGE: 413,
  CONFIG_ERROR: 400,
  STORAGE_ERROR: 500,
  INTERNAL_ERROR: 500,
};

const TITLE: Record<ErrorCode, string> = {
  BAD_REQUEST: 'Bad Request',
  UNAUTHORIZED: 'Unauthorized',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not Found',
  CONFLICT: 'Conflict',
  NO_QUORUM: 'No Quorum',
  NOT_LEADER: 'Not Leader',
  TIMEOUT: 'Timeout',
  SERVICE_UNAVAILABLE: 'Service Unavailable',
  PAYLOAD_TOO_LARGE: 'Payload Too Large',
  CONFIG_ERROR: 'Configuration Error',
  STORAGE_ERROR: 'Storage Error',
  INTERNAL_ERROR: 'Internal Server Error',
};

/** A plain-JSON error value: what crosses IPC, HTTP and the peer protocol. */
export interface ErrorValue {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class PeerboardError extends Error {
  override name = 'PeerboardError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return STATUS[this.code];
  }
  toValue(): ErrorValue {
    return { code: this.code, message: this.message, details: this.details };
  }
  /** Seed 002's error body. */
  toHttpBody(): { success: false; error: string; message: string; code: ErrorCode; details: Record<string, unknown> } {
    return { success: false, error: TITLE[this.code], message: this.message, code: this.code, details: this.details };
  }
  static fromValue(v: ErrorValue): PeerboardError {
    return new PeerboardError(v.code, v.message, v.details ?? {});
  }
}

export class BadRequestError extends PeerboardError {
  override name = 'BadRequestError';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.BadRequest, message, details);
  }
}
export class ConflictError extends PeerboardError {
  override name = 'ConflictError';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.Conflict, message, details);
  }
}
export class NotFoundError extends PeerboardError {
  override name = 'NotFoundError';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.NotFound, message, details);
  }
}
export class NoQuorumError extends PeerboardError {
  override name = 'NoQuorumError';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.NoQuorum, message, details);
  }
}
export class ConfigError extends PeerboardError {
  override name = 'ConfigError';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.Config, message, details);
  }
}
export class StorageError extends PeerboardError {
  override name = 'StorageError';
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(ErrorCode.Storage, message, details, options);
  }
}

/** true for an error of the disk (SQLite I/O, disk full), as opposed to a value that cannot be encoded */
export function isStorageFailure(err: unknown): boolean {
  if (err instanceof PeerboardError) return err.code === ErrorCode.Storage && (err.details as { reason?: unknown }).reason !== 'not_serialisable';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code];
}
export function httpTitleOf(code: ErrorCode): string {
  return TITLE[code];
}

/** Normalises anything thrown into a PeerboardError (unknown errors become INTERNAL_ERROR). */
export function toPeerboardError(err: unknown): PeerboardError {
  if (err instanceof PeerboardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PeerboardError(ErrorCode.Internal, message, {}, { cause: err });
}
