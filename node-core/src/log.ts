// Structured logs (pino). Every subsystem logs through a child logger that names itself and,
// where relevant, the peer; node-core never writes to the console directly.
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LogOptions {
  level?: string;
  /** destination file descriptor or path; default stdout */
  destination?: number | string;
  /** bindings added to every line, e.g. { nodeId } */
  base?: Record<string, unknown>;
}

export function createLogger(opts: LogOptions = {}): Logger {
  return pino(
    { level: opts.level ?? 'info', base: opts.base ?? {}, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: opts.destination ?? 1, sync: false }),
  );
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
