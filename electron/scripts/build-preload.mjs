// Finishes the preload build: takes tsc's CommonJS output, checks that it requires nothing but
// 'electron' (a sandboxed preload cannot load other files), and writes dist/electron/preload.cjs.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = join(root, 'dist', '.preload-build');
const source = join(tmp, 'electron', 'preload.js');
const target = join(root, 'dist', 'electron', 'preload.cjs');

const code = readFileSync(source, 'utf8');
const required = [...code.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
const foreign = required.filter((name) => name !== 'electron');
if (foreign.length > 0) {
  process.stderr.write(`preload requires ${foreign.join(', ')}: a sandboxed preload may require only 'electron' (use type-only imports)\n`);
  process.exit(1);
}
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, code);
rmSync(tmp, { recursive: true, force: true });
process.stdout.write(`wrote ${target}\n`);
