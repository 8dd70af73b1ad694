// The access matrix on real loopback HTTP: no tokens (all open), user token, admin token, wrong or
// missing token, only one token configured; plus the constant-time comparison and header parsing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerToken, hostAllowed, identify, tokenEquals } from '../../../node-core/src/http/auth.js';
import { type Harness, call, expectError, startHarness, getWithHost } from './helpers.js';

const ADMIN = 'admin-token-123456';
const USER = 'user-token-abcdef';


/** One request per access level: [what, url, init]. */
function requests(base: string) {
  return {
    read: [`${base}/api/state`, {}] as const,
    metrics: [`${base}/metrics`, {}] as const,
    user: [`${base}/api/servers/server-01/queue`, { json: { user: `u-${Math.random().toString(36).slice(2, 8)}`, durationSec: 60 } }] as const,
    admin: [`${base}/api/servers`, { json: { host: `h-${Math.random().toString(36).slice(2, 8)}` } }] as const,
    promote: [`${base}/promote`, { json: { role: 'master', ip: '127.0.0.1' } }] as const,
    forceRelease: [`${base}/api/servers/server-02/release`, { json: { user: 'bob', force: true } }] as const,
  };
}
type Kind = keyof ReturnType<typeof requests>;

async function statusOf(h: Harness, kind: Kind, token?: string): Promise<number> {
  const [url, init] = requests(h.api)[kind];
  const r = await call(url, { ...init, ...(token ? { token } : {}) });
  if (r.status >= 400) expect(['UNAUTHORIZED', 'FORBIDDEN', 'CONFLICT']).toContain(r.body.code);
  return r.status;
}

describe('no tokens configured', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ uiPort: -1 });
    await h.node.submit({ type: 'reserve', host: 'server-02', user: 'ann', until: Math.floor(Date.now() / 1000) + 3600 }, { user: 'ann' });
  });
  afterAll(() => h.close());

  it('allows every request, with or without a token', async () => {
    for (const kind of ['read', 'metrics', 'user', 'admin', 'promote'] as const) {
      expect(await statusOf(h, kind), kind).toBeLessThan(300);
      expect(await statusOf(h, kind, 'anything-at-all'), kind).toBeLessThan(300);
    }
    expect(await statusOf(h, 'forceRelease')).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding) and accepts the local names', async () => {
    const port = h.http.apiPort;
    for (const host of ['evil.example', `evil.example:${port}`, `10.0.0.5:${port}`]) {
      const r = await getWithHost(port, '/api/state', host);
      expect(r.status, host).toBe(403);
      expect(r.body).toMatchObject({ success: false, code: 'FORBIDDEN' });
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
      expect((await getWithHost(port, '/api/state', host)).status, host).toBe(200);
    }
  });
});

