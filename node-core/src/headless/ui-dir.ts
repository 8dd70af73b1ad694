// Web mode: a headless node serves the built board UI on its frontend port. Unless --ui-dir says
// otherwise, that is dist/renderer of this package when it has been built (npm run build:renderer).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/renderer of the peerboard package this file belongs to, if it holds a built UI. */
export function defaultUiDir(from: string = fileURLToPath(import.meta.url)): string | undefined {
  let dir = dirname(from);
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'peerboard') {
          const ui = join(dir, 'dist', 'renderer');
          return existsSync(join(ui, 'index.html')) ? ui : undefined;
        }
      } catch {
        return undefined;
      }
    }
    dir = dirname(dir);
  }
  return undefined;
}
