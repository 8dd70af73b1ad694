// TEST STUB: in-memory monitoring methods laid over the FakeApi for the monitoring view's tests, until
// the real fake (renderer/src/api/fake-api.ts, another branch) implements them. It records calls in
// api.calls like the fake does, answers admin calls with FORBIDDEN when `admin` is false, and checks
// only what the tests need (the node's schema is tested in node-core).
import type { Alert, CheckInput, CheckSeries, CheckView, ErrorValue, NotificationInput, NotificationTargetView, Result } from '../../../node-core/src/api/peer-api.js';
import type { FakeApi } from '../../../renderer/src/api/fake-api.js';

export interface MonitorStub {
  checks: CheckView[];
  alerts: Alert[];
  targets: NotificationTargetView[];
  series: Map<number, CheckSeries>;
  admin: boolean;
  /** the next call of this method answers with this error */
  failNext(method: string, error: ErrorValue): void;
}

const FORBIDDEN: ErrorValue = { code: 'FORBIDDEN', message: 'this needs the admin token' } as ErrorValue;

export function check(id: number, over: Partial<CheckView> = {}): CheckView {
  return {
    id,
    name: `check ${id}`,
    type: 'http',
    target: `http://10.0.0.${id}/health`,
    server: null,
    intervalSec: 30,
    timeoutMs: 2000,
    retries: 1,
    enabled: true,
    method: 'GET',
    createdAt: 0,
    updatedAt: 0,
    createdBy: 'admin',
    verdict: 'UP',
    verdictSince: null,
    locations: [],
    uptime24h: 1,
    uptime7d: 0.9987,
    ...over,
  };
}

/** Adds the monitoring methods to `api` (replacing any it has) and returns the state behind them. */
export function withMonitoring(api: FakeApi, init: Partial<Pick<MonitorStub, 'checks' | 'alerts' | 'targets' | 'admin'>> = {}): MonitorStub {
  const state: MonitorStub & { fail: Map<string, ErrorValue> } = {
    checks: init.checks ?? [],
    alerts: init.alerts ?? [],
    targets: init.targets ?? [],
    series: new Map(),
    admin: init.admin ?? true,
    fail: new Map(),
    failNext(method, error) {
      state.fail.set(method, error);
    },
  };
  let nextId = Math.max(0, ...state.checks.map((c) => c.id)) + 1;
  let nextTarget = Math.max(0, ...state.targets.map((t) => t.id)) + 1;
  function answer<T>(method: string, args: unknown[], admin: boolean, run: () => Result<T>): Promise<Result<T>> {
    api.calls.push({ method, args: structuredClone(args) });
    const f = state.fail.get(method);
    if (f) {
      state.fail.delete(method);
      return Promise.resolve({ ok: false, error: f });
    }
    if (admin && !state.admin) return Promise.resolve({ ok: false, error: FORBIDDEN });
    return Promise.resolve(run());
  }
  const notFound = (id: number): Result<never> => ({ ok: false, error: { code: 'NOT_FOUND', message: `no check with id ${id}` } as ErrorValue });
  Object.assign(api, {
    listChecks: () => answer('listChecks', [], false, () => ({ ok: true, value: structuredClone(state.checks) })),
    addCheck: (input: CheckInput) =>
      answer('addCheck', [input], true, () => {
        const c = check(nextId++, { ...input, server: input.server ?? null, verdict: 'UNKNOWN', uptime24h: null, uptime7d: null } as Partial<CheckView>);
        state.checks = [...state.checks, c];
        return { ok: true, value: c };
      }),
    updateCheck: (id: number, patch: Partial<CheckInput>) =>
      answer('updateCheck', [id, patch], true, () => {
        const i = state.checks.findIndex((c) => c.id === id);
        if (i < 0) return notFound(id);
        const c = { ...state.checks[i]!, ...patch } as CheckView;
        state.checks = state.checks.map((x) => (x.id === id ? c : x));
        return { ok: true, value: c };
      }),
    removeCheck: (id: number) =>
      answer('removeCheck', [id], true, () => {
        if (!state.checks.some((c) => c.id === id)) return notFound(id);
        state.checks = state.checks.filter((c) => c.id !== id);
        return { ok: true, value: { id } };
      }),
    checkSeries: (id: number, hours: number) =>
      answer('checkSeries', [id, hours], false, () => ({ ok: true, value: state.series.get(id) ?? { checkId: id, location: 'here', points: [] } })),
    listAlerts: (limit?: number) => answer('listAlerts', [limit], false, () => ({ ok: true, value: state.alerts.slice(0, limit ?? 50) })),
    listNotifications: () => answer('listNotifications', [], true, () => ({ ok: true, value: structuredClone(state.targets) })),
    addNotification: (input: NotificationInput) =>
      answer('addNotification', [input], true, () => {
        const t: NotificationTargetView = { id: nextTarget++, type: input.type, url: input.url, name: input.name ?? '', hasSecret: !!input.secret, createdAt: 0, createdBy: 'admin' };
        state.targets = [...state.targets, t];
        return { ok: true, value: t };
      }),
    removeNotification: (id: number) =>
      answer('removeNotification', [id], true, () => {
        state.targets = state.targets.filter((t) => t.id !== id);
        return { ok: true, value: { id } };
      }),
  });
  return state;
}
