// The frontend port (8778) over real loopback HTTP: seed 000's /updateRole and its event stream,
// and web mode: the built UI from a temp dir with SPA fallback, security headers, and /api on the
// same origin under the same auth rules.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackAddress } from '../../../node-core/src/http/auth.js';
import { isSpaPath } from '../../../node-core/src/http/frontend.js';
import { type Harness, SseClient, call, expectError, startHarness, waitFor } from './helpers.js';

const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

function expectSecurityHeaders(headers: Headers): void {
  expect(headers.get('content-security-policy')).toContain(CSP);
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
}

/** A GET with the path sent exactly as written (fetch would normalise "..") */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('POST /updateRole (seed 000)', () => {
  let h: Harness;
  const seen: Array<{ role: string; ip: string }> = [];
  let throwInCallback = false;
  beforeAll(async () => {
    h = await startHarness(
      {},
      {
        onUpdateRole: (b) => {
          seen.push(b);
          if (throwInCallback) throw new Error('UI gone');
        },
      },
    );
  });
  afterAll(() => h.close());
  afterEach(() => {
    seen.length = 0;
    throwInCallback = false;
  });

  it('accepts each role, calls back with the body and answers success', async () => {
    for (const role of ['master', 'slave', 'candidate', 'observer']) {
      const r = await call(`${h.ui}/updateRole`, { json: { role, ip: '192.168.0.12' } });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ success: true });
      expectSecurityHeaders(r.headers);
    }
    expect(seen.map((b) => b.role)).toEqual(['master', 'slave', 'candidate', 'observer']);
    expect(seen[0]).toEqual({ role: 'master', ip: '192.168.0.12' });
  });

  it('refuses bad bodies without calling back', async () => {
    expect(expectError(await call(`${h.ui}/updateRole`, { json: { role: 'king', ip: 'x' } }), 400, 'BAD_REQUEST').message).toContain('field "role"');
    expect(expectError(await call(`${h.ui}/updateRole`, { json: { role: 'master' } }), 400, 'BAD_REQUEST').message).toContain('missing field "ip"');
    expect(expectError(await call(`${h.ui}/updateRole`, { json: { role: 'master', ip: 'x', x: 1 } }), 400, 'BAD_REQUEST').message).toContain(
      'unknown field "x"',
    );
    expect(expectError(await call(`${h.ui}/updateRole`, { raw: '{"role":' }), 400, 'BAD_REQUEST').message).toBe('request body is not valid JSON');
    expect(seen).toEqual([]);
  });

  it('a failing callback does not fail the request', async () => {
    throwInCallback = true;
    expect((await call(`${h.ui}/updateRole`, { json: { role: 'slave', ip: 'x' } })).status).toBe(200);
    expect(seen).toHaveLength(1);
  });

  it('GET /api/role-events streams hello then each updateRole body, and cleans up', async () => {
    const c = await SseClient.open(`${h.ui}/api/role-events`);
    expect(c.status).toBe(200);
    await waitFor(() => c.named('hello').length === 1, 'hello');
    expect(c.named('hello')[0]).toEqual({ role: 'master', ip: '127.0.0.1' });
    await call(`${h.ui}/updateRole`, { json: { role: 'slave', ip: '10.0.0.9' } });
    await waitFor(() => c.named('updateRole').length === 1, 'the role event');
    expect(c.named('updateRole')[0]).toEqual({ role: 'slave', ip: '10.0.0.9' });
    c.close();
    await waitFor(() => c.ended, 'the stream to end');
  });

  it('without uiDir the board API and UI are not served on this port', async () => {
    expectError(await call(`${h.ui}/api/state`), 404, 'NOT_FOUND');
    expectError(await call(`${h.ui}/`), 404, 'NOT_FOUND');
  });
});

