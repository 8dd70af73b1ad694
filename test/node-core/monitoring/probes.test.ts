// The probe runner and its http probe against a real HTTP server on 127.0.0.1: status, keyword, JSON
// path, redirects, timeouts, the 1 MiB body cap, retries, abort, and hostile check definitions.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, MAX_RETRIES, createProbeRunner, runProbe } from '../../../node-core/src/monitoring/probes/index.js';
import type { CheckDef } from '../../../node-core/src/monitoring/types.js';
import { closedPort, def, never } from './probe-helpers.js';

const JSON_DOC = { status: 'up', data: { items: [{ ok: true, n: 3 }], name: null }, 'a key': ['x'] };
const HUGE_TOTAL = 16 * 1024 * 1024;

let server: http.Server;
let base = '';
const hits = new Map<string, number>();
let flakyLeft = 0;
const huge = { written: 0, finished: false, closed: false };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === '/ok') return void res.end('all ok here');
    if (path.startsWith('/status/')) return void res.writeHead(Number(path.slice(8))).end('status page');
    if (path === '/json') return void res.setHeader('content-type', 'application/json').end(JSON.stringify(JSON_DOC));
    if (path === '/not-json') return void res.end('{"status": up');
    if (path === '/redirect') return void res.writeHead(302, { location: '/ok' }).end();
    if (path === '/slow') return void setTimeout(() => res.end('late'), 10_000).unref();
    if (path === '/trickle') {
      res.writeHead(200);
      const t = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(t));
      return;
    }
    if (path === '/hangup') return void req.socket.destroy();
    if (path === '/flaky') return void (flakyLeft-- > 0 ? res.writeHead(503).end('not yet') : res.end('ok now'));
    if (path === '/echo') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(JSON.stringify({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() })));
      return;
    }
    if (path === '/huge') {
      // "early" in the first bytes, "late" only after 2 MiB; written with backpressure, 64 KiB at a time
      huge.written = 0;
      huge.finished = false;
      huge.closed = false;
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = (): void => {
        while (huge.written < HUGE_TOTAL && !huge.closed) {
          const piece = huge.written === 0 ? Buffer.concat([Buffer.from('early'), chunk.subarray(5)]) : huge.written === 2 * 1024 * 1024 ? Buffer.concat([Buffer.from('late'), chunk.subarray(4)]) : chunk;
          huge.written += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        if (!huge.closed) {
          huge.finished = true;
          res.end();
        }
      };
      res.on('close', () => (huge.closed = true));
      return pump();
    }
    res.writeHead(404).end('no such page');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const http_ = (path: string, over: Partial<CheckDef> = {}): CheckDef => def({ type: 'http', target: `${base}${path}`, ...over });

describe('http probe: status', () => {
  it('a 200 is up, with status and a response time', async () => {
    const r = await runProbe(http_('/ok'), never);
    expect(r).toMatchObject({ ok: true, httpStatus: 200, attempts: 1 });
    expect(r.error).toBeUndefined();
    expect(r.responseTime).toBeGreaterThan(0);
    expect(r.responseTime).toBeLessThan(2000);
  });
  it('a 503 is down with a readable error; expectStatus replaces the 2xx/3xx default', async () => {
    expect(await runProbe(http_('/status/503'), never)).toMatchObject({ ok: false, httpStatus: 503, error: 'HTTP 503 (expected 200-399)' });
    expect(await runProbe(http_('/status/503', { expectStatus: [503] }), never)).toMatchObject({ ok: true, httpStatus: 503 });
    expect(await runProbe(http_('/ok', { expectStatus: [201, 204] }), never)).toMatchObject({ ok: false, error: 'HTTP 200 (expected 201, 204)' });
    expect(await runProbe(http_('/status/404'), never)).toMatchObject({ ok: false, error: 'HTTP 404 (expected 200-399)' });
  });
  it('a redirect is not followed: the 302 is the status', async () => {
    const before = hits.get('/ok') ?? 0;
    expect(await runProbe(http_('/redirect'), never)).toMatchObject({ ok: true, httpStatus: 302 });
    expect(await runProbe(http_('/redirect', { expectStatus: [200] }), never)).toMatchObject({ ok: false, error: 'HTTP 302 (expected 200)' });
    expect(hits.get('/ok') ?? 0).toBe(before);
  });
  it('sends the method, headers and body', async () => {
    const r = await runProbe(http_('/echo', { method: 'POST', headers: { 'X-Probe': 'yes' }, body: '{"q":1}', keyword: '"body":"{\\"q\\":1}"' }), never);
    expect(r).toMatchObject({ ok: true });
    const echoed = await runProbe(http_('/echo', { method: 'PUT', jsonPath: '$.headers.x-probe', jsonExpect: 'yes', headers: { 'x-probe': 'yes' } }), never);
    expect(echoed).toMatchObject({ ok: true });
    expect(await runProbe(http_('/echo', { method: 'HEAD' }), never)).toMatchObject({ ok: true, httpStatus: 200 });
  });
});

describe('http probe: body', () => {
  it('keyword: found is up, missing is down', async () => {
    expect(await runProbe(http_('/ok', { keyword: 'ok' }), never)).toMatchObject({ ok: true });
    expect(await runProbe(http_('/ok', { keyword: 'OK' }), never)).toMatchObject({ ok: false, httpStatus: 200, error: 'keyword "OK" not found' });
  });
  it('JSON path: both spellings, arrays, a wrong value, a missing path, a body that is not JSON', async () => {
    expect(await runProbe(http_('/json', { jsonPath: '$.status', jsonExpect: 'up' }), never)).toMatchObject({ ok: true });
    expect(await runProbe(http_('/json', { jsonPath: 'data.items[0].n', jsonExpect: '3' }), never)).toMatchObject({ ok: true });
    expect(await runProbe(http_('/json', { jsonPath: '$.data.items[0].ok', jsonExpect: 'true' }), never)).toMatchObject({ ok: true });
    expect(await runProbe(http_('/json', { jsonPath: "$['a key'][0]", jsonExpect: 'x' }), never)).toMatchObject({ ok: true });
    expect(await runProbe(http_('/json', { jsonPath: '$.data.name' }), never)).toMatchObject({ ok: true });
    expect(await runProbe(http_('/json', { jsonPath: '$.status', jsonExpect: 'down' }), never)).toMatchObject({
      ok: false,
      error: 'JSON path "$.status" is "up" (expected "down")',
    });
    expect(await runProbe(http_('/json', { jsonPath: '$.data.items[1].ok' }), never)).toMatchObject({ ok: false, error: 'JSON path "$.data.items[1].ok" not found' });
    expect(await runProbe(http_('/json', { jsonPath: '$.constructor' }), never)).toMatchObject({ ok: false, error: 'JSON path "$.constructor" not found' });
    expect(await runProbe(http_('/not-json', { jsonPath: '$.status' }), never)).toMatchObject({ ok: false, error: 'body is not JSON; JSON path "$.status" not checked' });
  });
  it(`reads at most ${MAX_BODY_BYTES} bytes of a huge body, stops reading, and judges the keyword on what it read`, async () => {
    const early = await runProbe(http_('/huge', { keyword: 'early' }), never);
    expect(early).toMatchObject({ ok: true, httpStatus: 200 });
    await expect.poll(() => huge.closed, { timeout: 5000 }).toBe(true);
    expect(huge.finished).toBe(false);
    expect(huge.written).toBeLessThan(HUGE_TOTAL);
    const late = await runProbe(http_('/huge', { keyword: 'late' }), never);
    expect(late).toMatchObject({ ok: false, error: 'keyword "late" not found in the first 1 MiB' });
    const json = await runProbe(http_('/huge', { jsonPath: '$.a' }), never);
    expect(json.error).toBe('body is larger than 1 MiB; JSON path "$.a" not checked');
  });
});

describe('http probe: failures', () => {
  it('a slow answer is a timeout after timeoutMs', async () => {
    const t0 = performance.now();
    const r = await runProbe(http_('/slow', { timeoutMs: 300 }), never);
    const took = performance.now() - t0;
    expect(r).toMatchObject({ ok: false, error: 'timeout after 300 ms', attempts: 1 });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
  });
  it('the timeout covers the body too: a body that never ends times out', async () => {
    const r = await runProbe(http_('/trickle', { timeoutMs: 400 }), never);
    expect(r).toMatchObject({ ok: false, error: 'timeout after 400 ms' });
  });
  it('a refused connection names the address', async () => {
    const port = await closedPort();
    const r = await runProbe(def({ type: 'http', target: `http://127.0.0.1:${port}/` }), never);
    expect(r).toMatchObject({ ok: false, error: `connect ECONNREFUSED 127.0.0.1:${port}`, attempts: 1 });
    expect(r.httpStatus).toBeUndefined();
  });
  it('"localhost" with every address refused still gives a readable error (not an empty AggregateError)', async () => {
    const port = await closedPort();
    const r = await runProbe(def({ type: 'http', target: `http://localhost:${port}/` }), never);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^connect ECONNREFUSED (127\.0\.0\.1|::1):\d+/);
  });
  it('a server that hangs up is down', async () => {
    const r = await runProbe(http_('/hangup'), never);
    expect(r).toMatchObject({ ok: false, error: 'socket hang up' });
  });
});

