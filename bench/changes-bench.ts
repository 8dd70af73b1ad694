// Events that carry what changed (issue 11), before and after: the desktop app (built renderer and
// preload in Chromium over the real main-process wiring) whose node is the third of a 3-node loopback
// cluster, a 2,000-server board, 20 changes/s made on the two other nodes. Per change: renderer CPU
// (Chromium's TaskDuration over the window, idle baseline subtracted), bytes over IPC (pushed events
// plus the board refetches they cause) and over SSE (a web client on another node: its stream plus
// the /api/state refetches it makes). "before" replays the old events (no rows: refetch the board).
// Run: npm run build:renderer && npm run bench:changes   (env: CHANGES_SERVERS 2000, CHANGES_RATE 20, CHANGES_SECONDS 15,
// CHANGES_ORDER before,after). Bounded: RATE x SECONDS changes per window, a 10 minute limit on the whole run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { PeerEvent } from '../node-core/src/api/peer-api.js';
import { BoardMirror } from '../electron/board-mirror.js';
import { TestCluster, waitFor } from '../test/cluster/cluster-helpers.js';
import { ROOT } from '../test/e2e/e2e-helpers.js';
import { ensureDesktopBuilt, launchDesktopBrowser, openDesktop, type DesktopApp } from '../test/desktop/desktop-harness.js';
import { memorySettings } from '../test/desktop/memory-settings.js';
import { TEST_CLUSTER_KEY } from '../test/test-key.js';

const envInt = (name: string, def: number, max: number) => Math.min(Math.max(Number(process.env[name] ?? def) || def, 1), max);
const SERVERS = envInt('CHANGES_SERVERS', 2000, 20_000);
const RATE = envInt('CHANGES_RATE', 20, 100);
const SECONDS = envInt('CHANGES_SECONDS', 15, 120);
/** the web client's refetch debounce, as the renderer's REFRESH_DEBOUNCE_MS */
const DEBOUNCE_MS = 50;

interface Window_ {
  mode: 'before' | 'after';
  changes: number;
  /** the renderer's own work per change: handling the pushed event and the refetch answers, to the end of the render */
  rendererMsPerChange: number;
  rendererPushMsPerChange: number;
  rendererRefetchMsPerChange: number;
  /** the whole page's main-thread time per change (Chromium TaskDuration, idle rate subtracted): includes the test transport's CDP evaluate per push */
  pageCpuMsPerChange: number;
  ipcPushBytesPerChange: number;
  ipcRefetchBytesPerChange: number;
  ipcBytesPerChange: number;
  sseFrameBytesPerChange: number;
  sseRefetchBytesPerChange: number;
  sseBytesPerChange: number;
  /** main process per change event: node.view() before (the old per-event copy), BoardMirror.apply after (microseconds) */
  mainProcessUsPerChange: number;
  refetches: number;
  /** role and cluster events pushed in the window (a quorum or staleness flip refetches the board) */
  otherEvents: Record<string, number>;
}

/** A web client on another node: counts change-frame bytes, and in legacy mode refetches /api/state (debounced) as the old store did. */
function webClient(apiUrl: string) {
  const state = { legacy: false, frameBytes: 0, refetchBytes: 0, changes: 0, refetches: 0 };
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const refetch = async () => {
    const res = await fetch(`${apiUrl}/api/state`, { signal: ac.signal });
    state.refetchBytes += Buffer.byteLength(await res.text());
    state.refetches++;
  };
  const done = (async () => {
    const res = await fetch(`${apiUrl}/api/events`, { signal: ac.signal });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return;
      buf += dec.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i + 2);
        buf = buf.slice(i + 2);
        if (!frame.startsWith('event: change')) continue;
        state.changes++;
        if (state.legacy) {
          // the old frame: no rows; the client refetches the board
          const data = JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as { index: number; request: unknown };
          state.frameBytes += Buffer.byteLength(`event: change\ndata: ${JSON.stringify({ type: 'change', index: data.index, request: data.request })}\n\n`);
          clearTimeout(timer);
          timer = setTimeout(() => void refetch().catch(() => undefined), DEBOUNCE_MS);
        } else {
          state.frameBytes += Buffer.byteLength(frame);
        }
      }
    }
  })().catch(() => undefined);
  return {
    state,
    reset(legacy: boolean) {
      Object.assign(state, { legacy, frameBytes: 0, refetchBytes: 0, changes: 0, refetches: 0 });
    },
    async close() {
      clearTimeout(timer);
      ac.abort();
      await done;
    },
  };
}

