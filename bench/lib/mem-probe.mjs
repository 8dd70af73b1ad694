// Preloaded into a benchmark node (node --import): after PB_MEM_PROBE_AFTER_MS it writes the V8
// heap figures to PB_MEM_PROBE_FILE, before and after a full GC when --expose-gc is on.
import { writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const file = process.env.PB_MEM_PROBE_FILE;
const after = Number(process.env.PB_MEM_PROBE_AFTER_MS ?? '30000');
const mib = (b) => Number((b / 2 ** 20).toFixed(2));

function sample() {
  const m = process.memoryUsage();
  const h = getHeapStatistics();
  return {
    rssMiB: mib(m.rss),
    heapTotalMiB: mib(m.heapTotal),
    heapUsedMiB: mib(m.heapUsed),
    externalMiB: mib(m.external),
    arrayBuffersMiB: mib(m.arrayBuffers),
    mallocedMiB: mib(h.malloced_memory),
    peakMallocedMiB: mib(h.peak_malloced_memory),
    codeAndMetadataMiB: mib((h.total_heap_size_executable ?? 0)),
    spaces: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { sizeMiB: mib(s.space_size), usedMiB: mib(s.space_used_size) }])),
  };
}

if (file) {
  const t = setTimeout(() => {
    const before = sample();
    const gc = globalThis.gc;
    if (typeof gc === 'function') gc();
    writeFileSync(file, JSON.stringify({ before, afterGc: typeof gc === 'function' ? sample() : null }));
  }, after);
  t.unref();
}
