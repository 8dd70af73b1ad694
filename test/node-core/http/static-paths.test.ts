// Issue 9: hostile paths on the UI port (traversal, encoded dots, NUL bytes, bad percent-encoding)
// sent byte for byte over a raw socket answer a quiet 404: no 500, nothing logged above debug.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers.js';

/** Sends one request line exactly as written and returns the status and body. */
export function rawRequest(port: number, path: string, method = 'GET'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    sock.setEncoding('latin1');
    sock.on('data', (c: string) => (data += c));
    sock.on('error', reject);
    sock.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), text: data }));
    sock.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1');
  });
}

const HOSTILE = [
  '/../../etc/passwd',
  '/../../../../../../etc/passwd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/%2E%2E/%2E%2E/etc/passwd',
  '/assets/..%2f..%2f..%2fetc/passwd',
  '/..%5c..%5cetc/passwd',
  '/index.html%00.js',
  '/index.html%00',
  '/assets/app.js%00.html',
  '/%00',
  '/%',
  '/%zz',
  '/assets/%c0%ae%c0%ae/etc/passwd',
  '/assets/%ff.js',
  '/./../etc/passwd',
  `/${'a'.repeat(5000)}.js`,
  `/assets/${'b'.repeat(300)}.js`,
  '/index.html/x.js',
];

describe('hostile static paths on the UI port', () => {
  let dir: string;
  let h: Harness;
  const lines: Array<{ level: number; msg: string; err?: unknown }> = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peerboard-ui-paths-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Peerboard</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'export {}');
    const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    h = await startHarness({ uiDir: dir }, { logger });
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers each with 404 (or 400 for a malformed URL), never the file, never a 500, and logs nothing above debug while answering', async () => {
    const from = lines.length;
    for (const path of HOSTILE) {
      const r = await rawRequest(h.http.uiPort!, path);
      expect(r.text, path).not.toContain('root:');
      expect([400, 404], `${path}: ${r.text.slice(0, 300)}`).toContain(r.status);
      const body = r.text.slice(r.text.indexOf('\r\n\r\n') + 4);
      expect(JSON.parse(body), path).toMatchObject({ success: false });
    }
    const loud = lines.slice(from).filter((l) => l.level > 20);
    expect(loud.map((l) => `${l.msg} ${JSON.stringify(l).slice(0, 300)}`)).toEqual([]);
    // an empty segment is just an app path: the SPA page, never the file
    const slashes = await rawRequest(h.http.uiPort!, '//etc/passwd');
    expect(slashes.text).not.toContain('root:');
    expect(slashes.text).toContain('<title>Peerboard</title>');
    // the real files still load
    expect((await rawRequest(h.http.uiPort!, '/assets/app.js')).status).toBe(200);
    expect((await rawRequest(h.http.uiPort!, '/')).status).toBe(200);
  });
});
