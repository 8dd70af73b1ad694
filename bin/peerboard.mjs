#!/usr/bin/env node
// The `peerboard` command: runs the compiled CLI and headless node (dist/node-core/cli/main.js).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/node-core/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('peerboard: not built yet: run npm run build:node\n');
  process.exit(2);
}
const { run } = await import(entry.href);
await run(process.argv.slice(2));
