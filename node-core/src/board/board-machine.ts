// The board as consensus sees it: the StateMachine that applies committed entries to a Board,
// snapshots it and restores it (a restore replaces the Board, so readers ask for .board each time).
import type { StateMachine } from '../consensus/state-machine.js';
import { Board } from './state-machine.js';
import type { ApplyResult } from './types.js';

export class BoardMachine implements StateMachine {
  board: Board;
  /** counts restores (a snapshot replaced the whole board): watchers re-read what they follow */
  generation = 0;
  constructor(private readonly opts: { historyLimit: number }) {
    this.board = new Board(opts);
  }
  apply(e: Parameters<StateMachine['apply']>[0]): ApplyResult {
    return this.board.apply(e);
  }
  snapshot(opts?: { share?: boolean }) {
    return this.board.snapshot(opts);
  }
  restore(s: Parameters<StateMachine['restore']>[0]): void {
    this.board = Board.fromSnapshot(s, this.opts);
    this.generation++;
  }
  resultFor(reqId: string) {
    return this.board.resultFor(reqId);
  }
  reset(): void {
    this.board.reset();
    this.generation++;
  }
}
