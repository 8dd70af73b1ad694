// Results store benchmark (issue 12): 10,000 checks x one result a minute. Fills `hours` of history
// (one transaction per simulated minute), then times series()/uptime() on random checks and a
// compact() call of 10k rows. Prints one JSON object. Bounded by --hours and a wall-clock limit.
// Run: npx tsx bench/monitoring-results-bench.ts [--checks 10000] [--hours 6] [--queries 200] [--max-seconds 120]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RESULTS_DB_FILE, ResultsStore } from '../node-core/src/monitoring/results-store.js';
import type { CheckResult } from '../node-core/src/monitoring/types.js';
import { seededRandom } from '../node-core/src/util/clock.js';

const { values: args } = parseArgs({
  options: {
    checks: { type: 'string', default: '10000' },
    hours: { type: 'string', default: '6' },
    queries: { type: 'string', default: '200' },
    'max-seconds': { type: 'string', default: '120' },
  },
});
const CHECKS = Math.min(100_000, Math.max(1, Number(args.checks)));
const MINUTES = Math.min(30 * 24 * 60, Math.max(1, Math.round(Number(args.hours) * 60)));
const QUERIES = Math.min(10_000, Math.max(1, Number(args.queries)));
const DEADLINE = Date.now() + Math.max(5, Number(args['max-seconds'])) * 1000;
const MIN = 60_000;

const rnd = seededRandom(42);
const dir = mkdtempSync(join(tmpdir(), 'peerboard-mon-results-'));
const start = Date.UTC(2026, 0, 1);
let clock = start;
const store = ResultsStore.open(dir, { now: () => clock });

function stats(ms: number[]): { meanMs: number; p50Ms: number; p99Ms: number; maxMs: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  const r = (x: number): number => +x.toFixed(3);
  return { meanMs: r(s.reduce((a, b) => a + b, 0) / s.length), p50Ms: r(at(0.5)), p99Ms: r(at(0.99)), maxMs: r(s[s.length - 1]!) };
}

try {
  // bulk fill of the history: FILL_MINUTES simulated minutes per add() (a live node adds a second's worth: timed below)
  const FILL_MINUTES = 10;
  const batchMs: number[] = [];
  let minutes = 0;
  const t0 = performance.now();
  while (minutes < MINUTES && Date.now() < DEADLINE) {
    const batch: CheckResult[] = [];
    for (let m = 0; m < FILL_MINUTES && minutes < MINUTES; m++, minutes++) {
      const at = start + minutes * MIN;
      for (let id = 1; id <= CHECKS; id++) {
        const ok = rnd() > 0.02;
        batch.push({ checkId: id, at: at + Math.floor(rnd() * MIN), ok, responseTime: 1 + rnd() * 200, lagMs: 0, status: ok ? 'UP' : 'DOWN', ...(ok ? {} : { error: 'connect ECONNREFUSED 10.0.0.5:80' }) });
      }
    }
    const b0 = performance.now();
    if (!store.add(batch)) throw new Error('add failed');
    batchMs.push(performance.now() - b0);
  }
  const fillSec = (performance.now() - t0) / 1000;
  const rows = minutes * CHECKS;
  clock = start + minutes * MIN;

  // a second's worth (CHECKS / 60 results), as the node really adds them
  // 180 seconds of live adds: second i adds the results of checks i*perSec .. (i+1)*perSec-1; the
  // first 60 are not counted (they pay for checkpointing the bulk fill's WAL, which a live node never has)
  const small: number[] = [];
  const perSec = Math.ceil(CHECKS / 60);
  for (let i = 0; i < 180; i++) {
    const batch: CheckResult[] = [];
    for (let k = 0; k < perSec; k++) batch.push({ checkId: 1 + ((i * perSec + k) % CHECKS), at: clock + i * 1000, ok: true, responseTime: 3, lagMs: 0, status: 'UP' });
    const b0 = performance.now();
    store.add(batch);
    if (i >= 60) small.push(performance.now() - b0);
  }

  const time = (fn: () => unknown): number => {
    const q0 = performance.now();
    fn();
    return performance.now() - q0;
  };
  const ids = Array.from({ length: QUERIES }, () => 1 + Math.floor(rnd() * CHECKS));
  const series24h = ids.map((id) => time(() => store.series(id, clock - 24 * 60 * MIN, 500)));
  const uptime24h = ids.map((id) => time(() => store.uptime(id, clock - 24 * 60 * MIN)));
  const latest = ids.map((id) => time(() => store.latest(id)));
  const pointsPerSeries = store.series(ids[0]!, clock - 24 * 60 * MIN, 500).length;

  // compaction: pretend raw retention ran out for the oldest hour
  clock = start + 48 * 60 * MIN + 60 * MIN;
  const compactCalls: number[] = [];
  for (let i = 0; i < 5 && Date.now() < DEADLINE + 60_000; i++) compactCalls.push(time(() => store.compact(clock, 10_000)));
  const afterCompact = store.stats();
  const series7d = ids.slice(0, 50).map((id) => time(() => store.series(id, clock - 7 * 24 * 60 * MIN, 500)));
  const uptime7d = ids.slice(0, 50).map((id) => time(() => store.uptime(id, clock - 7 * 24 * 60 * MIN)));

  const file = join(dir, RESULTS_DB_FILE);
  const size = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
  process.stdout.write(
    `${JSON.stringify(
      {
        bench: 'monitoring-results', node: process.version, checks: CHECKS, minutesFilled: minutes, rawRows: rows,
        bulkFill: { seconds: +fillSec.toFixed(1), rowsPerSec: Math.round(rows / fillSec), minutesPerAdd: FILL_MINUTES, perAdd: stats(batchMs) },
        addOneSecondOfResults: { results: Math.ceil(CHECKS / 60), ...stats(small) },
        series24h: { points: pointsPerSeries, ...stats(series24h) },
        uptime24h: stats(uptime24h),
        latest: stats(latest),
        compact10kRows: stats(compactCalls),
        afterCompact: { rawRows: afterCompact.rawRows, buckets: afterCompact.buckets },
        series7dMixed: stats(series7d),
        uptime7dMixed: stats(uptime7d),
        fileMB: +(size / 2 ** 20).toFixed(1),
        bytesPerRawRow: Math.round(size / rows),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
