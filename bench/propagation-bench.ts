// Propagation: time from the master acknowledging a write to the change event arriving on every
// node's GET /api/events stream, over many sequential writes; compared with seed 000's 1 s FetchState poll.
// Run: npm run bench:propagation   (env: PROPAGATION_WRITES (300))
import { openEvents, postJson, type SseHandle } from './lib/http-client.js';
import { PbCluster, portBlock } from './lib/peerboard-cluster.js';
import { envInt, log, nowMs, saveResult, sleep, summarize, table, waitFor } from './lib/report.js';

const RUN_LIMIT_MS = 180_000;
const VISIBLE_LIMIT_MS = 5_000;

/** Seed 000: slaves poll FetchState every second, so a change waits U(0, 1000) ms. */
export const SEED_POLL_BASELINE = { model: 'uniform(0, 1000 ms): a change waits for the next 1 s FetchState poll', mean: 500, p50: 500, p99: 990, max: 1000 };

export async function runPropagation() {
  const writes = envInt('PROPAGATION_WRITES', 300);
  const cluster = new PbCluster({ size: 3, basePort: portBlock(8) });
  const streams: SseHandle[] = [];
  /** host -> node id -> arrival time (performance.now) */
  const seen = new Map<string, Map<string, number>>();
  const perWrite: Array<{ host: string; ackMs: number; afterAck: Record<string, number>; allVisibleMs: number | null }> = [];
  let masterId = '';
  try {
    cluster.startAll();
    const master = await cluster.waitSettled(3, 60_000);
    masterId = master.id;
    const serversList = Array.from({ length: writes }, (_, i) => ({ host: `pr-${i}` }));
    const imp = await postJson(cluster.url(master, '/api/servers/import'), { serversList }, 30_000);
    if (imp.status !== 200) throw new Error(`import failed: ${imp.status} ${imp.body}`);
    await cluster.waitSettled(3, 60_000);
    for (const n of cluster.nodes) {
      const h = openEvents(cluster.url(n, '/api/events'), (name, data, at) => {
        if (name !== 'change') return;
        try {
          const host = (JSON.parse(data) as { request?: { serverHost?: string } | null }).request?.serverHost;
          if (!host) return;
          let m = seen.get(host);
          if (!m) seen.set(host, (m = new Map()));
          if (!m.has(n.id)) m.set(n.id, at);
        } catch {
          /* a malformed frame is not a propagation */
        }
      });
      streams.push(h);
      await h.ready;
    }
    const slaves = cluster.nodes.filter((n) => n !== master);
    const started = nowMs();
    for (let i = 0; i < writes && nowMs() - started < RUN_LIMIT_MS; i++) {
      const host = `pr-${i}`;
      const t0 = nowMs();
      const r = await postJson(cluster.url(master, `/api/servers/${host}/reserve`), { user: 'bench', durationSec: 3600 }, 10_000);
      const ack = nowMs();
      if (r.status !== 200) throw new Error(`write ${i} failed: ${r.status} ${r.body.slice(0, 200)}`);
      let all: number | null = null;
      try {
        await waitFor(`${host} on every node`, () => (slaves.every((s) => seen.get(host)?.has(s.id)) ? true : null), VISIBLE_LIMIT_MS, 1);
        all = Math.max(...slaves.map((s) => seen.get(host)!.get(s.id)!)) - ack;
      } catch {
        all = null;
      }
      const afterAck: Record<string, number> = {};
      for (const [id, at] of seen.get(host) ?? []) afterAck[id] = Number((at - ack).toFixed(2));
      perWrite.push({ host, ackMs: Number((ack - t0).toFixed(2)), afterAck, allVisibleMs: all === null ? null : Number(all.toFixed(2)) });
      // a random pause so that writes do not line up with the replication long-poll's phase
      await sleep(Math.floor(Math.random() * 20));
    }
  } finally {
    for (const s of streams) s.close();
    await cluster.stopAll();
    cluster.cleanup();
  }
  const visible = perWrite.filter((w) => w.allVisibleMs !== null).map((w) => w.allVisibleMs!);
  const all = summarize(visible, 1);
  const missed = perWrite.length - visible.length;
  const beforeAck = visible.filter((v) => v <= 0).length;
  const ack = summarize(perWrite.map((w) => w.ackMs), 1);
  const rows: Array<Array<string | number>> = [['measure', 'n', 'mean ms', 'p50 ms', 'p99 ms', 'max ms']];
  rows.push(['ack -> visible on every slave (SSE)', all.n, all.mean, all.p50, all.p99, all.max]);
  rows.push(['write latency (send -> ack)', ack.n, ack.mean, ack.p50, ack.p99, ack.max]);
  rows.push(['seed 000 baseline: 1 s FetchState poll (analytical)', '-', SEED_POLL_BASELINE.mean, SEED_POLL_BASELINE.p50, SEED_POLL_BASELINE.p99, SEED_POLL_BASELINE.max]);
  process.stdout.write(`\nPropagation (${perWrite.length} sequential writes to the master; ${missed} not seen within ${VISIBLE_LIMIT_MS} ms; ${beforeAck} seen on every slave before the ack reached the client)\n${table(rows)}\n`);
  const goal = { p99MaxMs: 50 };
  const pass = { p99: missed === 0 && all.p99 <= goal.p99MaxMs };
  const file = saveResult('propagation', {
    method: "sequential reserves to the master; every node's GET /api/events stream is open; the figure is max over the slaves of (arrival of the change event for that host) - (arrival of the 200 at the client). Negative: the slaves had it before the client got the ack.",
    master: masterId,
    goal,
    pass,
    summary: { allVisibleAfterAck: all, writeLatency: ack, missed, seenBeforeAck: beforeAck },
    baseline: SEED_POLL_BASELINE,
    perWrite,
  });
  log(`wrote ${file}`);
  return { summary: all, pass };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runPropagation().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
