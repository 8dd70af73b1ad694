// Web mode: a headless node serves the board UI on its frontend port. Unless --ui-dir says
// otherwise, that is dist/renderer of this package (built by npm ci's prepare, or npm run build:renderer).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * dist/renderer of the peerboard package this file belongs to, built or not: a node started
 * before the UI is built says so on / and picks the UI up when it appears.
 */
export function defaultUiDir(from: string = fileURLToPath(import.meta.url)): string | undefined {
  let dir = dirname(from);
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'peerboard') return join(dir, 'dist', 'renderer');
      } catch {
        return undefined;
      }
    }
    dir = dirname(dir);
  }
  return undefined;
}
