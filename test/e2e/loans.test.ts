// Browser test of worker loans through the real UI: a real node (its LoanManager on a loopback loan
// port) whose board holds a lent and a borrowed worker, the Cluster view's Loans section and node rows,
// the Board's On loan row, a recall clicked by the admin, and the views at 420 px without sideways
// scrolling. Screenshots go to test-artifacts/e2e/loans-*.png.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type TestCluster, type TestNode } from '../cluster/cluster-helpers.js';
import { addServers, ensureRendererBuilt, launchBrowser, openPage, SAMPLE, shot, shotBoth, skipReason, uiCluster, uiUrl } from './e2e-helpers.js';

/** the other farm's master: 127.0.0.1:9, where nothing listens (a recall's message goes nowhere) */
const peer = { clusterId: 'team-red', masterId: 'red-master', address: '127.0.0.1', loanPort: 9, peerboard: true };

describe.skipIf(skipReason !== null)(`worker loans in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let browser: Browser;
  let c: TestCluster;
  let n: TestNode;
  let p: Page;
  let errors: string[] = [];
  let out = '';

  beforeAll(async () => {
    ensureRendererBuilt();
    c = await uiCluster(['l1']);
    n = c.nodes[0]!;
    await addServers(n, [...SAMPLE, { host: 'build-07', app: 'CI', ip: '10.0.0.77', env: 'dev', comment: 'runner' }]);
    const now = Date.now();
    out = `${n.node.nodeId}:node-b07:${now}`;
    await n.node.submit({ type: 'loan-start', loan: { id: out, direction: 'out', workerId: 'node-b07', workerName: 'build-07', peer, leaseMs: 3_600_000 } }, { user: 'system' });
    await n.node.submit({ type: 'loan-start', loan: { id: `green-master:node-9e02:${now}`, direction: 'in', workerId: 'node-9e02', workerName: 'green-worker-2', peer: { ...peer, clusterId: 'team-green', masterId: 'green-master' }, leaseMs: 3_600_000 } }, { user: 'system' });
    browser = await launchBrowser();
    ({ page: p, errors } = await openPage(browser, uiUrl(n, 'cluster'), 'dana'));
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await c?.close();
  });

  it('the Cluster view shows the Loans section and the borrowed worker marked', async () => {
    await p.locator('[data-test="loans"] [data-loan]').nth(1).waitFor({ timeout: 10_000 });
    expect(await p.locator('[data-test="farm-load"]').textContent()).toMatch(/Pool|known on the master only/);
    const guest = p.locator('[data-test="borrowed-node"]');
    expect(await guest.locator('[data-test="node-loan"]').textContent()).toBe('Borrowed from team-green');
    await shotBoth(p, 'loans-cluster');
  });

  it('the Board shows the lent node as On loan, to whom and until when', async () => {
    await p.locator('[data-tab="board"]').click();
    const row = p.locator('tr[data-host="build-07"]');
    await row.locator('[data-test="loan-note"]').waitFor({ timeout: 10_000 });
    expect(await row.locator('[data-status]').textContent()).toBe('On loan');
    expect(await row.locator('[data-test="loan-note"]').textContent()).toMatch(/^to team-red until \d{2}:\d{2}$/);
    await shot(p, 'loans-board');
  });

  it('at 420 px wide nothing scrolls sideways in the Cluster view or the Board', async () => {
    await p.setViewportSize({ width: 420, height: 900 });
    const overflow = async () =>
      p.evaluate(() => {
        const out = [...document.querySelectorAll<HTMLElement>('body *')]
          .filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5 && !e.closest('.table-wrap'))
          .slice(0, 5)
          .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`);
        return { page: document.documentElement.scrollWidth - innerWidth, out };
      });
    await shot(p, 'loans-board-narrow');
    // the Board: the page itself must not scroll sideways (its own panels are checked by the board tests)
    expect((await overflow()).page).toBe(0);
    await p.locator('[data-tab="cluster"]').click();
    await p.locator('[data-test="loans"] [data-loan]').first().waitFor();
    await shot(p, 'loans-cluster-narrow');
    expect(await overflow()).toEqual({ page: 0, out: [] });
    await p.setViewportSize({ width: 1440, height: 900 });
  });

  it('the admin recalls the lent worker: the node ends the loan (recalled) and the page moves it to recently ended', async () => {
    await p.setViewportSize({ width: 1440, height: 900 });
    await p.locator('[data-tab="cluster"]').click();
    await p.locator(`[data-loan="${out}"] [data-test="loan-recall"]`).click();
    await p.locator('.dialog-actions .btn-primary').click();
    await waitFor('the loan to end on the node', () => n.node.loans?.view().recent.find((l) => l.id === out)?.endReason === 'recalled' || null, 10_000, 50);
    await p.locator(`[data-loan="${out}"]`).waitFor({ state: 'detached', timeout: 10_000 });
    await p.locator('[data-test="recent-loans"] summary').click();
    expect(await p.locator('[data-test="recent-loans"]').textContent()).toMatch(/build-07 lent to team-red: recalled/);
    await shot(p, 'loans-recalled');
  });

  it('the page logged no error', () => {
    expect(errors).toEqual([]);
  });
});