describe('user and admin tokens configured', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ uiPort: -1, adminToken: ADMIN, userToken: USER });
  });
  afterAll(() => h.close());

  const matrix: Array<[Kind, number, number, number, number]> = [
    // kind, no token, wrong token, user token, admin token
    ['read', 401, 401, 200, 200],
    ['metrics', 401, 401, 200, 200],
    ['user', 401, 401, 200, 200],
    ['admin', 401, 401, 403, 201],
    ['promote', 401, 401, 403, 200],
  ];
  it.each(matrix)('%s: none %i, wrong %i, user %i, admin %i', async (kind, none, wrong, user, admin) => {
    expect(await statusOf(h, kind)).toBe(none);
    expect(await statusOf(h, kind, 'wrong-token-000000')).toBe(wrong);
    expect(await statusOf(h, kind, USER)).toBe(user);
    expect(await statusOf(h, kind, ADMIN)).toBe(admin);
  });

  it('answers in seed 002 shape with a message saying what to send', async () => {
    const none = expectError(await call(`${h.api}/api/state`), 401, 'UNAUTHORIZED');
    expect(none.message).toContain('Authorization: Bearer');
    expectError(await call(`${h.api}/api/state`, { headers: { authorization: `Basic ${USER}` } }), 401, 'UNAUTHORIZED');
    const forbidden = expectError(await call(`${h.api}/api/servers`, { json: { host: 'x1' }, token: USER }), 403, 'FORBIDDEN');
    expect(forbidden.message).toContain('admin');
  });

  it('a forced release needs the admin token', async () => {
    await h.node.submit({ type: 'reserve', host: 'server-02', user: 'ann', until: Math.floor(Date.now() / 1000) + 3600 }, { user: 'ann' });
    const r = await call(`${h.api}/api/servers/server-02/release`, { json: { user: 'bob', force: true }, token: USER });
    expectError(r, 403, 'FORBIDDEN');
    expect(h.node.servers.get('server-02')!.holder).toBe('ann');
    const ok = await call(`${h.api}/api/servers/server-02/release`, { json: { user: 'bob', force: true }, token: ADMIN });
    expect(ok.status).toBe(200);
    expect(h.node.servers.get('server-02')!.holder).toBeNull();
  });

  it('auth is checked before the body is read: an unauthenticated bad or huge body is 401', async () => {
    expectError(await call(`${h.api}/api/servers`, { raw: '{bad' }), 401, 'UNAUTHORIZED');
    expectError(await call(`${h.api}/api/servers`, { raw: 'x'.repeat(2 * 1024 * 1024) }), 401, 'UNAUTHORIZED');
    expectError(await call(`${h.api}/api/servers`, { raw: '{bad', token: ADMIN }), 400, 'BAD_REQUEST');
    expectError(await call(`${h.api}/api/servers`, { json: { host: 'x2' } }), 401, 'UNAUTHORIZED');
    expect(h.node.servers.has('x2')).toBe(false);
  });
});

describe('only an admin token configured', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ uiPort: -1, adminToken: ADMIN });
  });
  afterAll(() => h.close());

  it('every request needs the admin token', async () => {
    expect(await statusOf(h, 'read')).toBe(401);
    expect(await statusOf(h, 'read', ADMIN)).toBe(200);
    expect(await statusOf(h, 'admin', ADMIN)).toBe(201);
  });
});

describe('only a user token configured', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ uiPort: -1, userToken: USER });
  });
  afterAll(() => h.close());

  it('user operations work; admin operations are disabled with a clear message', async () => {
    expect(await statusOf(h, 'user', USER)).toBe(200);
    const r = await call(`${h.api}/api/servers`, { json: { host: 'x3' }, token: USER });
    expect(expectError(r, 403, 'FORBIDDEN').message).toContain('no adminToken is configured');
  });
});

describe('token helpers', () => {
  it('checks Host only in tokenless loopback mode', () => {
    expect(hostAllowed({}, 'evil.example')).toBe(false);
    expect(hostAllowed({}, undefined)).toBe(false);
    expect(hostAllowed({ userToken: USER }, 'evil.example')).toBe(true);
    expect(hostAllowed({ httpBindAddress: '0.0.0.0' }, 'board.lan:8777')).toBe(true);
    expect(hostAllowed({ httpBindAddress: '127.0.0.5' }, 'evil.example')).toBe(false);
  });

  it('compares tokens exactly', () => {
    expect(tokenEquals(ADMIN, ADMIN)).toBe(true);
    expect(tokenEquals(ADMIN, `${ADMIN}x`)).toBe(false);
    expect(tokenEquals('', ADMIN)).toBe(false);
  });

  it('parses the bearer scheme only', () => {
    expect(bearerToken(`Bearer ${USER}`)).toBe(USER);
    expect(bearerToken(`bearer ${USER}`)).toBe(USER);
    expect(bearerToken(`Basic ${USER}`)).toBeNull();
    expect(bearerToken('Bearer')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('identifies the caller', () => {
    expect(identify({}, undefined)).toBe('open');
    expect(identify({ adminToken: ADMIN, userToken: USER }, `Bearer ${ADMIN}`)).toBe('admin');
    expect(identify({ adminToken: ADMIN, userToken: USER }, `Bearer ${USER}`)).toBe('user');
    expect(() => identify({ adminToken: ADMIN }, `Bearer ${USER}`)).toThrow(/not valid/);
  });
});
