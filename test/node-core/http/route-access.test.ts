// Issue 9, "authorisation on every path": every route of both ports is listed from the fastify
// apps themselves, every state-changing one (any method but GET) is sent no token, a wrong token
// and, where admin is needed, the user token, and must answer 401/403 with nothing changed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../../../node-core/src/http/app.js';
import { buildBackend, buildFrontend } from '../../../node-core/src/http/index.js';
import { silentLogger } from '../../../node-core/src/log.js';
import { presenceFor } from '../../../node-core/src/presence.js';
import { FakeNode } from './fake-node.js';
import { SAMPLE_BODIES } from './fuzz-http.js';
import { call, expectError } from './helpers.js';

const ADMIN = 'admin-token-123456';
const USER = 'user-token-abcdef';

/** Fills the path parameters with values the routes accept. */
function concrete(url: string): string {
  return url.replace(':host', 'server-01').replace(':user', 'ann').replace(':nodeId', 'node-b').replace('*', 'index.html');
}

/** Everything the routes could change on the fake node, as one comparable value. */
function stateOf(node: FakeNode, roles: unknown[]): string {
  const presence = presenceFor(node, silentLogger());
  return JSON.stringify({
    servers: [...node.servers.values()],
    submits: node.submits.length,
    promotes: node.promotes.length,
    voters: node.voters,
    voterCalls: node.voterCalls.length,
    online: presence.onlineUsers(),
    seen: presence.nodeSeen('node-b'),
    roles: roles.length,
  });
}

describe('access on every route, enumerated from the apps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peerboard-ui-auth-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Peerboard</title>');
  const node = new FakeNode({ adminToken: ADMIN, userToken: USER, httpBindAddress: '127.0.0.1', uiDir: dir });
  const roles: unknown[] = [];
  const apps: Array<{ name: string; app: FastifyInstance; base: string }> = [];

  beforeAll(async () => {
    const opts = { logger: silentLogger(), onUpdateRole: (b: unknown) => void roles.push(b) };
    for (const [name, app] of [
      ['api', buildBackend(node, opts)],
      ['ui', buildFrontend(node, opts)],
    ] as const) {
      await app.listen({ port: 0, host: '127.0.0.1' });
      apps.push({ name, app, base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` });
    }
  });
  afterAll(async () => {
    for (const a of apps) await a.app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the routes of both ports, and only the static files are public', () => {
    const all = apps.flatMap((a) => routesOf(a.app).map((r) => ({ ...r, port: a.name })));
    expect(all.length).toBeGreaterThan(40);
    for (const path of ['/updateRole', '/register', '/heartbeat', '/api/cluster/register', '/promote', '/api/servers/:host/reserve']) {
      expect(all.some((r) => r.url === path && r.method === 'POST'), path).toBe(true);
    }
    const open = all.filter((r) => r.access === null).map((r) => `${r.port} ${r.method} ${r.url}`);
    expect(open).toEqual(['ui GET /*']); // the built UI: a browser cannot send a token when it navigates
    const writesOpenToReaders = all.filter((r) => r.method !== 'GET' && r.access === 'read');
    expect(writesOpenToReaders).toEqual([]);
  });

  it('refuses every state-changing route without a token, with a wrong one, and with the user token where admin is needed', async () => {
    let checked = 0;
    for (const { name, app, base } of apps) {
      for (const r of routesOf(app).filter((x) => x.method !== 'GET')) {
        const url = `${base}${concrete(r.url)}`;
        const what = `${name} ${r.method} ${r.url}`;
        const before = stateOf(node, roles);
        const cases: Array<[string | undefined, number, string]> = [
          [undefined, 401, 'UNAUTHORIZED'],
          ['not-a-token', 401, 'UNAUTHORIZED'],
          [`${USER}x`, 401, 'UNAUTHORIZED'],
        ];
        if (r.access === 'admin') cases.push([USER, 403, 'FORBIDDEN']);
        for (const [token, status, code] of cases) {
          const res = await call(url, { method: r.method, json: SAMPLE_BODIES[`${r.method} ${r.url}`] ?? {}, ...(token ? { token } : {}) });
          expectError(res, status, code);
          expect(stateOf(node, roles), `${what} with ${token ?? 'no token'} changed something`).toBe(before);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(25);
  });

  it('takes either token on /updateRole, and the right token passes every check', async () => {
    const ui = apps.find((a) => a.name === 'ui')!.base;
    for (const token of [USER, ADMIN]) {
      expect((await call(`${ui}/updateRole`, { json: { role: 'slave', ip: '127.0.0.1' }, token })).status).toBe(200);
    }
    expect(roles).toHaveLength(2);
    // positive control: the token the route needs is never refused as unauthorised (the body may still be wrong)
    for (const { app, base } of apps) {
      for (const r of routesOf(app).filter((x) => x.method !== 'GET')) {
        const res = await call(`${base}${concrete(r.url)}`, { method: r.method, json: {}, token: r.access === 'admin' ? ADMIN : USER });
        expect(['UNAUTHORIZED', 'FORBIDDEN'], `${r.method} ${r.url}`).not.toContain(res.body?.code);
      }
    }
  });
});
