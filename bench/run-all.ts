// npm run bench: every cluster benchmark in one run (failover, throughput, propagation, memory),
// each printing its table and writing bench/results/<name>.json. Trial counts shrink through env vars.
import { runFailover } from './failover-bench.js';
import { runMemory } from './memory-bench.js';
import { runPropagation } from './propagation-bench.js';
import { runThroughput } from './throughput-bench.js';
import { log, machine } from './lib/report.js';

const started = Date.now();
const only = (process.env.BENCH_ONLY ?? 'failover,throughput,propagation,memory').split(',');
log(`machine: ${JSON.stringify(machine())}`);
const steps: Array<[string, () => Promise<unknown>]> = [
  ['failover', runFailover],
  ['throughput', runThroughput],
  ['propagation', runPropagation],
  ['memory', runMemory],
];
let failed = 0;
for (const [name, step] of steps) {
  if (!only.includes(name)) continue;
  const t = Date.now();
  try {
    await step();
    log(`${name} done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  } catch (e) {
    failed++;
    process.stderr.write(`${name} failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  }
}
log(`all benchmarks done in ${((Date.now() - started) / 1000).toFixed(0)} s; load average now ${machine().loadavg.join(' ')}`);
process.exit(failed === 0 ? 0 : 1);
