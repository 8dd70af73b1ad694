// Notification delivery against a real HTTP receiver on 127.0.0.1: body and headers, signatures, Slack shape,
// status handling, redirects, timeouts, oversized answers; URL validation, private addresses, backoff.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DELIVERY_GIVE_UP_MS,
  MAX_DELIVERY_ATTEMPTS,
  MAX_RETRY_DELAY_MS,
  deliver,
  deliveryExhausted,
  isPrivateAddress,
  nextRetryDelayMs,
  validateNotificationUrl,
  verifySignature,
  type Post,
} from '../../../node-core/src/monitoring/deliver.js';
import type { LocationResult, NotificationTarget, VerdictChange } from '../../../node-core/src/monitoring/types.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}
type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

let server: Server;
let base: string;
let received: Received[];
let handler: Handler;

beforeEach(async () => {
  received = [];
  handler = (_req, res) => res.writeHead(204).end();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const loc = (location: string, status: 'UP' | 'DOWN', extra: Partial<LocationResult> = {}): LocationResult => ({
  nodeId: `n-${location}`,
  location,
  status,
  responseTime: 42,
  lastChecked: '2026-05-01T10:00:00.000Z',
  error: status === 'DOWN' ? 'HTTP 503' : null,
  ...extra,
});

const change: VerdictChange = {
  checkId: 5,
  name: 'api',
  server: 'web-1',
  verdict: 'DOWN',
  previous: 'UP',
  at: '2026-05-01T10:00:01.000Z',
  locations: [loc('paris', 'DOWN'), loc('berlin', 'DOWN'), loc('oslo', 'UP')],
};

const target = (over: Partial<NotificationTarget> = {}): NotificationTarget => ({
  id: 3,
  type: 'webhook',
  url: `${base}/hook`,
  name: 'ops',
  createdAt: 1,
  createdBy: 'admin',
  ...over,
});

describe('webhook delivery', () => {
  it('posts exactly the VerdictChange as JSON with the delivery headers, unsigned without a secret', async () => {
    const r = await deliver(target(), 7, change);
    expect(r).toEqual({ ok: true, status: 204 });
    expect(received).toHaveLength(1);
    const got = received[0]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/hook');
    expect(JSON.parse(got.body.toString('utf8'))).toEqual(change);
    expect(Object.keys(JSON.parse(got.body.toString('utf8'))).sort()).toEqual(['at', 'checkId', 'locations', 'name', 'previous', 'server', 'verdict']);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-peerboard-delivery']).toBe('7-3');
    expect(got.headers['x-peerboard-event']).toBe('verdict');
    expect(got.headers['x-peerboard-signature']).toBeUndefined();
    expect(got.headers['x-peerboard-timestamp']).toBeUndefined();
  });

  it('signs the exact body bytes with the timestamp; a tampered body, timestamp or secret does not verify', async () => {
    const secret = 's3cret-ключ';
    expect((await deliver(target({ secret }), 7, change)).ok).toBe(true);
    const got = received[0]!;
    const ts = got.headers['x-peerboard-timestamp'] as string;
    const sig = got.headers['x-peerboard-signature'] as string;
    expect(ts).toMatch(/^\d+$/);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(secret, ts, got.body, sig)).toBe(true);
    expect(verifySignature(secret, ts, got.body.toString('utf8'), sig, { maxAgeSec: 300 })).toBe(true);

    const tampered = Buffer.from(got.body.toString('utf8').replace('"DOWN"', '"UP"'));
    expect(tampered.equals(got.body)).toBe(false);
    expect(verifySignature(secret, ts, tampered, sig)).toBe(false);
    expect(verifySignature(secret, String(Number(ts) + 1), got.body, sig)).toBe(false);
    expect(verifySignature('other', ts, got.body, sig)).toBe(false);
    // replay: the same request an hour later is refused when the receiver bounds the age
    expect(verifySignature(secret, ts, got.body, sig, { maxAgeSec: 300, nowMs: Number(ts) * 1000 + 3_600_000 })).toBe(false);
  });

  it('verifySignature refuses malformed input rather than throwing', () => {
    const body = '{"a":1}';
    const good = `sha256=${'0'.repeat(64)}`;
    const hostile: unknown[][] = [
      ['k', '1', body, undefined],
      ['k', '1', body, null],
      ['k', '1', body, 42],
      ['k', '1', body, 'sha256='],
      ['k', '1', body, `sha256=${'A'.repeat(64)}`],
      ['k', '1', body, `sha1=${'0'.repeat(40)}`],
      ['k', '1', body, `${good}0`],
      ['k', '1', body, 'x'.repeat(100_000)],
      ['', '1', body, good],
      [undefined, '1', body, good],
      ['k', '-1', body, good],
      ['k', '1.5', body, good],
      ['k', 'abc', body, good],
      ['k', '1', { not: 'bytes' }, good],
    ];
    for (const args of hostile) expect((verifySignature as (...a: unknown[]) => boolean)(...args), JSON.stringify(args).slice(0, 80)).toBe(false);
  });

  it('keeps the delivery id stable across retries, distinct per target and alert', async () => {
    await deliver(target({ secret: 'k' }), 9, change);
    await deliver(target({ secret: 'k' }), 9, change);
    await deliver(target({ id: 4 }), 9, change);
    await deliver(target(), 10, change);
    expect(received.map((r) => r.headers['x-peerboard-delivery'])).toEqual(['9-3', '9-3', '9-4', '10-3']);
  });
});

describe('slack delivery', () => {
  it('posts a Slack incoming-webhook message: text and blocks', async () => {
    const r = await deliver(target({ type: 'slack', url: `${base}/services/T/B/x` }), 1, change);
    expect(r.ok).toBe(true);
    const msg = JSON.parse(received[0]!.body.toString('utf8'));
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect(msg.text).toBe('🔴 DOWN: api (web-1) — 2 of 3 locations see it down (was UP)');
    expect(Array.isArray(msg.blocks)).toBe(true);
    for (const b of msg.blocks) expect(['section', 'context']).toContain(b.type);
    expect(msg.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: msg.text } });
    expect(msg.blocks[1].text.text).toContain('paris: DOWN, 42 ms, HTTP 503');
    expect(msg.blocks[1].text.text).toContain('oslo: UP, 42 ms');
  });

  it('words UP, PARTIAL and UNKNOWN, and counts only voting locations', async () => {
    const up = { ...change, verdict: 'UP' as const, previous: 'DOWN' as const, server: null, locations: [loc('a', 'UP'), loc('b', 'UP'), loc('c', 'DOWN', { voting: false })] };
    const partial = { ...change, verdict: 'PARTIAL' as const, locations: [loc('a', 'DOWN'), loc('b', 'UP'), loc('c', 'UP')] };
    const unknown = { ...change, verdict: 'UNKNOWN' as const, locations: [] };
    for (const c of [up, partial, unknown]) await deliver(target({ type: 'slack' }), 1, c);
    const texts = received.map((r) => JSON.parse(r.body.toString('utf8')).text);
    expect(texts).toEqual([
      '✅ UP: api — 2 of 2 locations see it up (was DOWN)',
      '🟠 PARTIAL: api (web-1) — 1 of 3 locations see it down (was UP)',
      '⚪ UNKNOWN: api (web-1) — no fresh results (was UP)',
    ]);
    expect(JSON.parse(received[0]!.body.toString('utf8')).blocks[1].text.text).toContain('c: DOWN, 42 ms, HTTP 503 (not voting)');
  });

  it('escapes Slack markup in names and errors, and bounds the message for many or long locations', async () => {
    const many = Array.from({ length: 500 }, (_, i) => loc(`loc-${i}-${'x'.repeat(300)}`, 'DOWN', { error: `<!here> ${'e'.repeat(5000)}` }));
    const hostile = { ...change, name: '<!channel> & <https://evil.example|click>', server: 'a>b'.repeat(1000), locations: many };
    expect((await deliver(target({ type: 'slack' }), 1, hostile)).ok).toBe(true);
    const raw = received[0]!.body.toString('utf8');
    expect(raw).not.toMatch(/<!channel>|<!here>|<https:/);
    const msg = JSON.parse(raw);
    expect(msg.text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    for (const b of msg.blocks) if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(3000);
    expect(msg.blocks[1].text.text.split('\n').length).toBeLessThanOrEqual(26);
    expect(raw.length).toBeLessThan(12_000);
  });
});

