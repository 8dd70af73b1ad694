#!/usr/bin/env node
// The `peerboard` command: runs the compiled CLI and headless node (dist/node-core/cli/main.js).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/node-core/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('peerboard: not built yet: run npm run build:node\n');
  process.exit(2);
}
if (process.argv.includes('--headless') && !process.env.PEERBOARD_NO_V8_TUNING) {
  // A server host node is mostly idle: a small young generation and size-optimised code cut its
  // resident memory (idle: about 94 MB -> 73 MB here; see docs/benchmarks.md for the measured
  // effect on memory and throughput). PEERBOARD_NO_V8_TUNING=1 turns this off.
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--max-semi-space-size=1');
  v8.setFlagsFromString('--optimize-for-size');
}
const { run } = await import(entry.href);
await run(process.argv.slice(2));
