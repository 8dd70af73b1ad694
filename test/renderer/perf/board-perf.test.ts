// The board with 2,000 servers: time to first render, to filter and to sort (printed as JSON, the
// happy-dom first version of the renderer benchmark), and proof that only visible rows render.
import type { VueWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { demoBoard, makeServers } from '../../../renderer/src/api/demo-data.js';
import App from '../../../renderer/src/App.vue';
import { USER_KEY } from '../../../renderer/src/stores/session-store.js';
import { mountIn, NOW, rig, until } from '../helpers.js';

const N = 2000;
let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

async function mountBig() {
  localStorage.setItem(USER_KEY, 'dana');
  history.replaceState(null, '', '#board');
  const board = demoBoard(NOW);
  board.servers = makeServers(N, NOW);
  const r = rig({ board });
  const t0 = performance.now();
  wrapper = mountIn(r, App);
  const w = wrapper;
  await until(() => expect(w.findAll('tr.row').length).toBeGreaterThan(0), 10_000);
  return { w, firstRenderMs: performance.now() - t0 };
}

async function timed(step: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await step();
  return performance.now() - t;
}

describe(`board with ${N} servers`, () => {
  it('renders only the visible window and follows scrolling', async () => {
    const { w } = await mountBig();
    const rendered = w.findAll('tr.row');
    expect(rendered.length).toBeLessThan(100);
    expect(w.get('table.grid').attributes('aria-rowcount')).toBe(String(N + 1));
    expect(w.get('[data-test="row-count"]').text()).toContain(`${N} servers`);
    const scroller = w.get('.table-wrap').element as HTMLElement;
    scroller.scrollTop = 44 * 1000;
    await w.get('.table-wrap').trigger('scroll');
    const idx = w.findAll('tr.row').map((r) => Number(r.attributes('aria-rowindex')));
    expect(Math.min(...idx)).toBeLessThanOrEqual(1002);
    expect(Math.max(...idx)).toBeGreaterThan(1002);
    expect(idx.length).toBeLessThan(100);
  });

  it('measures first render, filter and sort (JSON on stdout)', async () => {
    const { w, firstRenderMs } = await mountBig();
    const search = w.get('input[type="search"]');
    const filterMs = await timed(() => search.setValue('srv-01'));
    const filtered = w.get('[data-test="row-count"]').text();
    const clearMs = await timed(() => search.setValue(''));
    const statusMs = await timed(() => w.get('select[name="status"]').setValue('Reserved'));
    const sortMs = await timed(() => w.get('button[data-sort="until"]').trigger('click'));
    const result = { bench: 'renderer-board', env: 'happy-dom', servers: N, firstRenderMs, filterMs, clearMs, statusMs, sortMs, filtered };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    expect(filtered).toContain(`100 of ${N} servers`);
    // generous bounds: a regression to rendering every row would take seconds here
    expect(filterMs).toBeLessThan(1000);
    expect(sortMs).toBeLessThan(1000);
  });
});