describe('answers and failures', () => {
  it('5xx, 408, 425 and 429 are retryable failures carrying a snippet of the answer', async () => {
    handler = (req, res) => {
      const status = Number(req.url?.slice(1));
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`upstream\nbroke ${status}`);
    };
    for (const status of [500, 502, 503, 504, 408, 425, 429]) {
      const r = await deliver(target({ url: `${base}/${status}` }), 1, change);
      expect(r, String(status)).toMatchObject({ ok: false, status, retryable: true });
      if (!r.ok) expect(r.error).toMatch(new RegExp(`^HTTP ${status}.*: upstream broke ${status}$`));
    }
  });

  it('404 and other 4xx are not retryable', async () => {
    handler = (req, res) => res.writeHead(Number(req.url?.slice(1))).end('no_service');
    for (const status of [400, 401, 403, 404, 410, 413]) {
      const r = await deliver(target({ url: `${base}/${status}` }), 1, change);
      expect(r, String(status)).toMatchObject({ ok: false, status, retryable: false });
    }
    const r = await deliver(target({ url: `${base}/404` }), 1, change);
    expect(r.ok === false && r.error).toBe('HTTP 404 Not Found: no_service');
  });

  it('does not follow a redirect, and a redirect is not a delivery', async () => {
    handler = (req, res) => {
      if (req.url?.startsWith('/moved')) res.writeHead(Number(req.url.slice(6)), { location: `${base}/final` }).end();
      else res.writeHead(200).end('ok');
    };
    for (const status of [301, 302, 303, 307, 308]) {
      const r = await deliver(target({ url: `${base}/moved${status}` }), 1, change);
      expect(r, String(status)).toMatchObject({ ok: false, status, retryable: false });
      if (!r.ok) expect(r.error).toContain(`redirect to ${base}/final not followed`);
    }
    expect(received.filter((r) => r.url === '/final')).toHaveLength(0);
    expect(received).toHaveLength(5);
  });

  it('times out on a receiver that never answers, as a retryable error within the timeout', async () => {
    handler = () => undefined; // reads the request, never answers
    const t0 = Date.now();
    const r = await deliver(target(), 1, change, { timeoutMs: 300 });
    const took = Date.now() - t0;
    expect(r).toEqual({ ok: false, error: 'timeout after 300 ms', retryable: true });
    expect(received).toHaveLength(1);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
  });

  it('times out on an error answer whose body never ends', async () => {
    handler = (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.write('partial answer');
    };
    const t0 = Date.now();
    const r = await deliver(target(), 1, change, { timeoutMs: 300 });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(r).toMatchObject({ ok: false, status: 503, retryable: true });
    if (!r.ok) expect(r.error).toBe('HTTP 503 Service Unavailable: partial answer');
  });

  it('reads at most 64 KiB of an endless answer and does not hang, for an error or a success', async () => {
    let written = 0;
    let closed = 0;
    handler = (req, res) => {
      res.writeHead(req.url === '/ok' ? 200 : 500, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'y');
      res.on('close', () => closed++);
      const pump = (): void => {
        // bounded: at most 256 MiB, stops as soon as the client goes away
        while (!res.destroyed && written < 256 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    };
    const t0 = Date.now();
    const bad = await deliver(target(), 1, change, { timeoutMs: 5000 });
    expect(bad).toMatchObject({ ok: false, status: 500, retryable: true });
    if (!bad.ok) expect(bad.error.length).toBeLessThan(250);
    const good = await deliver(target({ url: `${base}/ok` }), 1, change, { timeoutMs: 5000 });
    expect(good).toEqual({ ok: true, status: 200 });
    expect(Date.now() - t0).toBeLessThan(3000);
    await waitFor(() => closed === 2, 'the receiver sees both answers cut off');
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('a refused connection is retryable and says so', async () => {
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const port = (spare.address() as AddressInfo).port;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
    const r = await deliver(target({ url: `http://127.0.0.1:${port}/hook` }), 1, change, { timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: false, retryable: true });
    if (!r.ok) expect(r.error).toContain('ECONNREFUSED');
  });

  it('refuses a bad target URL without any request, and survives a post that throws junk', async () => {
    let calls = 0;
    const counting: Post = async () => {
      calls++;
      throw 'junk';
    };
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', `http://u:p@127.0.0.1/`, 'not a url', '']) {
      const r = await deliver(target({ url }), 1, change, { post: counting });
      expect(r, url).toMatchObject({ ok: false, retryable: false });
    }
    expect(calls).toBe(0);
    const r = await deliver(target(), 1, change, { post: counting });
    expect(r).toEqual({ ok: false, error: 'network error', retryable: true });
    expect(calls).toBe(1);
  });
});

describe('validateNotificationUrl', () => {
  const strict = { allowPrivate: false };
  const lax = { allowPrivate: true };

  it('accepts ordinary http(s) URLs, and private ones only when allowed', () => {
    expect(validateNotificationUrl('https://hooks.slack.com/services/T0/B0/xyz', strict)).toBeNull();
    expect(validateNotificationUrl('http://example.com:8080/hook?x=1', strict)).toBeNull();
    expect(validateNotificationUrl('http://8.8.8.8/hook', strict)).toBeNull();
    expect(validateNotificationUrl('http://[2001:db8::1]/hook', strict)).toBeNull();
    for (const url of ['http://10.1.2.3/h', 'http://127.0.0.1:9/h', 'http://[::1]/h', 'http://localhost/h']) {
      expect(validateNotificationUrl(url, lax), url).toBeNull();
      expect(validateNotificationUrl(url, strict), url).toMatch(/private or loopback/);
    }
  });

  it('refuses hostile URLs with a message', () => {
    const hostile: unknown[] = [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'ftp://example.com/x',
      'data:text/plain,hi',
      'gopher://127.0.0.1:25/',
      'https://user:pass@example.com/hook',
      'https://user@example.com/hook',
      'https://:pass@example.com/hook',
      `https://example.com/${'a'.repeat(2100)}`,
      'x'.repeat(1_000_000),
      'https://exa mple.com/',
      'https://example.com/\r\nX-Injected: 1',
      ' https://example.com/',
      '//example.com/hook',
      'example.com/hook',
      'http://',
      '',
      undefined,
      null,
      42,
      { toString: () => 'https://example.com/' },
      ['https://example.com/'],
    ];
    for (const url of hostile) {
      const msg = validateNotificationUrl(url, lax);
      expect(typeof msg, String(url).slice(0, 60)).toBe('string');
      expect((msg as string).length).toBeLessThan(200);
    }
    expect(validateNotificationUrl(`https://example.com/${'a'.repeat(2048 - 20)}`, lax)).toBeNull();
  });

  it('refuses private addresses in every spelling when they are forbidden', () => {
    const hidden = [
      'http://10.0.0.1/',
      'http://172.16.0.1/',
      'http://172.31.255.255/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data',
      'http://127.1/',
      'http://0x7f.0.0.1/',
      'http://2130706433/',
      'http://017700000001/',
      'http://0/',
      'http://[::ffff:10.0.0.1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fe80::1]/',
      'http://[fd12:3456::1]/',
      'http://[::]/',
      'http://LOCALHOST./',
      'http://api.localhost/',
    ];
    for (const url of hidden) expect(validateNotificationUrl(url, strict), url).toMatch(/private or loopback/);
    expect(validateNotificationUrl('http://172.32.0.1/', strict)).toBeNull();
    expect(validateNotificationUrl('http://192.169.0.1/', strict)).toBeNull();
  });
});

describe('isPrivateAddress', () => {
  it('knows the private, loopback and link-local ranges, IPv4 and IPv6', () => {
    const yes = ['10.0.0.0', '10.255.255.255', '172.16.0.1', '172.31.0.1', '192.168.0.1', '127.0.0.1', '127.255.0.9', '169.254.1.1',
      '0.0.0.0', '100.64.0.1', '255.255.255.255', '::1', '::', 'fc00::1', 'fdff:ffff::1', 'fe80::1', 'febf::1', 'fe80::1%eth0',
      '[::1]', '::ffff:192.168.0.1', '::ffff:7f00:1', '::10.0.0.1', '0:0:0:0:0:0:0:1'];
    const no = ['8.8.8.8', '172.15.255.255', '172.32.0.0', '192.169.0.1', '169.255.0.1', '100.128.0.1', '11.0.0.1', '2001:db8::1',
      'fec0::1', 'fe00::1', '::ffff:8.8.8.8', '::8.8.8.8', 'example.com', 'localhost', '', '10.0.0', '10.0.0.1.5', '1::2::3', 'x'.repeat(10_000)];
    for (const ip of yes) expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of no) expect(isPrivateAddress(ip), ip).toBe(false);
    for (const junk of [undefined, null, 10, {}]) expect(isPrivateAddress(junk as unknown as string)).toBe(false);
  });
});

describe('retry schedule', () => {
  it('doubles from 1 s and caps at 5 min; jitter stays within ±20 % and under the cap', () => {
    const plain = Array.from({ length: 12 }, (_, i) => nextRetryDelayMs(i + 1, () => 0.5));
    expect(plain).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000, 300000]);
    expect(nextRetryDelayMs(3, () => 0)).toBe(3200);
    expect(nextRetryDelayMs(3, () => 0.999999)).toBe(4800);
    expect(nextRetryDelayMs(9, () => 0.999999)).toBe(MAX_RETRY_DELAY_MS);
    for (let i = 0; i < 200; i++) {
      const d = nextRetryDelayMs(1 + (i % 15));
      expect(d).toBeGreaterThanOrEqual(800);
      expect(d).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
    }
  });

  it('survives hostile attempts and random sources', () => {
    for (const attempts of [0, -1, -1e9, NaN, 0.3]) expect(nextRetryDelayMs(attempts, () => 0.5), String(attempts)).toBe(1000);
    for (const attempts of [Infinity, 1e9, 2 ** 53, 1025]) expect(nextRetryDelayMs(attempts, () => 0.5), String(attempts)).toBe(MAX_RETRY_DELAY_MS);
    for (const r of [NaN, Infinity, -Infinity, 7, -3]) {
      const d = nextRetryDelayMs(4, () => r);
      expect(d, String(r)).toBeGreaterThanOrEqual(6400);
      expect(d, String(r)).toBeLessThanOrEqual(9600);
    }
  });

  it('gives up after MAX_DELIVERY_ATTEMPTS or DELIVERY_GIVE_UP_MS, whichever comes first', () => {
    const total = Array.from({ length: MAX_DELIVERY_ATTEMPTS - 1 }, (_, i) => nextRetryDelayMs(i + 1, () => 0.5)).reduce((a, b) => a + b, 0);
    expect(total).toBe(1_111_000); // about 18.5 min from the first attempt to the last
    expect(deliveryExhausted(MAX_DELIVERY_ATTEMPTS - 1, 0, 1000)).toBe(false);
    expect(deliveryExhausted(MAX_DELIVERY_ATTEMPTS, 0, 1000)).toBe(true);
    expect(deliveryExhausted(1, 0, DELIVERY_GIVE_UP_MS - 1)).toBe(false);
    expect(deliveryExhausted(1, 0, DELIVERY_GIVE_UP_MS)).toBe(true);
    expect(deliveryExhausted(NaN, 0, 0)).toBe(true);
    expect(deliveryExhausted(1, NaN, 0)).toBe(true);
  });
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
