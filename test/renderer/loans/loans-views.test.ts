// Worker loans in the UI (issue 13), on the FakeApi whose loans are the real board's: the Cluster view's
// Loans section (load, neighbours, active and ended loans, recall/return for admins), node rows marked
// on loan / borrowed, and the Board showing a lent node's server as On loan with to whom and until when.
import type { VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoBoard } from '../../../renderer/src/api/demo-data.js';
import type { FakeApi } from '../../../renderer/src/api/fake-api.js';
import { demoFarm } from '../../../renderer/src/api/fake-loans.js';
import App from '../../../renderer/src/App.vue';
import { formatClock } from '../../../renderer/src/lib/time-format.js';
import { USER_KEY } from '../../../renderer/src/stores/session-store.js';
import { mountIn, NOW, rig, smallBoard, until } from '../helpers.js';

let wrapper: VueWrapper | null = null;
beforeEach(() => {
  localStorage.clear();
  localStorage.setItem(USER_KEY, 'dana');
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

const red = { clusterId: 'team-red', masterId: 'red-m', address: '192.168.7.20', loanPort: 8781, peerboard: true };
const green = { clusterId: 'team-green', masterId: 'green-m', address: '192.168.9.31', loanPort: 8781, peerboard: true };
const HOUR = 3_600_000;

/** the demo cluster's headless node (node-d2b8) lent to team-red as the board's api-05; a worker borrowed from team-green */
function startLoans(api: FakeApi): { out: string; inn: string } {
  const out = api.startLoan({ id: `node-a7f3:node-d2b8:${NOW}`, direction: 'out', workerId: 'node-d2b8', workerName: 'api-05', peer: red, leaseMs: HOUR }).id;
  const inn = api.startLoan({ id: `green-m:node-9e02:${NOW}`, direction: 'in', workerId: 'node-9e02', workerName: 'green-worker-2', peer: green, leaseMs: HOUR }).id;
  return { out, inn };
}

async function open(tab: string, admin = true) {
  history.replaceState(null, '', `#${tab}`);
  const r = rig({ board: smallBoard(demoBoard(NOW)), now: () => NOW });
  const ids = startLoans(r.api);
  const farm = demoFarm(NOW);
  r.api.loanControl.neighbours = farm.neighbours;
  r.api.loanControl.load = farm.load;
  if (!admin) r.api.invite = async () => ({ ok: false, error: { code: 'FORBIDDEN', message: 'this operation needs admin rights' } });
  wrapper = mountIn(r, App);
  await until(() => expect(r.api.calls.some((c) => c.method === 'loans')).toBe(true));
  return { ...r, ...ids, w: wrapper };
}

describe('the Cluster view', () => {
  it('shows the Loans section: farm load, neighbours up and down, active loans and none ended yet', async () => {
    const { w } = await open('cluster');
    await until(() => expect(w.findAll('[data-loan]')).toHaveLength(2));
    const loans = w.get('[data-test="loans"]');
    expect(loans.get('[data-test="farm-load"]').text()).toBe('Pool 4 (4 home, 1 borrowed, 1 lent) · needs 3 · lag p99 240 ms · CPU 46% · not saturated');
    expect(loans.get('[data-neighbour="team-red"]').text()).toContain('up');
    expect(loans.get('[data-neighbour="192.168.4.2"]').text()).toMatch(/down.*not verified/);
    const rows = loans.findAll('[data-loan]').map((r) => r.text());
    expect(rows.some((t) => t.includes('api-05') && t.includes('lent to team-red'))).toBe(true);
    expect(rows.some((t) => t.includes('green-worker-2') && t.includes('borrowed from team-green'))).toBe(true);
    expect(loans.find('[data-test="recent-loans"]').exists()).toBe(false);
  });

  it('marks node rows: the lent node "On loan to <farm> until <time>", the borrowed worker "Borrowed from <farm>"', async () => {
    const { w } = await open('cluster');
    await until(() => expect(w.findAll('[data-test="node-loan"]')).toHaveLength(2));
    const until_ = formatClock(Math.floor((NOW + HOUR) / 1000), NOW);
    expect(w.get('tr[data-node="node-d2b8"] [data-test="node-loan"]').text()).toBe(`On loan to team-red until ${until_}`);
    const guest = w.get('[data-test="borrowed-node"]');
    expect(guest.text()).toContain('green-worker-2');
    expect(guest.get('[data-test="node-loan"]').text()).toBe('Borrowed from team-green');
  });

  it('an admin recalls a lent worker: loan-end is committed through the real board, the loan moves to recently ended', async () => {
    const { w, api, out } = await open('cluster');
    await until(() => expect(w.findAll('[data-test="loan-recall"]')).toHaveLength(1));
    await w.get('[data-test="loan-recall"]').trigger('click');
    await until(() => expect(document.querySelector('.dialog-actions .btn-primary')).not.toBeNull());
    (document.querySelector('.dialog-actions .btn-primary') as HTMLButtonElement).click();
    await until(() => expect(api.calls.some((c) => c.method === 'recallLoan' && c.args[0] === out)).toBe(true));
    await until(() => expect(w.findAll('[data-loan]')).toHaveLength(1));
    expect(w.get('[data-test="recent-loans"]').text()).toMatch(/api-05 lent to team-red: recalled/);
    expect(api.board.history[0]).toMatchObject({ operation: 'loan-end', result: 'ok' });
    expect(w.find('tr[data-node="node-d2b8"] [data-test="node-loan"]').exists()).toBe(false);
  });

  it('a return that the node refuses shows its message in the dialog and changes nothing', async () => {
    const { w, api } = await open('cluster');
    await until(() => expect(w.findAll('[data-test="loan-return"]')).toHaveLength(1));
    api.failNext('returnLoan', { code: 'NOT_LEADER', message: 'only the master recalls or returns loans; ask the master' });
    await w.get('[data-test="loan-return"]').trigger('click');
    await until(() => expect(document.querySelector('.dialog-actions .btn-primary')).not.toBeNull());
    (document.querySelector('.dialog-actions .btn-primary') as HTMLButtonElement).click();
    await until(() => expect(document.querySelector('.form-error')?.textContent).toContain('ask the master'));
    expect(api.loanControl.view().active).toHaveLength(2);
  });

  it('shows no recall/return buttons to someone who is not an admin', async () => {
    const { w } = await open('cluster', false);
    await until(() => expect(w.findAll('[data-loan]')).toHaveLength(2));
    await new Promise((r) => setTimeout(r, 20));
    expect(w.find('[data-test="loan-recall"]').exists()).toBe(false);
    expect(w.find('[data-test="loan-return"]').exists()).toBe(false);
  });
});

describe('the Board', () => {
  it("shows the lent node's server as On loan with to whom and until when, and offers no Reserve", async () => {
    const { w } = await open('board');
    await until(() => expect(w.find('tr[data-host="api-05"] [data-test="loan-note"]').exists()).toBe(true));
    const cell = w.get('tr[data-host="api-05"] .status-cell');
    expect(cell.get('[data-status]').text()).toBe('On loan');
    expect(cell.get('[data-test="loan-note"]').text()).toBe(`to team-red until ${formatClock(Math.floor((NOW + HOUR) / 1000), NOW)}`);
    expect(w.get('tr[data-host="api-05"] .actions').text()).not.toContain('Reserve');
    // other servers keep their own status
    expect(w.get('tr[data-host="web-01"] [data-status]').text()).toBe('Available');
  });
});