async function pageCost(a: DesktopApp): Promise<{ pushMs: number; answerMs: number }> {
  return (await a.page.evaluate(() => ({ ...(window as unknown as { __pbCost: { pushMs: number; answerMs: number } }).__pbCost }))) as { pushMs: number; answerMs: number };
}

async function cpu(cdp: Awaited<ReturnType<DesktopApp['ctx']['newCDPSession']>>): Promise<{ task: number; script: number }> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  const get = (n: string) => (metrics.find((m) => m.name === n)?.value ?? 0) * 1000;
  return { task: get('TaskDuration'), script: get('ScriptDuration') };
}

async function main(): Promise<void> {
  ensureDesktopBuilt();
  const started = Date.now();
  const browser = await launchDesktopBrowser();
  const c = await TestCluster.create();
  let app: DesktopApp | null = null;
  let client: ReturnType<typeof webClient> | null = null;
  try {
    await c.add('n1');
    await c.add('n2');
    await c.settled();
    app = await openDesktop(browser, {
      nodeId: 'app',
      settings: { user: 'dana', clusterId: 'test', clusterKey: TEST_CLUSTER_KEY, discoveryPort: c.discoveryPort, onboarded: true },
      store: () => memorySettings(),
    });
    const a = app;
    await waitFor('three voters', () => c.master()?.node.raft.config?.voters.length === 3 && !c.master()!.node.raft.configChangePending(), 30_000);
    const master = c.master()!;
    const hosts = Array.from({ length: SERVERS }, (_, i) => `bench-${String(i).padStart(5, '0')}`);
    await master.node.submit({ type: 'servers-import', servers: hosts.map((host) => ({ host, app: 'Bench', env: 'perf', ip: '10.9.0.1' })) }, { user: 'admin' });
    await a.page.locator('tr.row').first().waitFor({ timeout: 30_000 });
    await waitFor('the app board has every server', () => a.node().view().serversData.serversList.length === SERVERS, 30_000);
    const cdp = await a.ctx.newCDPSession(a.page);
    await cdp.send('Performance.enable');
    client = webClient(c.byName('n2').api);
    await new Promise((r) => setTimeout(r, 1000));

    // idle baseline: what the page spends with no change (clock tick, presence)
    const idle0 = await cpu(cdp);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const idle1 = await cpu(cdp);
    const idlePerSec = { task: (idle1.task - idle0.task) / SECONDS, script: (idle1.script - idle0.script) / SECONDS };

    const held = new Map<string, string>();
    const writers = [c.byName('n1'), c.byName('n2')];
    let seq = 0;
    const results: Window_[] = [];
    // CHANGES_ORDER=after,before runs the windows the other way round (does the order matter?)
    const order = process.env.CHANGES_ORDER === 'after,before' ? (['after', 'before'] as const) : (['before', 'after'] as const);
    for (const mode of order) {
      a.legacyEvents = mode === 'before';
      client.reset(mode === 'before');
      await a.flush();
      await new Promise((r) => setTimeout(r, 1000)); // the previous window's last refetches land
      const push0 = a.pushed.length;
      const inv0 = a.invoked.length;
      const view0 = a.legacyViewMs.length;
      const cost0 = await pageCost(a);
      const cpu0 = await cpu(cdp);
      const total = RATE * SECONDS;
      const t0 = Date.now();
      const pending: Array<Promise<unknown>> = [];
      // bounded: `total` changes, paced at RATE per second, on the two other nodes in turn
      for (let i = 0; i < total; i++) {
        const due = t0 + (i * 1000) / RATE;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const w = writers[i % 2]!;
        const host = hosts[(seq++ * 7919) % hosts.length]!;
        const holder = held.get(host);
        const cmd = holder
          ? ({ type: 'release', host, user: holder } as const)
          : ({ type: 'reserve', host, user: `u${i % 5}`, until: Math.floor(Date.now() / 1000) + 3600 } as const);
        if (holder) held.delete(host);
        else held.set(host, cmd.user);
        pending.push(w.node.submit(cmd, { user: cmd.user }).catch(() => undefined));
      }
      await Promise.all(pending);
      await a.flush();
      await new Promise((r) => setTimeout(r, 1000)); // the last events and refetches land
      const elapsedSec = (Date.now() - t0) / 1000;
      const cpu1 = await cpu(cdp);
      const cost1 = await pageCost(a);
      const pushed = a.pushed.slice(push0).filter((p) => p.event.type === 'change');
      const changes = pushed.length;
      const pushBytes = pushed.reduce((s, p) => s + p.bytes, 0);
      const refetch = a.invoked.slice(inv0).filter((x) => x.channel === 'board:get-state');
      const refetchBytes = refetch.reduce((s, x) => s + x.bytes, 0);
      const views = a.legacyViewMs.slice(view0);
      const per = (x: number) => Math.round((x / Math.max(1, changes)) * 1000) / 1000;
      results.push({
        mode,
        changes,
        rendererMsPerChange: per(cost1.pushMs - cost0.pushMs + cost1.answerMs - cost0.answerMs),
        rendererPushMsPerChange: per(cost1.pushMs - cost0.pushMs),
        rendererRefetchMsPerChange: per(cost1.answerMs - cost0.answerMs),
        pageCpuMsPerChange: per(cpu1.task - cpu0.task - idlePerSec.task * elapsedSec),
        ipcPushBytesPerChange: Math.round(pushBytes / Math.max(1, changes)),
        ipcRefetchBytesPerChange: Math.round(refetchBytes / Math.max(1, changes)),
        ipcBytesPerChange: Math.round((pushBytes + refetchBytes) / Math.max(1, changes)),
        sseFrameBytesPerChange: Math.round(client.state.frameBytes / Math.max(1, client.state.changes)),
        sseRefetchBytesPerChange: Math.round(client.state.refetchBytes / Math.max(1, client.state.changes)),
        sseBytesPerChange: Math.round((client.state.frameBytes + client.state.refetchBytes) / Math.max(1, client.state.changes)),
        // before: node.view() once per event (the old NodeHost); after: set below from the mirror
        mainProcessUsPerChange: views.length ? Math.round((views.reduce((s, v) => s + v, 0) / views.length) * 1000) : 0,
        refetches: refetch.length,
        otherEvents: Object.fromEntries(
          [...a.pushed.slice(push0).filter((p) => p.event.type !== 'change').reduce((m, p) => m.set(p.event.type, (m.get(p.event.type) ?? 0) + 1), new Map<string, number>())],
        ),
      });
      process.stderr.write(`${mode}: ${JSON.stringify(results.at(-1))}\n`);
    }

    // the main process after: one mirror patch per event (measured on the events of the "after" window)
    const mirror = new BoardMirror();
    mirror.reset(a.node().view());
    const afterEvents = a.pushed.filter((p): p is { event: Extract<PeerEvent, { type: 'change' }>; bytes: number } => p.event.type === 'change' && p.event.rows !== undefined).map((p) => p.event);
    const tm = performance.now();
    for (const e of afterEvents) mirror.apply(e);
    results.find((r) => r.mode === 'after')!.mainProcessUsPerChange = Math.round(((performance.now() - tm) / Math.max(1, afterEvents.length)) * 1000 * 10) / 10;

    const out = {
      bench: 'changes',
      date: new Date().toISOString(),
      servers: SERVERS,
      ratePerSec: RATE,
      secondsPerWindow: SECONDS,
      idleRendererCpuMsPerSec: Math.round(idlePerSec.task * 10) / 10,
      results,
      machine: { loadavg: loadavg(), cpus: 2 },
      runSeconds: Math.round((Date.now() - started) / 1000),
      notes:
        'rendererMs = time the page spends in the pushed-event listener and on each invoke answer up to the end of the microtasks they start (the store patch or refetch and the Vue render), per change event pushed; ' +
        'pageCpuMs = Chromium TaskDuration over the window minus the idle rate, per change (includes the CDP evaluate that stands in for IPC). ' +
        'IPC bytes = pushed change events + board:get-state results they caused. SSE bytes = change frames on n2 + the /api/state refetches a client makes in legacy mode. ' +
        'before = the old event shape (index, request) replayed by the same build: the renderer refetches the board, the main process copies it per event.',
    };
    const dir = join(ROOT, 'bench/results/2026-12-02');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, order[0] === 'after' ? 'changes-after-first.json' : 'changes.json'), `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await client?.close();
    await app?.close();
    await c.close();
    await browser.close();
  }
}

const deadline = setTimeout(() => {
  process.stderr.write('changes bench: over its 10 minute limit, exiting\n');
  process.exit(2);
}, 600_000);
deadline.unref();
await main();
