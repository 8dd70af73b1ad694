// Storage benchmark: appends/s into SqliteStore (WAL, synchronous=FULL) for batches of 1 and of 64
// entries with ~200-byte payloads, each run bounded in time. Prints one JSON object.
// Run: npm run bench:storage  (or npx tsx bench/storage-bench.ts [dataDir]); uses a temp dir by default.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '../node-core/src/consensus/types.js';
import { SqliteStore } from '../node-core/src/storage/sqlite-store.js';

const RUN_MS = 2_000;
const MAX_BATCHES = 200_000;

function entry(index: number): LogEntry {
  return {
    index,
    term: 1,
    at: Date.now(),
    kind: 'board',
    cmd: { type: 'reserve', host: `srv-${index % 500}.lab`, user: 'alice', until: 1_700_003_600, comment: 'bench run' },
    meta: { user: 'alice', nodeId: 'bench-node', nodeIP: '127.0.0.1', reqId: `r-${index}` },
  };
}

function run(store: SqliteStore, batchSize: number) {
  let next = store.lastIndex() + 1;
  let batches = 0;
  let bytes = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + RUN_MS;
  while (Date.now() < deadline && batches < MAX_BATCHES) {
    const batch: LogEntry[] = [];
    for (let k = 0; k < batchSize; k++) batch.push(entry(next + k));
    if (batches === 0) bytes = Buffer.byteLength(JSON.stringify(batch[0]));
    store.append(batch);
    next += batchSize;
    batches++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    batchSize,
    payloadBytes: bytes,
    batches,
    entries: batches * batchSize,
    seconds: Number(seconds.toFixed(3)),
    appendsPerSec: Math.round((batches * batchSize) / seconds),
    batchesPerSec: Math.round(batches / seconds),
    meanBatchMs: Number(((seconds * 1000) / batches).toFixed(3)),
  };
}

const given = process.argv[2];
const dir = given ?? mkdtempSync(join(tmpdir(), 'peerboard-bench-'));
const store = SqliteStore.open(dir);
try {
  const results = [run(store, 1), run(store, 64)];
  const read = (() => {
    const t = process.hrtime.bigint();
    const got = store.entries(store.firstIndex(), store.lastIndex(), 1 << 20);
    return { entries: got.length, ms: Number((Number(process.hrtime.bigint() - t) / 1e6).toFixed(2)) };
  })();
  process.stdout.write(
    `${JSON.stringify({ store: 'sqlite', dir, synchronous: 'FULL', journal: 'WAL', runMs: RUN_MS, results, read1MiB: read }, null, 2)}\n`,
  );
} finally {
  store.close();
  if (!given) rmSync(dir, { recursive: true, force: true });
}
