// Preloaded into a node under test (node --import) to fake a wall-clock jump: on SIGUSR2 it reads
// an offset in ms from $PBF_CLOCK_FILE and shifts Date.now() by it. The monotonic clock is untouched.
import { readFileSync } from 'node:fs';

const file = process.env.PBF_CLOCK_FILE;
const realNow = Date.now.bind(Date);
let offsetMs = 0;

function load() {
  if (!file) return;
  try {
    const v = Number(readFileSync(file, 'utf8').trim());
    offsetMs = Number.isFinite(v) ? v : 0;
  } catch {
    offsetMs = 0;
  }
}

load();
Date.now = () => realNow() + offsetMs;
process.on('SIGUSR2', load);
