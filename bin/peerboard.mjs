#!/usr/bin/env node
// The `peerboard` command: runs the compiled CLI and headless node (dist/node-core/cli/main.js).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/node-core/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('peerboard: not built yet: run npm run build:node\n');
  process.exit(2);
}
if (process.argv.includes('--headless') && process.env.PEERBOARD_LOW_MEMORY === '1') {
  // Opt-in for small hosts: a small young generation and size-optimised code cut an idle node's
  // resident memory (idle: 88 -> 72 MiB here) but cost write latency under load (more garbage
  // collection): see docs/benchmarks.md.
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--max-semi-space-size=1');
  v8.setFlagsFromString('--optimize-for-size');
}
const { run } = await import(entry.href);
await run(process.argv.slice(2));
