// The https probe against real TLS servers on 127.0.0.1 with self-signed certificates made by openssl at
// test time (400 days: fine; 2 days: about to expire): expiry reporting, certExpiryDays, ignoreTls.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeRunner, runProbe } from '../../../node-core/src/monitoring/probes/index.js';
import type { CheckDef } from '../../../node-core/src/monitoring/types.js';
import { def, never } from './probe-helpers.js';

const DAY = 86_400_000;

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile(cmd, args, { timeout: 20_000 }, (err) => (err ? reject(err) : resolve())));
}
const hasOpenssl = await run('openssl', ['version']).then(
  () => true,
  () => false,
);
if (!hasOpenssl) console.warn('probes-tls: skipped, openssl is not installed (it makes the test certificates)');

interface Site {
  url: string;
  server: https.Server;
  hits: number;
}

describe.skipIf(!hasOpenssl)('https probe', () => {
  let dir = '';
  let long: Site;
  let short: Site;
  let madeAt = 0;

  async function site(days: number): Promise<Site> {
    const key = join(dir, `key-${days}.pem`);
    const cert = join(dir, `cert-${days}.pem`);
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-days', String(days), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ]);
    const s: Site = { url: '', hits: 0, server: https.createServer({ key: await readFile(key), cert: await readFile(cert) }) };
    s.server.on('request', (_req, res) => {
      s.hits++;
      res.end('secure ok');
    });
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.url = `https://127.0.0.1:${(s.server.address() as AddressInfo).port}/`;
    return s;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'probes-tls-'));
    madeAt = Date.now();
    long = await site(400);
    short = await site(2);
  });
  afterAll(async () => {
    for (const s of [long, short]) {
      s?.server.closeAllConnections();
      await new Promise<void>((resolve) => (s ? s.server.close(() => resolve()) : resolve()));
    }
    await rm(dir, { recursive: true, force: true });
  });

  const check = (s: Site, over: Partial<CheckDef> = {}): CheckDef => def({ type: 'http', target: s.url, ...over });

  it('ignoreTls accepts a self-signed certificate and reports when it expires', async () => {
    const r = await runProbe(check(long, { ignoreTls: true, keyword: 'secure ok' }), never);
    expect(r).toMatchObject({ ok: true, httpStatus: 200 });
    expect(r.certExpiresAt).toBeGreaterThan(madeAt + 399 * DAY);
    expect(r.certExpiresAt).toBeLessThan(Date.now() + 401 * DAY);
  });

  it('without ignoreTls a self-signed certificate is down, nothing is sent, and the expiry is still reported', async () => {
    const before = long.hits;
    const r = await runProbe(check(long), never);
    expect(r.ok).toBe(false);
    expect(r.error).toBe('TLS: self-signed certificate (ignoreTls accepts it)');
    expect(r.httpStatus).toBeUndefined();
    expect(r.certExpiresAt).toBeGreaterThan(madeAt + 399 * DAY);
    expect(long.hits).toBe(before);
  });

  it('certExpiryDays: a certificate expiring within N days is down, with the date', async () => {
    const r = await runProbe(check(short, { ignoreTls: true, certExpiryDays: 7 }), never);
    expect(r.ok).toBe(false);
    expect(r.httpStatus).toBe(200);
    const date = new Date(r.certExpiresAt!).toISOString().slice(0, 10);
    expect(r.error).toBe(`certificate expires in 1 day (${date})`);
    expect(r.certExpiresAt! - Date.now()).toBeLessThan(2 * DAY);
    // the same certificate with a shorter horizon is fine; so is the long one with 30 days
    expect(await runProbe(check(short, { ignoreTls: true, certExpiryDays: 1 }), never)).toMatchObject({ ok: true });
    expect(await runProbe(check(long, { ignoreTls: true, certExpiryDays: 30 }), never)).toMatchObject({ ok: true });
  });

  it('the clock decides: days left and "expired" with an injected clock', async () => {
    const at = (await runProbe(check(long, { ignoreTls: true }), never)).certExpiresAt!;
    const in3 = createProbeRunner({ now: () => at - 3.5 * DAY });
    const date = new Date(at).toISOString().slice(0, 10);
    expect(await in3(check(long, { ignoreTls: true, certExpiryDays: 5 }), never)).toMatchObject({ ok: false, error: `certificate expires in 3 days (${date})` });
    expect(await in3(check(long, { ignoreTls: true, certExpiryDays: 3 }), never)).toMatchObject({ ok: true });
    const late = createProbeRunner({ now: () => at + 1.5 * DAY });
    expect(await late(check(long, { ignoreTls: true, certExpiryDays: 1 }), never)).toMatchObject({ ok: false, error: `certificate expired 1 day ago (${date})` });
  });

  it('the HTTP judgement still applies over TLS', async () => {
    expect(await runProbe(check(long, { ignoreTls: true, keyword: 'nope' }), never)).toMatchObject({ ok: false, error: 'keyword "nope" not found' });
  });

  it('http:// to a TLS port and https:// to a plain port fail with an error, not a hang', async () => {
    const plain = long.url.replace('https:', 'http:');
    const r = await runProbe(def({ type: 'http', target: plain, timeoutMs: 2000 }), never);
    expect(r.ok).toBe(false);
    expect(r.error).toBeTruthy();
    expect(r.error).not.toMatch(/timeout/);
  });
});
