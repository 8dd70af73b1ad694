// Child process for the kill -9 test: appends batches of 1-3 entries to a SqliteStore and prints
// each index on stdout once append() has returned (acknowledged). Bounded in count and in time.
// Usage: node --import tsx append-child.ts <dataDir> <maxEntries> <maxMs>
import { SqliteStore } from '../../../node-core/src/storage/sqlite-store.js';
import { entry } from './fixtures.js';

const [dir, maxEntriesArg, maxMsArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: append-child.ts <dataDir> <maxEntries> <maxMs>');
const maxEntries = Number(maxEntriesArg ?? 100_000);
const deadline = Date.now() + Number(maxMsArg ?? 10_000);

const store = SqliteStore.open(dir);
let next = store.lastIndex() + 1;
while (next <= maxEntries && Date.now() < deadline) {
  const batch = [];
  for (let k = 0; k <= next % 3; k++) batch.push(entry(next + k, 1, `payload ${next + k} ${'x'.repeat((next + k) % 50)}`));
  store.append(batch);
  process.stdout.write(batch.map((e) => `${e.index}\n`).join('')); // stdout to a pipe is synchronous on Linux
  next += batch.length;
}
store.close();
