// Temporary data directories for storage tests, each removed after its test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class TmpDirs {
  readonly #dirs: string[] = [];
  make(): string {
    const dir = mkdtempSync(join(tmpdir(), 'peerboard-storage-'));
    this.#dirs.push(dir);
    return dir;
  }
  cleanup(): void {
    for (const d of this.#dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}
