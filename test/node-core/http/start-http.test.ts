// startHttp: which address it binds, both ports or only the API, close() that frees the ports even
// with a silent client connected, and a failed start that leaves nothing listening.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { bindAddressOf, startHttp } from '../../../node-core/src/http/index.js';
import { silentLogger } from '../../../node-core/src/log.js';
import { FakeNode } from './fake-node.js';
import { call } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('bindAddressOf', () => {
  it('is loopback without tokens, all interfaces with a token, and the configured address when set', () => {
    expect(bindAddressOf({})).toBe('127.0.0.1');
    expect(bindAddressOf({ userToken: 'user-token-1' })).toBe('0.0.0.0');
    expect(bindAddressOf({ adminToken: 'admin-token-1' })).toBe('0.0.0.0');
    expect(bindAddressOf({ adminToken: 'admin-token-1', httpBindAddress: '127.0.0.2' })).toBe('127.0.0.2');
    expect(bindAddressOf({ httpBindAddress: '127.0.0.3' })).toBe('127.0.0.3');
  });
});

describe('startHttp', () => {
  it('listens on loopback with both ports by default and answers on each', async () => {
    const node = new FakeNode();
    const http = await startHttp(node, { logger: silentLogger(), closeGraceMs: 200 });
    cleanups.push(() => http.close());
    expect(http.apiUrl).toBe(`http://127.0.0.1:${http.apiPort}`);
    expect(http.uiPort).not.toBeNull();
    expect(http.uiPort).not.toBe(http.apiPort);
    expect((await call(`${http.apiUrl}/api/health`)).body.success).toBe(true);
    expect((await call(`http://127.0.0.1:${http.uiPort}/updateRole`, { json: { role: 'slave', ip: 'x' } })).status).toBe(200);
  });

  it('uiPort -1 disables the frontend', async () => {
    const http = await startHttp(new FakeNode({ uiPort: -1, httpBindAddress: '127.0.0.1' }), { logger: silentLogger() });
    cleanups.push(() => http.close());
    expect(http.uiPort).toBeNull();
    expect((await call(`${http.apiUrl}/api/state`)).status).toBe(200);
  });

  it('close() frees both ports promptly, even with a client that never sends a request', async () => {
    const http = await startHttp(new FakeNode(), { logger: silentLogger(), closeGraceMs: 200 });
    const silent: Socket = connect({ host: '127.0.0.1', port: http.apiPort });
    await new Promise((r) => silent.once('connect', r));
    cleanups.push(() => {
      silent.destroy();
    });
    const started = Date.now();
    await http.close();
    expect(Date.now() - started).toBeLessThan(3000);
    await http.close(); // a second close is harmless
    expect(await refused(http.apiPort)).toBe(true);
    expect(await refused(http.uiPort!)).toBe(true);
  });

  it('a frontend port already in use fails the start and closes the backend', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const busy = (blocker.address() as { port: number }).port;
    // a port that was free a moment ago, so that we can check the backend let it go again
    const probe: Server = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const apiPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));

    const node = new FakeNode({ apiPort, uiPort: busy, httpBindAddress: '127.0.0.1' });
    await expect(startHttp(node, { logger: silentLogger() })).rejects.toThrow(/EADDRINUSE/);
    expect(await refused(apiPort)).toBe(true);
  });
});
