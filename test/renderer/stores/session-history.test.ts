// The session store (name in localStorage on the web, in settings on the desktop; the token) and the
// history store (filters, paging, stale answers ignored).
import { beforeEach, describe, expect, it } from 'vitest';
import { demoBoard } from '../../../renderer/src/api/demo-data.js';
import { TOKEN_KEY } from '../../../renderer/src/api/select-api.js';
import { HISTORY_PAGE_SIZE, useHistoryStore } from '../../../renderer/src/stores/history-store.js';
import { USER_KEY, useSessionStore } from '../../../renderer/src/stores/session-store.js';
import { NOW, rig, SETTINGS } from '../helpers.js';


beforeEach(() => localStorage.clear());

describe('useSessionStore', () => {
  it('web mode: asks for a name, keeps it in localStorage, rejects bad names', async () => {
    rig();
    const session = useSessionStore();
    await session.load();
    expect(session.isDesktop).toBe(false);
    expect(session.needsName).toBe(true);
    expect((await session.setUser('   ')).ok).toBe(false);
    expect((await session.setUser('x'.repeat(65))).ok).toBe(false);
    expect((await session.setUser('a\u0007b')).ok).toBe(false);
    expect(await session.setUser('  dana ')).toEqual({ ok: true, value: 'dana' });
    expect(localStorage.getItem(USER_KEY)).toBe('dana');
    expect(session.needsName).toBe(false);
    session.setToken(' tok ');
    expect(localStorage.getItem(TOKEN_KEY)).toBe('tok');
    session.setToken('');
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
  });

  it('desktop: reads the name from settings and onboards through saveSettings', async () => {
    const { api } = rig({ settings: { ...SETTINGS } });
    const session = useSessionStore();
    await session.load();
    expect(session.needsOnboarding).toBe(true);
    expect(session.needsName).toBe(false);
    const r = await session.completeOnboarding({ user: 'dana', clusterKey: 'k'.repeat(20) });
    expect(r.ok).toBe(true);
    expect(api.settings).toMatchObject({ user: 'dana', clusterKey: 'k'.repeat(20), onboarded: true });
    expect(session.needsOnboarding).toBe(false);
    expect(session.user).toBe('dana');
  });
});

describe('useHistoryStore', () => {
  it('filters and pages through the history', async () => {
    const { api } = rig({ board: demoBoard(NOW) });
    const history = useHistoryStore();
    await history.load();
    expect(history.page?.total).toBe(40);
    expect(history.page?.items).toHaveLength(HISTORY_PAGE_SIZE);
    await history.next();
    expect(history.page?.offset).toBe(HISTORY_PAGE_SIZE);
    expect(history.page?.items).toHaveLength(40 - HISTORY_PAGE_SIZE);
    await history.next(); // already on the last page
    expect(history.offset).toBe(HISTORY_PAGE_SIZE);
    history.filters.user = 'alice';
    history.filters.result = 'ok';
    await history.applyFilters();
    expect(history.offset).toBe(0);
    expect(history.page?.items.every((h) => h.user === 'alice' && h.result === 'ok')).toBe(true);
    // the cluster's bookkeeping rows stay out unless asked for, or unless an operation is chosen
    expect(api.calls.at(-1)?.args[0]).toEqual({ limit: HISTORY_PAGE_SIZE, offset: 0, user: 'alice', result: 'ok', system: false });
    history.filters.system = true;
    await history.applyFilters();
    expect(api.calls.at(-1)?.args[0]).toEqual({ limit: HISTORY_PAGE_SIZE, offset: 0, user: 'alice', result: 'ok' });
    history.filters.system = false;
    history.filters.operation = 'user-register';
    await history.applyFilters();
    expect(api.calls.at(-1)?.args[0]).toEqual({ limit: HISTORY_PAGE_SIZE, offset: 0, user: 'alice', result: 'ok', operation: 'user-register' });
  });

  it('shows the error of a failed load', async () => {
    const { api } = rig({ board: demoBoard(NOW) });
    const history = useHistoryStore();
    api.failNext('history', { code: 'BAD_REQUEST', message: 'query string: limit must be at most 500' });
    await history.load();
    expect(history.error?.message).toMatch(/limit/);
  });
});
