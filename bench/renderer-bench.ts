// Renderer benchmark in Chromium: the built board (dist/renderer, demo mode, N servers, no fake
// latency) served on 127.0.0.1; time to the first rows, to filter, sort and scroll. Prints JSON.
// Usage: npm run build:renderer && npx tsx bench/renderer-bench.ts [servers=2000]
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const N = Math.min(Math.max(Number(process.argv[2] ?? 2000) || 2000, 1), 20_000);
const root = fileURLToPath(new URL('../dist/renderer/', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
  const file = join(root, path === '/' ? 'index.html' : path);
  if (!file.startsWith(root)) return void res.writeHead(403).end();
  readFile(file).then(
    (body) => res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
    () => res.writeHead(404).end(),
  );
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as AddressInfo).port;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await ctx.addInitScript(() => localStorage.setItem('peerboard.user', 'dana'));
  const page = await ctx.newPage();
  await page.goto(`http://127.0.0.1:${port}/?demo=1&latency=0&servers=${N}#board`);
  await page.waitForSelector('tr.row', { timeout: 30_000 });
  // a string, not a function: tsx would wrap named helpers in __name(), unknown in the page
  const result = (await page.evaluate(`(async () => {
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
    const firstRowsMs = performance.now(); // since navigation start
    const time = async (act) => {
      const t = performance.now();
      act();
      await frame();
      return performance.now() - t;
    };
    const search = document.querySelector('input[type="search"]');
    const type = (v) => () => {
      search.value = v;
      search.dispatchEvent(new Event('input'));
    };
    const filterMs = await time(type('srv-01'));
    const filtered = document.querySelector('[data-test="row-count"]')?.textContent?.trim();
    const clearMs = await time(type(''));
    const sortMs = await time(() => document.querySelector('button[data-sort="until"]').click());
    const wrap = document.querySelector('.table-wrap');
    const scrollMs = await time(() => {
      wrap.scrollTop = wrap.scrollHeight / 2;
      wrap.dispatchEvent(new Event('scroll'));
    });
    return { firstRowsMs, filterMs, clearMs, sortMs, scrollMs, filtered, renderedRows: document.querySelectorAll('tr.row').length };
  })()`)) as Record<string, unknown>;
  process.stdout.write(`${JSON.stringify({ bench: 'renderer-board', env: 'chromium', servers: N, ...result })}\n`);
} finally {
  await browser.close();
  server.close();
}
