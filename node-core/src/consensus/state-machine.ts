// What consensus needs from the replicated state machine (the board), kept as a small interface so
// the election and commit rules can be tested with any state machine.
import type { ApplyResult, BoardSnapshot, CommandMeta } from '../board/types.js';

export interface StateMachine {
  /** applies one committed board entry; deterministic, never throws */
  apply(entry: { index: number; at: number; cmd: unknown; meta: CommandMeta }): ApplyResult;
  /** `share`: the caller encodes the result synchronously and keeps no reference, so no deep copy is needed */
  snapshot(opts?: { share?: boolean }): BoardSnapshot;
  restore(snapshot: BoardSnapshot): void;
  /** back to an empty board (a young cluster dissolving, see Raft.dissolve) */
  reset(): void;
  /** the stored result of an already applied idempotency key */
  resultFor(reqId: string): ApplyResult | undefined;
}
