// Browser tests of issue 14's daily board on a real 3-node cluster: the queue hands bob a server that
// alice releases on another node ("It's yours"), a hold near its end warns with Extend, and a page
// whose node dies says so every second, links to the live nodes, and keeps the user's name there.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, waitFor, type TestCluster } from '../cluster/cluster-helpers.js';
import { SAMPLE, addServers, ensureRendererBuilt, launchBrowser, openPage, shotBoth, skipReason, uiCluster, uiUrl } from './e2e-helpers.js';

const row = (page: Page, host: string) => page.locator(`tr.row[data-host="${host}"]`);

describe.skipIf(skipReason !== null)(`daily board in Chromium on a 3-node cluster${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let browser: Browser;
  let c: TestCluster;
  let a: Page;
  let b: Page;
  const contexts: BrowserContext[] = [];
  const errors: string[][] = [];

  beforeAll(async () => {
    ensureRendererBuilt();
    browser = await launchBrowser();
    c = await uiCluster();
    await addServers(c.master()!, SAMPLE);
    const [n1, n2] = c.nodes;
    const pa = await openPage(browser, uiUrl(n1!), 'alice');
    const pb = await openPage(browser, uiUrl(n2!), 'bob');
    a = pa.page;
    b = pb.page;
    contexts.push(pa.ctx, pb.ctx);
    errors.push(pa.errors, pb.errors);
    for (const p of [a, b]) await row(p, 'srv-db-01').waitFor({ timeout: 10_000 });
  });

  afterEach(async () => {
    for (const p of [a, b]) if (p && (await p.getByRole('dialog').count())) await p.keyboard.press('Escape');
  });

  afterAll(async () => {
    await browser?.close();
    await c?.close();
  });

  it("the queue hands bob (node 2) the server alice releases on node 1: It's yours, and the queue toast goes", async () => {
    const r = await api(c.master()!.api, 'POST', '/api/servers/srv-app-01/reserve', { user: 'alice', durationSec: 3600, comment: 'release tests' });
    expect(r.status).toBe(200);
    await row(b, 'srv-app-01').locator('td.holder', { hasText: 'alice' }).waitFor({ timeout: 5000 });
    await row(b, 'srv-app-01').getByRole('button', { name: 'Queue' }).click();
    const dialog = b.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Join queue' }).click();
    await b.locator('.toast', { hasText: 'You are number 1 in the queue for srv-app-01' }).waitFor({ timeout: 5000 });
    // alice's page names bob, first in the queue, and her Release asks first
    await row(a, 'srv-app-01').locator('[data-test="queue"] li', { hasText: 'bob' }).waitFor({ timeout: 5000 });
    await row(a, 'srv-app-01').getByRole('button', { name: 'Release' }).click();
    const confirm = a.getByRole('dialog');
    expect(await confirm.locator('[data-test="release-confirm"]').textContent()).toContain('It goes at once to bob');
    await shotBoth(a, 'release-confirm');
    const released = a.waitForResponse((res) => res.url().endsWith('/api/servers/srv-app-01/release'));
    await confirm.getByRole('button', { name: 'Release' }).click();
    expect((await released).status()).toBe(200);
    const ackAt = Date.now();
    const banner = b.locator('[data-test="its-yours"][data-host="srv-app-01"]');
    await banner.waitFor({ timeout: 5000 });
    console.info(`e2e: "It's yours" on bob's page (node 2) ${Date.now() - ackAt} ms after alice's release was acknowledged on node 1`);
    expect(await banner.textContent()).toContain("It's yours: the queue handed you srv-app-01");
    expect(await b.locator('.toast', { hasText: 'number 1' }).count()).toBe(0);
    expect(c.master()!.node.server('srv-app-01')?.holder).toBe('bob');
    await shotBoth(b, 'its-yours');
    await banner.getByRole('button', { name: 'OK' }).click();
  });

  it('a hold that ends within 10 minutes warns, and Extend from the warning keeps it', async () => {
    const r = await api(c.master()!.api, 'POST', '/api/servers/srv-db-01/reserve', { user: 'alice', durationSec: 300 });
    expect(r.status).toBe(200);
    const warning = a.locator('[data-test="expires-soon"][data-host="srv-db-01"]');
    await warning.waitFor({ timeout: 5000 });
    expect(await warning.textContent()).toMatch(/your hold on srv-db-01 ends in [45] min/);
    // bob's page warns nobody: it is not his
    expect(await b.locator('[data-test="expires-soon"]').count()).toBe(0);
    await shotBoth(a, 'expires-soon');
    await warning.getByRole('button', { name: 'Extend' }).click();
    const dialog = a.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Extend' }).click();
    await warning.waitFor({ state: 'detached', timeout: 5000 });
    const until = c.master()!.node.server('srv-db-01')!.until!;
    expect(until - Date.now() / 1000).toBeGreaterThan(30 * 60);
  });

  it('the reserve dialog warns while open when another node shows someone took the server, and Join queue queues', async () => {
    await row(b, 'srv-app-02').getByRole('button', { name: 'Reserve' }).click();
    const dialog = b.getByRole('dialog');
    await dialog.waitFor();
    const r = await api(c.master()!.api, 'POST', '/api/servers/srv-app-02/reserve', { user: 'alice', durationSec: 3600 });
    expect(r.status).toBe(200);
    const warning = dialog.locator('[data-test="taken-warning"]');
    await warning.waitFor({ timeout: 5000 });
    expect(await warning.textContent()).toMatch(/alice just took srv-app-02 \(until (\w{3} )?\d\d:\d\d\)/);
    await shotBoth(b, 'taken-warning-1280');
    await b.setViewportSize({ width: 420, height: 860 });
    await shotBoth(b, 'taken-warning-420');
    await b.setViewportSize({ width: 1440, height: 900 });
    await dialog.getByRole('button', { name: 'Join queue' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 5000 });
    await waitFor('bob in the queue on the master', () => c.master()!.node.server('srv-app-02')?.queue.some((q) => q.user === 'bob') || null);
    await row(b, 'srv-app-02').locator('[data-test="queue"] li', { hasText: 'bob' }).waitFor({ timeout: 5000 });
  });

  it('screenshots of every view at 1280 px and 420 px; at 420 px status, holder and the action stay visible', async () => {
    for (const width of [1280, 420]) {
      await b.setViewportSize({ width, height: 860 });
      for (const tab of ['board', 'cluster', 'history', 'admin'] as const) {
        await b.locator(`button[data-tab="${tab}"]`).click();
        await b.locator('main').waitFor();
        if (tab === 'board') await row(b, 'srv-app-01').waitFor();
        await shotBoth(b, `${tab}-${width}`);
      }
      await b.locator('button[data-tab="board"]').click();
      const r1 = row(b, 'srv-app-01');
      await r1.waitFor();
      for (const part of [r1.locator('[data-status]'), r1.locator('td.holder'), r1.getByRole('button', { name: 'Release' })]) {
        const box = await part.boundingBox();
        expect(box, `${width}px`).not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width, `${width}px: right edge`).toBeLessThanOrEqual(width);
      }
      // nothing scrolls sideways at this width
      expect(await b.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      if (width === 420) expect(await r1.locator('td.fold').first().isVisible()).toBe(false);
    }
    await b.setViewportSize({ width: 1440, height: 900 });
  });

  it("a page whose node died: offline with the data's age every second, writes off, links to the other nodes; the name goes along", async () => {
    const victim = c.nodes.find((t) => t !== c.master())!;
    // carol's browser has no saved name: she types it on the page of the node that will die
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
    await page.goto(uiUrl(victim));
    const prompt = page.getByRole('dialog');
    await prompt.getByLabel('Your name').fill('carol');
    await prompt.getByRole('button', { name: 'Save' }).click();
    await row(page, 'srv-web-01').getByRole('button', { name: 'Reserve' }).waitFor({ timeout: 10_000 });
    // the page has learnt the other nodes' UI ports from the cluster view
    const others = c.nodes.filter((t) => t !== victim);
    await waitFor('the dying node to know the others\' UI ports', async () => {
      const st = await api<{ clusterView: Array<{ nodeId: string; uiPort?: number }> }>(victim.api, 'GET', '/api/state');
      return others.every((t) => st.body.clusterView.some((n) => n.nodeId === t.node.nodeId && n.uiPort === t.http.uiPort)) || null;
    }, 10_000);
    // the page has the cluster view of that moment (a change refetches it)
    await page.reload();
    await page.locator('[data-test="link-state"]', { hasText: 'Live' }).waitFor({ timeout: 15_000 });

    const crashedAt = Date.now();
    await c.crash(victim.name);
    const banner = page.locator('[data-test="offline"]');
    await banner.waitFor({ timeout: 20_000 });
    console.info(`e2e: the dead node's page said Offline ${Date.now() - crashedAt} ms after the crash`);
    const age = page.locator('[data-test="offline-age"]');
    const first = await age.textContent();
    await page.waitForFunction((f) => document.querySelector('[data-test="offline-age"]')?.textContent !== f, first, { timeout: 3000 });
    const second = (await age.textContent())!;
    expect(second).toMatch(/^\d+ s$/);
    const reserve = row(page, 'srv-web-01').getByRole('button', { name: 'Reserve' });
    expect(await reserve.isDisabled()).toBe(true);
    expect(await reserve.getAttribute('title')).toMatch(/^Read-only: Offline/);
    const links = page.locator('[data-test="other-nodes"] a');
    const hrefs = await links.evaluateAll((as) => as.map((x) => (x as HTMLAnchorElement).href));
    expect(hrefs.sort()).toEqual(others.map((t) => `http://127.0.0.1:${t.http.uiPort}/#board`).sort());
    await shotBoth(page, 'offline-1280');
    await page.setViewportSize({ width: 420, height: 860 });
    await shotBoth(page, 'offline-420');
    await page.setViewportSize({ width: 1280, height: 860 });
    // reconnect to a live node on request: the name comes along (a cookie is per host, not per port)
    await links.first().click();
    await page.locator('[data-test="link-state"]', { hasText: 'Live' }).waitFor({ timeout: 15_000 });
    expect(others.map((t) => `http://127.0.0.1:${t.http.uiPort}/#board`)).toContain(page.url());
    expect(await page.locator('.user-btn').textContent()).toContain('carol');
    expect(await page.getByRole('dialog').count()).toBe(0);
    await row(page, 'srv-web-01').getByRole('button', { name: 'Reserve' }).waitFor({ timeout: 10_000 });
    expect(await row(page, 'srv-web-01').getByRole('button', { name: 'Reserve' }).isEnabled()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('logged no page errors', () => {
    expect(errors.flat()).toEqual([]);
  });
});
