// Browser tests of a fresh cluster's first steps through the UI: the empty board, adding a server,
// importing a ServersData JSON (and refusing a bad one), the maintenance switch with its reason, and
// the history that records all of it by node name; the header names the master on every node's
// page, and toasts never sit over a button; each change is checked on the nodes and on another
// node's page.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type TestCluster } from '../cluster/cluster-helpers.js';
import { ensureRendererBuilt, launchBrowser, openPage, shotBoth, skipReason, uiCluster, uiUrl } from './e2e-helpers.js';

const IMPORT = {
  serversList: [
    { host: 'imp-01', app: 'Search', ip: '10.1.0.1', env: 'qa' },
    { host: 'imp-02', app: 'Search', ip: '10.1.0.2', env: 'qa', comment: 'from the import' },
    { host: 'imp-03', app: 'Reports', ip: '10.1.0.3', env: 'perf' },
  ],
};

describe.skipIf(skipReason !== null)(`admin and history in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let browser: Browser;
  let c: TestCluster;
  let p: Page; // on node 1
  let q: Page; // on node 3, to see the changes arrive
  const errors: string[][] = [];

  beforeAll(async () => {
    ensureRendererBuilt();
    browser = await launchBrowser();
    c = await uiCluster();
    const a = await openPage(browser, uiUrl(c.nodes[0]!), 'carol');
    const b = await openPage(browser, uiUrl(c.nodes[2]!), 'dave');
    p = a.page;
    q = b.page;
    errors.push(a.errors, b.errors);
  });

  /** Buttons in view whose centre is covered by something else (a toast): none, or their names. */
  async function coveredButtons(page: Page, scope: string): Promise<string[]> {
    return page.evaluate((sel) => {
      const out: string[] = [];
      for (const b of document.querySelectorAll<HTMLElement>(`${sel} button, ${sel} input[type="checkbox"]`)) {
        if (b.closest('.toasts')) continue;
        const r = b.getBoundingClientRect();
        if (r.width === 0 || r.bottom <= 0 || r.top >= innerHeight || r.right <= 0 || r.left >= innerWidth) continue;
        // a button scrolled out of main's own view is hidden by the scroll, not by a toast
        const clip = b.closest('main')?.getBoundingClientRect();
        if (clip && (r.top + r.height / 2 >= clip.bottom || r.top + r.height / 2 <= clip.top)) continue;
        const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        if (at && !b.contains(at) && at.closest('.toasts')) out.push(b.textContent?.trim() || b.getAttribute('aria-label') || b.tagName);
      }
      return out;
    }, scope);
  }

  afterAll(async () => {
    await browser?.close();
    await c?.close();
  });

  it('a fresh cluster shows the empty board with the way forward', async () => {
    const empty = p.locator('[data-test="empty-board"]');
    await empty.waitFor({ timeout: 10_000 });
    expect(await empty.textContent()).toContain('No servers on the board yet');
    await shotBoth(p, 'empty-board');
    await empty.getByRole('button', { name: 'Add or import servers' }).click();
    await p.locator('#admin-title').waitFor();
    expect(await p.locator('[data-tab="admin"]').getAttribute('aria-current')).toBe('page');
  });

  it("every node's page names the master in its header", async () => {
    const m = c.master()!;
    for (const page of [p, q]) {
      await page.locator('[data-test="header-master"]', { hasText: `Master: ${m.node.name}` }).waitFor({ timeout: 5000 });
    }
    expect(m.node.name).toMatch(/^n\d@/); // no name configured: user@host
  });

  it('adds a server through the form; a bad host is refused before it is sent', async () => {
    const form = p.locator('.server-form').first();
    await form.getByLabel('Host').fill('bad host!');
    await form.getByRole('button', { name: 'Add server' }).click();
    expect(await form.getByRole('alert').textContent()).toMatch(/^Host: /);
    await form.getByLabel('Host').fill('web-07');
    await form.getByLabel('App').fill('Checkout');
    await form.getByLabel('IP').fill('10.2.0.7');
    await form.getByLabel('Env').fill('preprod');
    await form.getByRole('button', { name: 'Add server' }).click();
    await p.locator('.admin tr.row[data-host="web-07"]').waitFor({ timeout: 5000 });
    await waitFor('web-07 on every node', () => c.nodes.every((t) => t.node.server('web-07')?.app === 'Checkout'), 5000);
    // the other node's page left its empty state by itself
    await q.locator('tr.row[data-host="web-07"]').waitFor({ timeout: 5000 });
    expect(await form.getByLabel('Host').inputValue()).toBe('');
  });

  it('imports a ServersData JSON pasted into the form; bad JSON is explained and not sent', async () => {
    const box = p.getByLabel('…or paste ServersData JSON');
    const importBtn = p.getByRole('button', { name: 'Import', exact: true });
    await box.fill('{"serversList": [{"host": "x-1",');
    expect(await p.locator('[data-test="import-error"]').textContent()).toMatch(/^Not valid JSON/);
    expect(await importBtn.isDisabled()).toBe(true);
    await box.fill('{"serversList": [{"host": "x-1", "app": 7}]}');
    expect(await p.locator('[data-test="import-error"]').textContent()).toContain('"app" must be a string');
    // what the node refuses, the page refuses: a bare list, a misspelt field
    await box.fill('[{"host": "x-1"}]');
    expect(await p.locator('[data-test="import-error"]').textContent()).toContain('not a bare list');
    await box.fill('{"serversList": [{"host": "x-1", "hostname": "x"}]}');
    expect(await p.locator('[data-test="import-error"]').textContent()).toContain('unknown field "hostname"');
    await box.fill(JSON.stringify(IMPORT, null, 2));
    await p.getByText('3 servers ready to import.').waitFor();
    await shotBoth(p, 'admin');
    const answer = p.waitForResponse((r) => r.url().endsWith('/api/servers/import'));
    await importBtn.click();
    expect((await answer).status()).toBe(200);
    await p.locator('.toast', { hasText: 'Imported 3 servers.' }).waitFor({ timeout: 5000 });
    await waitFor('the import on every node', () => c.nodes.every((t) => IMPORT.serversList.every((s) => t.node.server(s.host)?.env === s.env)), 5000);
    expect(c.nodes[0]!.node.server('web-07')).toBeDefined(); // merged, not replaced
    expect(c.nodes[0]!.node.server('x-1')).toBeUndefined();
    await q.locator('tr.row[data-host="imp-03"]').waitFor({ timeout: 5000 });
    expect(await q.locator('tr.row').count()).toBe(4);
  });

  it('toasts never sit over a button: they take their own room under the scrolling page, dialogs above them', async () => {
    await p.locator('.toast', { hasText: 'Imported 3 servers.' }).waitFor({ timeout: 5000 });
    // at the top, in the middle and at the end of the page (main scrolls; the toasts are below it)
    for (const at of [0, 0.5, 1]) {
      await p.evaluate((f) => {
        const m = document.querySelector('main')!;
        m.scrollTop = f * (m.scrollHeight - m.clientHeight);
      }, at);
      expect(await coveredButtons(p, 'main'), `scrolled to ${at * 100} %`).toEqual([]);
    }
    await p.locator('.admin tr.row[data-host="imp-03"]').getByRole('button', { name: 'Remove' }).click();
    const dialog = p.getByRole('dialog');
    await dialog.waitFor();
    expect(await coveredButtons(p, '[role="dialog"]')).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('the maintenance switch asks why, and takes a server out of service for everyone', async () => {
    const sw = p.getByRole('switch', { name: 'Maintenance for imp-02' });
    await sw.click();
    const ask = p.getByRole('dialog');
    await ask.getByText('Put imp-02 in maintenance?').waitFor();
    expect(await sw.isChecked()).toBe(false);
    await ask.getByLabel(/^Reason/).fill('kernel upgrade');
    await shotBoth(p, 'admin-maintenance-reason');
    await ask.getByRole('button', { name: 'Start maintenance' }).click();
    await waitFor('imp-02 in maintenance on every node', () => c.nodes.every((t) => t.node.server('imp-02')?.maintenance === true), 5000);
    for (const t of c.nodes) expect(t.node.server('imp-02')).toMatchObject({ maintenanceReason: 'kernel upgrade', maintenanceBy: 'carol' });
    await p.locator('.admin tr.row[data-host="imp-02"] .switch', { hasText: 'On' }).waitFor({ timeout: 5000 });
    expect(await p.locator('.admin tr.row[data-host="imp-02"] [data-test="maintenance-why"]').textContent()).toContain('kernel upgrade (carol)');
    const remote = q.locator('tr.row[data-host="imp-02"]');
    await remote.locator('.badge', { hasText: 'Maintenance' }).waitFor({ timeout: 5000 });
    // a server in maintenance offers no Reserve
    expect(await remote.getByRole('button', { name: 'Reserve' }).count()).toBe(0);
    await shotBoth(q, 'board-maintenance');
    await sw.click();
    await waitFor('imp-02 back in service', () => c.nodes.every((t) => t.node.server('imp-02')?.maintenance === false), 5000);
    await remote.getByRole('button', { name: 'Reserve' }).waitFor({ timeout: 5000 });
  });

  it('the history lists every operation, newest first, and filters by operation', async () => {
    await q.locator('tr.row[data-host="imp-01"]').getByRole('button', { name: 'Reserve' }).click();
    await q.getByRole('dialog').getByRole('button', { name: 'Reserve', exact: true }).click();
    await q.locator('tr.row[data-host="imp-01"] td.holder', { hasText: 'dave' }).waitFor({ timeout: 5000 });
    await p.locator('[data-tab="history"]').click();
    const rows = p.locator('section[aria-labelledby="history-title"] tr.row');
    await waitFor('5 history rows', async () => (await rows.count()) >= 5, 5000);
    const ops = await rows.locator('td:nth-child(3)').allTextContents();
    expect(ops.slice(0, 5)).toEqual(['reserve', 'maintenance', 'maintenance', 'servers-import', 'server-add']);
    const first = rows.first();
    expect(await first.locator('td').nth(1).textContent()).toBe('dave');
    expect(await first.locator('td').nth(3).textContent()).toBe('imp-01');
    // the node by name, never a bare IP; the import's summary in its own column
    expect(await first.locator('[data-test="history-node"]').textContent()).toBe(c.nodes[2]!.node.name);
    for (const n of await rows.locator('[data-test="history-node"]').allTextContents()) expect(n).not.toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await rows.nth(3).locator('[data-test="history-changes"]').textContent()).toBe('3 added, 0 updated, 0 removed');
    expect(await rows.nth(1).locator('td').last().textContent()).toBe('');
    expect(await rows.nth(2).locator('td').last().textContent()).toBe('kernel upgrade');
    // the admin edits made in carol's browser are hers in the history, not the node's user
    expect((await rows.locator('td:nth-child(2)').allTextContents()).slice(1, 5)).toEqual(['carol', 'carol', 'carol', 'carol']);
    await shotBoth(p, 'history');
    await p.getByLabel('Operation').selectOption('maintenance');
    await p.getByRole('button', { name: 'Apply' }).click();
    await waitFor('only maintenance rows', async () => {
      const list = await rows.locator('td:nth-child(3)').allTextContents();
      return list.length === 2 && list.every((o) => o === 'maintenance');
    }, 5000);
    expect(await p.locator('[data-test="history-span"]').textContent()).toBe('1–2 of 2 entries');
  });

  it('the Cluster and History views at 1280 and 420 px, light and dark (screenshots)', async () => {
    await p.getByLabel('Operation').selectOption('');
    await p.getByRole('button', { name: 'Apply' }).click();
    for (const width of [1280, 420]) {
      await p.setViewportSize({ width, height: 900 });
      await shotBoth(p, `history-${width}`);
      await p.locator('[data-tab="cluster"]').click();
      await p.locator('[data-test="node-name"]').first().waitFor();
      await shotBoth(p, `cluster-${width}`);
      await p.locator('[data-test="cluster-details"]').click();
      await p.locator('[data-test="node-id"]').first().waitFor();
      await shotBoth(p, `cluster-details-${width}`);
      await p.locator('[data-test="cluster-details"]').click();
      await p.locator('[data-tab="history"]').click();
    }
    await p.setViewportSize({ width: 1440, height: 900 });
  });

  it('logged no page errors', () => {
    expect(errors.flat()).toEqual([]);
  });
});
