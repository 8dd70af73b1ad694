// kill -9 durability: a child process appends to a SqliteStore and prints every acknowledged index;
// after SIGKILL the reopened store must hold each acknowledged entry with its exact payload. While the
// child runs, a second process cannot open the same data directory.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../node-core/src/storage/sqlite-store.js';
import { entry } from './fixtures.js';
import { TmpDirs } from './tmp-dirs.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'append-child.ts');
const KILL_AFTER_ACKS = 200;
const CHILD_MAX_MS = 10_000;

interface Run {
  acked: number[];
  /** what opening the data directory from this process said while the child was writing */
  openWhileRunning: string;
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/** Runs the child until it has acknowledged KILL_AFTER_ACKS entries (or CHILD_MAX_MS passed), then SIGKILLs it. */
function runAndKill(dir: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, '10000000', String(CHILD_MAX_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: number[] = [];
    let partial = '';
    let stderr = '';
    let openWhileRunning = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_MAX_MS + 5_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? ''; // a line without its newline was not fully printed: not counted
      for (const l of lines) acked.push(Number(l));
      if (!openWhileRunning && acked.length > 0 && child.exitCode === null) {
        try {
          SqliteStore.open(dir).close();
          openWhileRunning = 'opened';
        } catch (err) {
          openWhileRunning = (err as Error).message;
        }
      }
      if (acked.length >= KILL_AFTER_ACKS && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ acked, openWhileRunning, signal, code, stderr });
    });
  });
}

describe('SqliteStore durability', () => {
  const dirs = new TmpDirs();
  afterEach(() => dirs.cleanup());

  it('keeps every acknowledged entry when the writer is killed with SIGKILL', async () => {
    const dir = dirs.make();
    for (let round = 1; round <= 2; round++) {
      const before = round === 1 ? 0 : (() => {
        const s = SqliteStore.open(dir);
        const last = s.lastIndex();
        s.close();
        return last;
      })();
      const run = await runAndKill(dir);
      expect(run.stderr).toBe('');
      expect(run.signal).toBe('SIGKILL');
      expect(run.acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
      expect(run.openWhileRunning).toMatch(/in use by another Peerboard process/);
      // acknowledgements are the consecutive indexes after what was already stored
      expect(run.acked).toEqual(run.acked.map((_, i) => before + 1 + i));

      const s = SqliteStore.open(dir);
      const last = run.acked[run.acked.length - 1] ?? 0;
      expect(s.lastIndex()).toBeGreaterThanOrEqual(last);
      const stored = s.entries(1, s.lastIndex());
      expect(stored.map((e) => e.index)).toEqual(stored.map((_, i) => i + 1)); // no holes
      for (const i of run.acked) {
        expect(stored[i - 1]).toEqual(entry(i, 1, `payload ${i} ${'x'.repeat(i % 50)}`));
      }
      s.close();
    }
  });
});