describe('runner: retries and abort', () => {
  it('a server that fails twice then succeeds: retries=2 is up after 3 attempts, ~100 ms apart', async () => {
    flakyLeft = 2;
    const t0 = performance.now();
    const r = await runProbe(http_('/flaky', { retries: 2 }), never);
    expect(r).toMatchObject({ ok: true, attempts: 3, httpStatus: 200 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
  });
  it('retries=1 is not enough for it: down after 2 attempts, with the last error', async () => {
    flakyLeft = 2;
    expect(await runProbe(http_('/flaky', { retries: 1 }), never)).toMatchObject({ ok: false, attempts: 2, error: 'HTTP 503 (expected 200-399)' });
  });
  it('an up check is not retried', async () => {
    expect(await runProbe(http_('/ok', { retries: 3 }), never)).toMatchObject({ ok: true, attempts: 1 });
  });
  it('an abort stops an attempt in flight, and the retries after it', async () => {
    const t0 = performance.now();
    const r = await runProbe(http_('/slow', { timeoutMs: 10_000, retries: 5 }), AbortSignal.timeout(150));
    expect(r).toMatchObject({ ok: false, error: 'aborted', attempts: 1 });
    expect(performance.now() - t0).toBeLessThan(1000);
  });
  it('an abort during the pause between retries ends the round', async () => {
    const port = await closedPort();
    const ac = new AbortController();
    const p = runProbe(def({ type: 'http', target: `http://127.0.0.1:${port}/`, retries: 5 }), ac.signal);
    setTimeout(() => ac.abort(), 50);
    const r = await p;
    expect(r).toMatchObject({ ok: false, error: 'aborted' });
    expect(r.attempts).toBeLessThan(3);
  });
  it('a round aborted before it starts makes no attempt', async () => {
    const before = hits.get('/ok') ?? 0;
    expect(await runProbe(http_('/ok'), AbortSignal.abort())).toMatchObject({ ok: false, error: 'aborted', attempts: 0 });
    expect(hits.get('/ok') ?? 0).toBe(before);
  });
});

describe('hostile check definitions: a failed result, never a throw', () => {
  it(`retries beyond ${MAX_RETRIES} are capped`, async () => {
    const port = await closedPort();
    const r = await runProbe(def({ type: 'tcp', target: `127.0.0.1:${port}`, retries: 1000 }), never);
    expect(r).toMatchObject({ ok: false, attempts: MAX_RETRIES + 1 });
    for (const retries of [-3, 1.5, Number.NaN]) {
      expect((await runProbe(def({ type: 'tcp', target: `127.0.0.1:${port}`, retries }), never)).attempts).toBe(1);
    }
  });
  it('a broken timeout is clamped, not obeyed', async () => {
    const r = await runProbe(http_('/slow', { timeoutMs: -5 }), never);
    expect(r).toMatchObject({ ok: false, error: 'timeout after 1 ms' });
    expect(await runProbe(http_('/ok', { timeoutMs: Number.NaN }), never)).toMatchObject({ ok: true });
  });
  it('bad definitions fail at once and are not retried', async () => {
    const cases: [Partial<CheckDef> & Pick<CheckDef, 'type' | 'target'>, RegExp][] = [
      [{ type: 'http', target: 'not a url' }, /^bad URL "not a url"$/],
      [{ type: 'http', target: 'file:///etc/passwd' }, /not http or https/],
      [{ type: 'http', target: `${base}/ok`, method: 'TRACE' as never }, /unknown HTTP method "TRACE"/],
      [{ type: 'http', target: `${base}/ok`, jsonPath: `$${'.a'.repeat(200)}` }, /JSON path longer than 256 characters/],
      [{ type: 'http', target: `${base}/ok`, jsonPath: '$.a..b' }, /bad JSON path at character 4/],
      [{ type: 'kafka' as never, target: 'x' }, /unknown check type "kafka"/],
      [{ type: '__proto__' as never, target: 'x' }, /unknown check type "__proto__"/],
    ];
    for (const [check, error] of cases) {
      const r = await runProbe(def({ retries: 3, ...check }), never);
      expect(r.ok).toBe(false);
      expect(r.attempts).toBe(1);
      expect(r.error).toMatch(error);
    }
  });
  it('a header with CR/LF (request splitting) fails the attempt instead of being sent', async () => {
    const before = hits.get('/ok') ?? 0;
    const r = await runProbe(http_('/ok', { headers: { 'x-a': 'b\r\nX-Injected: 1' } }), never);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/invalid character/i);
    expect(hits.get('/ok') ?? 0).toBe(before);
  });
  it('a keyword or expectation with newlines and 10 kB of text still gives one short error line', async () => {
    const r = await runProbe(http_('/ok', { keyword: `line1\nline2${'x'.repeat(10_000)}` }), never);
    expect(r.error).not.toMatch(/\n/);
    expect(r.error!.length).toBeLessThanOrEqual(300);
  });
  it('null and garbage instead of a check', async () => {
    expect(await runProbe(null as never, never)).toMatchObject({ ok: false, attempts: 1 });
    expect(await runProbe({ type: 'http' } as never, never)).toMatchObject({ ok: false, attempts: 1 });
    expect(await runProbe({ type: 'tcp', target: 5 } as never, never)).toMatchObject({ ok: false });
  });
});

describe('figures', () => {
  it('one http probe on loopback: 200 probes in a row', async () => {
    const runner = createProbeRunner();
    const times: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < 200 && performance.now() - t0 < 20_000; i++) {
      const s = performance.now();
      const r = await runner(http_('/ok', { keyword: 'ok' }), never);
      times.push(performance.now() - s);
      expect(r.ok).toBe(true);
    }
    times.sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const p99 = times[Math.floor(times.length * 0.99) - 1]!;
    console.log(`http probe on loopback: ${times.length} probes, mean ${mean.toFixed(2)} ms, p50 ${times[times.length >> 1]!.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
    expect(times.length).toBe(200);
    expect(mean).toBeLessThan(50);
  });
});
