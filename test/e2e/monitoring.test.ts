// Browser test of monitoring through the real UI: a real node, checks added over HTTP against a real
// target on 127.0.0.1, the Monitoring tab in Chromium showing each check with the verdict the node
// gives, the board row with the server's verdict, a check added through the admin form, and the view
// at 420 px without sideways scrolling. Screenshots go to test-artifacts/e2e/monitoring-*.png.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, waitFor, type TestCluster, type TestNode } from '../cluster/cluster-helpers.js';
import { addServers, ensureRendererBuilt, launchBrowser, openPage, SAMPLE, shot, shotBoth, skipReason, uiCluster, uiUrl } from './e2e-helpers.js';

interface ApiCheck {
  id: number;
  name: string;
  verdict: string;
  server: string | null;
}

describe.skipIf(skipReason !== null)(`monitoring in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let browser: Browser;
  let c: TestCluster;
  let n: TestNode;
  let p: Page;
  let errors: string[] = [];
  let target: Server;
  let targetUrl = '';
  const ids: Record<string, number> = {};

  async function checks(): Promise<ApiCheck[]> {
    const r = await api<{ checks: ApiCheck[] }>(n.api, 'GET', '/api/checks');
    if (r.status !== 200) throw new Error(`GET /api/checks: ${r.status}`);
    return r.body.checks;
  }
  async function addCheck(body: Record<string, unknown>): Promise<number> {
    const r = await api<{ check?: { id: number }; id?: number }>(n.api, 'POST', '/api/checks', body);
    if (r.status !== 200 && r.status !== 201) throw new Error(`POST /api/checks: ${r.status} ${JSON.stringify(r.body)}`);
    const id = r.body.check?.id ?? r.body.id;
    if (typeof id !== 'number') throw new Error(`POST /api/checks answered no id: ${JSON.stringify(r.body)}`);
    return id;
  }
  /** the page shows the verdict the node gives now (both may move: wait until they agree) */
  async function agrees(id: number, scope = `[data-check="${id}"] .verdict`): Promise<string> {
    return waitFor(
      `the page to show check ${id}'s verdict`,
      async () => {
        const node = (await checks()).find((x) => x.id === id)?.verdict;
        const shown = await p.locator(scope).first().getAttribute('data-verdict', { timeout: 500 }).catch(() => null);
        return node && shown === node ? node : null;
      },
      20_000,
      100,
    );
  }

  beforeAll(async () => {
    ensureRendererBuilt();
    // a real HTTP target on loopback: "ok" on /health, 503 elsewhere
    target = createServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(req.url === '/health' ? 'ok' : 'unavailable');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    c = await uiCluster(['n1']);
    n = c.nodes[0]!;
    await addServers(n, SAMPLE);
    ids.health = await addCheck({ name: 'Storefront health', type: 'http', target: `${targetUrl}/health`, intervalSec: 5, timeoutMs: 1000, retries: 0, server: 'srv-web-01', keyword: 'ok' });
    ids.broken = await addCheck({ name: 'Billing status page', type: 'http', target: `${targetUrl}/status`, intervalSec: 5, timeoutMs: 1000, retries: 0, server: 'srv-app-01' });
    ids.alone = await addCheck({ name: 'Loopback port', type: 'tcp', target: `127.0.0.1:${(target.address() as AddressInfo).port}`, intervalSec: 10, timeoutMs: 1000, retries: 1 });
    const opened = await openPage(browser, uiUrl(n, 'monitoring'), 'carol');
    p = opened.page;
    errors = opened.errors;
  });

  afterAll(async () => {
    await browser?.close();
    await c?.close();
    await new Promise((r) => target?.close(r));
  });

  it('lists every check with the verdict the node gives, its type, target and server', async () => {
    await p.locator('[data-check]').nth(2).waitFor({ timeout: 10_000 });
    expect(await p.locator('[data-check]').count()).toBe(3);
    const health = p.locator(`[data-check="${ids.health}"]`);
    expect(await health.locator('.check-name').textContent()).toBe('Storefront health');
    expect(await health.locator('.check-type').textContent()).toBe('http');
    expect(await health.locator('[data-test="check-target"]').textContent()).toBe(`${targetUrl}/health`);
    expect(await health.locator('[data-test="check-server"]').textContent()).toBe('srv-web-01');
    expect(await p.locator(`[data-check="${ids.alone}"] [data-test="check-server"]`).textContent()).toBe('—');
    for (const id of Object.values(ids)) {
      const v = await agrees(id);
      // the badge says it in words, not colour alone
      const word = { UP: 'Up', DOWN: 'Down', PARTIAL: 'Partial', UNKNOWN: 'Unknown' }[v];
      expect(await p.locator(`[data-check="${id}"] .verdict`).first().textContent()).toContain(word);
    }
    await shotBoth(p, 'monitoring');
  });

  it('the board shows each server its worst verdict in the row, beside its reservation status', async () => {
    await p.locator('[data-tab="board"]').click();
    const row = p.locator('tr[data-host="srv-web-01"]');
    await row.locator('[data-test="server-verdict"]').waitFor({ timeout: 10_000 });
    expect(await row.locator('.status-cell [data-status]').textContent()).toBe('Available');
    const v = await agrees(ids.health!, 'tr[data-host="srv-web-01"] [data-test="server-verdict"]');
    expect(await row.locator('[data-test="server-verdict"]').getAttribute('title')).toBe(`Storefront health: ${{ UP: 'Up', DOWN: 'Down', PARTIAL: 'Partial', UNKNOWN: 'Unknown' }[v]}`);
    // servers without checks show none
    expect(await p.locator('tr[data-host="srv-db-01"] [data-test="server-verdict"]').count()).toBe(0);
    await shotBoth(p, 'monitoring-board');
  });

  it('an admin adds a check through the form, and the node has it', async () => {
    await p.locator('[data-tab="monitoring"]').click();
    await p.locator('[data-test="add-check"]').click();
    const form = p.locator('[data-test="check-form"]');
    await form.getByLabel('Name').fill('Health from the form');
    await form.getByLabel('Target').fill(`${targetUrl}/health`);
    await form.getByLabel('Interval (s)').fill('5');
    await form.getByLabel('Timeout (ms)').fill('800');
    await form.getByLabel('Server').selectOption('srv-db-01');
    await form.getByLabel('Expected status').fill('200');
    await form.getByRole('button', { name: 'Add check' }).click();
    const added = await waitFor('the node to list the new check', async () => (await checks()).find((x) => x.name === 'Health from the form'), 10_000);
    expect(added.server).toBe('srv-db-01');
    await p.locator(`[data-check="${added.id}"]`).waitFor({ timeout: 10_000 });
    await p.locator('[data-test="check-form"]').waitFor({ state: 'detached', timeout: 5000 });
  });

  it('at 420 px wide nothing scrolls sideways, and the view still reads', async () => {
    await p.setViewportSize({ width: 420, height: 900 });
    await p.locator('[data-check]').first().waitFor();
    await shot(p, 'monitoring-narrow');
    const overflow = await p.evaluate(() => {
      const main = document.querySelector('main')!;
      // what sticks out, named, so a failure says where
      const out = [...document.querySelectorAll<HTMLElement>('body *')]
        .filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5 && !e.closest('.loc-wrap, .table-wrap'))
        .slice(0, 5)
        .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`);
      return { page: document.documentElement.scrollWidth - innerWidth, main: main.scrollWidth - main.clientWidth, out };
    });
    expect(overflow).toEqual({ page: 0, main: 0, out: [] });
    await p.locator('[data-tab="board"]').click();
    await p.locator('tr[data-host="srv-web-01"] [data-test="server-verdict"]').waitFor();
    const boardOverflow = await p.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    expect(boardOverflow).toBeLessThanOrEqual(0);
    await shot(p, 'monitoring-board-narrow');
    await p.setViewportSize({ width: 1440, height: 900 });
  });

  it('the page logged no error', () => {
    expect(errors).toEqual([]);
  });
});
