// Long fuzz run: the framing and codec properties of the test suite (test/**/ *-properties.ts) with
// many more runs, bounded in time, and one line per property: runs, failures, seconds.
// Run: npm run fuzz [-- --seconds 60] [-- --runs N] [-- --seed S]   (env FUZZ_RUNS, FUZZ_SEED)
// The last row is the HTTP property: every route of a real node (loopback) gets random and mutated
// bodies for a share of the time; it must never answer 5xx and must keep answering /api/health.
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { codecProperties, deepNestingProperty } from '../test/node-core/protocol/codec-properties.js';
import { framingProperties, type NamedProperty } from '../test/node-core/transport/framing-properties.js';
import { httpFuzzProperty, startFuzzTarget } from '../test/node-core/http/fuzz-http.js';
import { envInt, log, table } from './lib/report.js';

const DEFAULT_SECONDS = 60;
const DEFAULT_RUNS = 10_000_000; // in practice the time limit ends each property first

function positiveInt(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

const { values } = parseArgs({ options: { seconds: { type: 'string' }, runs: { type: 'string' }, seed: { type: 'string' } } });
const seconds = positiveInt('seconds', values.seconds, DEFAULT_SECONDS);
const runs = positiveInt('runs', values.runs, envInt('FUZZ_RUNS', DEFAULT_RUNS) || DEFAULT_RUNS);
const seed = values.seed !== undefined ? Number(values.seed) : envInt('FUZZ_SEED', Date.now() % 2 ** 31);

/** the known failure is reported but does not fail the run (see codec.fuzz.test.ts) */
const all: Array<NamedProperty & { known?: string }> = [
  ...framingProperties(),
  ...codecProperties(),
  deepNestingProperty(),
];
const budgetMs = Math.max(1, Math.floor((seconds * 1000) / (all.length + 1)));
log(`fuzz: ${all.length} properties, up to ${runs} runs each, ${budgetMs} ms each, seed ${seed}`);

const rows: Array<Array<string | number>> = [['property', 'runs', 'failures', 'seconds', 'note']];
let unexpected = 0;
for (const p of all) {
  const t0 = performance.now();
  const r = fc.check(p.property, { numRuns: runs, seed, interruptAfterTimeLimit: budgetMs, markInterruptAsFailure: false });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const failures = r.failed ? 1 : 0; // fast-check stops at the first failure and shrinks it
  if (r.failed && !p.known) unexpected++;
  const note = r.failed
    ? `${p.known ? `${p.known}; ` : ''}counterexample ${fc.stringify(r.counterexample).slice(0, 120)}: ${String((r.errorInstance as Error | undefined)?.message ?? '').slice(0, 100)}`
    : r.interrupted
      ? 'time limit'
      : '';
  rows.push([p.name, r.numRuns, failures, secs, note]);
  log(`${p.name}: ${r.numRuns} runs, ${failures} failures, ${secs} s`);
}
{
  // HTTP bodies against a real node on loopback: slower per case, so it gets the same time budget
  const target = await startFuzzTarget();
  const t0 = performance.now();
  const name = 'http: every route, random and mutated bodies: never 5xx, seed 002 error shape, node keeps answering';
  try {
    const r = await fc.check(httpFuzzProperty(target), { numRuns: runs, seed, interruptAfterTimeLimit: budgetMs, markInterruptAsFailure: false });
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    if (r.failed) unexpected++;
    rows.push([name, r.numRuns, r.failed ? 1 : 0, secs, r.failed ? `counterexample ${fc.stringify(r.counterexample).slice(0, 120)}` : r.interrupted ? 'time limit' : '']);
    log(`${name}: ${r.numRuns} runs, ${r.failed ? 1 : 0} failures, ${secs} s`);
  } finally {
    await target.close();
  }
}
process.stdout.write(`${table(rows)}\n\nseed ${seed}; ${unexpected ? `${unexpected} unexpected failure(s)` : 'no unexpected failure'}\n`);
process.exitCode = unexpected ? 1 : 0;