describe('web mode (uiDir)', () => {
  const ADMIN = 'admin-token-123456';
  const USER = 'user-token-abcdef';
  let dir: string;
  let h: Harness;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peerboard-ui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Peerboard</title><div id="app"></div>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log("board")');
    writeFileSync(join(dir, '.env'), 'SECRET=1');
    writeFileSync(join(dir, '..', `${dir.split('/').pop()}-outside.txt`), 'OUTSIDE-CONTENT-42');
    h = await startHarness({ uiDir: dir, adminToken: ADMIN, userToken: USER, httpBindAddress: '127.0.0.1' });
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}-outside.txt`, { force: true });
  });

  it('serves index.html and assets, with the security headers, without a token', async () => {
    const index = await fetch(`${h.ui}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toContain('<title>Peerboard</title>');
    expectSecurityHeaders(index.headers);
    const js = await fetch(`${h.ui}/assets/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expectSecurityHeaders(js.headers);
  });

  it('serves the invite to the admin on the UI port too (the Cluster view in web mode), and to no one else', async () => {
    const admin = await call(`${h.ui}/api/cluster/invite`, { token: ADMIN });
    expect(admin.status).toBe(200);
    expect(Object.keys(admin.body as object).sort()).toEqual(['clusterId', 'invite', 'open', 'peers']);
    expectError(await call(`${h.ui}/api/cluster/invite`, { token: USER }), 403, 'FORBIDDEN');
    expectError(await call(`${h.ui}/api/cluster/invite`), 401, 'UNAUTHORIZED');
  });

  it('falls back to index.html for unknown app paths, not for missing files or /api', async () => {
    for (const path of ['/servers/server-01', '/history', '/a/b/c?x=1']) {
      const r = await fetch(`${h.ui}${path}`);
      expect(r.status, path).toBe(200);
      expect(await r.text()).toContain('<title>Peerboard</title>');
    }
    expectError(await call(`${h.ui}/assets/missing.js`), 404, 'NOT_FOUND');
    expectError(await call(`${h.ui}/api/nothing`, { token: USER }), 404, 'NOT_FOUND');
    expectError(await call(`${h.ui}/servers`, { method: 'DELETE', token: ADMIN }), 404, 'NOT_FOUND');
  });

  it('does not serve dotfiles or anything outside uiDir', async () => {
    expect((await rawGet(h.http.uiPort!, '/.env')).body).not.toContain('SECRET');
    const name = `${dir.split('/').pop()}-outside.txt`;
    for (const path of [`/../${name}`, `/%2e%2e/${name}`, `/assets/..%2f..%2f${name}`]) {
      const r = await rawGet(h.http.uiPort!, path);
      expect(r.body, path).not.toContain('OUTSIDE-CONTENT-42');
      expect(r.status, path).toBeGreaterThanOrEqual(400);
    }
  });

  it('mounts the same /api routes under the same auth rules', async () => {
    expectError(await call(`${h.ui}/api/state`), 401, 'UNAUTHORIZED');
    const state = await call(`${h.ui}/api/state`, { token: USER });
    expect(state.status).toBe(200);
    expect(state.body.self.nodeId).toBe('node-a');
    const r = await call(`${h.ui}/api/servers/server-01/reserve`, { json: { user: 'ann', durationSec: 60 }, token: USER });
    expect(r.body.server.holder).toBe('ann');
    expectError(await call(`${h.ui}/api/servers`, { json: { host: 'x9' }, token: USER }), 403, 'FORBIDDEN');
    expect((await call(`${h.ui}/api/servers`, { json: { host: 'x9' }, token: ADMIN })).status).toBe(201);
    expectError(await call(`${h.ui}/api/role-events`), 401, 'UNAUTHORIZED');
  });

  it('streams board events on the same origin', async () => {
    const c = await SseClient.open(`${h.ui}/api/events`, { authorization: `Bearer ${USER}` });
    await waitFor(() => c.named('hello').length === 1, 'hello');
    h.node.events.emit('event', { type: 'change', index: 77, request: null });
    await waitFor(() => c.named('change').length === 1, 'the change');
    c.close();
    await waitFor(() => h.node.events.listenerCount('event') === 0, 'listener removed');
  });

  it('with tokens set, /updateRole needs one even from loopback (issue 9); either token will do', async () => {
    expectError(await call(`${h.ui}/updateRole`, { json: { role: 'master', ip: '127.0.0.1' } }), 401, 'UNAUTHORIZED');
    for (const token of [USER, ADMIN]) {
      expect((await call(`${h.ui}/updateRole`, { json: { role: 'master', ip: '127.0.0.1' }, token })).status).toBe(200);
    }
  });
});

describe('helpers', () => {
  it('tells loopback peers apart', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['10.0.0.1', '192.168.0.12', '::ffff:10.0.0.1', 'fe80::1', '', undefined]) expect(isLoopbackAddress(a), String(a)).toBe(false);
  });
  it('decides which paths fall back to the SPA', () => {
    expect(isSpaPath('/')).toBe(true);
    expect(isSpaPath('/servers/server-01')).toBe(true);
    expect(isSpaPath('/api/state')).toBe(false);
    expect(isSpaPath('/api')).toBe(false);
    expect(isSpaPath('/updateRole')).toBe(false);
    expect(isSpaPath('/assets/x.js')).toBe(false);
  });
});
