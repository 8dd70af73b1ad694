// Screenshots of the demo mode (?demo=1) in Debian's Chromium, light and dark, for eyeballing the
// built renderer: serves dist/renderer on 127.0.0.1 (random port) and saves PNGs in test-artifacts/.
// Usage: node renderer/scripts/screenshot-demo.mjs [tab...]   (after npm run build:renderer)
import { createServer } from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../../dist/renderer/', import.meta.url));
const outDir = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'";

const server = createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = join(root, path === '/' ? 'index.html' : path);
  if (!file.startsWith(root)) return void res.writeHead(403).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP });
    res.end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address();
await mkdir(outDir, { recursive: true });

const tabs = process.argv.slice(2).length ? process.argv.slice(2) : ['board', 'cluster', 'history', 'admin'];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const problems = [];
try {
  for (const scheme of ['light', 'dark']) {
    const ctx = await browser.newContext({ colorScheme: scheme, viewport: { width: 1440, height: 900 } });
    await ctx.addInitScript(() => localStorage.setItem('peerboard.user', 'dana'));
    const page = await ctx.newPage();
    page.on('console', (m) => m.type() === 'error' && problems.push(`${scheme}: console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`${scheme}: page error: ${e.message}`));
    for (const tab of tabs) {
      await page.goto(`http://127.0.0.1:${port}/?demo=1#${tab}`);
      await page.waitForSelector('.grid, .empty, .first-run', { timeout: 10_000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(outDir, `demo-${tab}-${scheme}.png`) });
    }
    // the reserve dialog on the board
    await page.goto(`http://127.0.0.1:${port}/?demo=1#board`);
    await page.getByRole('button', { name: 'Reserve' }).first().click();
    await page.waitForSelector('[role=dialog]');
    await page.screenshot({ path: join(outDir, `demo-reserve-dialog-${scheme}.png`) });
    // a conflict, then the degraded states: no quorum (read-only) and stale data
    await page.keyboard.press('Escape');
    await page.evaluate(() => {
      const demo = window.peerboardDemo;
      demo.board.servers[1].holder = 'alice';
      demo.board.servers[1].until = Math.floor(Date.now() / 1000) + 5400;
    });
    await page.locator('tr[data-host="srv-0002"] button', { hasText: 'Reserve' }).click();
    await page.locator('[role=dialog] button[type=submit]').click();
    await page.getByText('is reserved by alice').waitFor();
    await page.screenshot({ path: join(outDir, `demo-conflict-${scheme}.png`) });
    await page.keyboard.press('Escape');
    await page.evaluate(() => {
      window.peerboardDemo.setQuorum(false);
      window.peerboardDemo.board.staleMs = 125000;
      window.peerboardDemo.setStale(true, 125000);
    });
    await page.waitForSelector('[data-test="read-only"]');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(outDir, `demo-degraded-${scheme}.png`) });
    await ctx.close();
  }
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify({ saved: outDir, problems }, null, 2));
