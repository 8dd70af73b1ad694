// Test driver for the board: numbers entries, stamps them with a simulated master clock and keeps
// the entry list so it can be replayed on another board.
import { expect } from 'vitest';
import type { ErrorValue } from '../../../node-core/src/errors.js';
import { Board, type BoardEntry } from '../../../node-core/src/board/state-machine.js';
import type { ApplyResult, CommandMeta } from '../../../node-core/src/board/types.js';

/** 2026-11-22T12:00:00Z in ms: the simulated clock starts here. */
export const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
export const T0_SEC = T0 / 1000;
export const DAY = 24 * 3600;

export class Driver {
  readonly entries: BoardEntry[] = [];
  index = 0;
  at = T0;

  constructor(readonly board: Board = new Board()) {}

  get nowSec(): number {
    return Math.floor(this.at / 1000);
  }

  /** Moves the simulated master clock on. */
  advance(sec: number): void {
    this.at += sec * 1000;
  }

  /** Applies a command as the next log entry; meta.user defaults to cmd.user (or 'admin'). */
  run(cmd: unknown, meta: Partial<CommandMeta> = {}): ApplyResult {
    this.index += 1;
    const cmdUser = typeof cmd === 'object' && cmd !== null ? (cmd as { user?: unknown }).user : undefined;
    const entry: BoardEntry = {
      index: this.index,
      at: this.at,
      cmd,
      meta: {
        user: meta.user ?? (typeof cmdUser === 'string' ? cmdUser : 'admin'),
        nodeId: meta.nodeId ?? 'node-a',
        nodeIP: meta.nodeIP ?? '127.0.0.1',
        reqId: meta.reqId ?? `req-${this.index}`,
      },
    };
    this.entries.push(entry);
    return this.board.apply(entry);
  }

  /** Adds servers server-01..server-N (or the given hosts). */
  addServers(...hosts: string[]): void {
    for (const host of hosts) expectOk(this.run({ type: 'server-add', server: { host, app: 'Mid', ip: '127.0.0.10', env: 'preprod' } }));
  }
}

export function expectOk(r: ApplyResult): Record<string, unknown> {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return (r.value ?? {}) as Record<string, unknown>;
}

export function expectError(r: ApplyResult, code: string): ErrorValue {
  if (r.ok) throw new Error(`expected ${code}, got ok: ${JSON.stringify(r.value)}`);
  expect(r.error.code).toBe(code);
  return r.error;
}

/** Everything observable about a board's state, for "nothing changed" assertions. */
export function stateOf(board: Board): unknown {
  const s = board.snapshot();
  return { servers: s.servers, users: s.users, clusterNodes: s.clusterNodes, lastUpdate: s.lastUpdate };
}
