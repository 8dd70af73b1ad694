// Web mode before the UI is built: / answers an HTML page that says how to build it (not a JSON
// 404), the log says so, and the UI is served once it appears, without a restart.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultUiDir } from '../../../node-core/src/headless/ui-dir.js';
import { type Harness, call, startHarness } from './helpers.js';

describe('a uiDir with no built UI', () => {
  let dir: string;
  let h: Harness;
  const lines: Array<{ level: number; msg: string; uiDir?: string }> = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'peerboard-no-ui-'));
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    h = await startHarness({ uiDir: join(dir, 'renderer') }, { logger });
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says so in the log at start', () => {
    const warn = lines.filter((l) => l.level === 40 && /no board UI to serve yet/.test(l.msg));
    expect(warn).toHaveLength(1);
    expect(warn[0]!.msg).toContain('npm run build:renderer');
    expect(warn[0]!.uiDir).toBe(join(dir, 'renderer'));
  });

  it('answers / and app paths with an HTML page saying how to build it, and keeps the API', async () => {
    for (const path of ['/', '/history']) {
      const r = await fetch(`${h.ui}${path}`);
      expect(r.status).toBe(503);
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
      expect(r.headers.get('retry-after')).toBe('5');
      const text = await r.text();
      expect(text).toContain('npm run build:renderer');
      expect(text).toContain('<meta http-equiv="refresh" content="5">');
    }
    // an asset path is still a plain 404, and the board API on this port still answers
    expect((await fetch(`${h.ui}/assets/app.js`)).status).toBe(404);
    expect((await call(`${h.ui}/api/state`)).status).toBe(200);
    // asking again does not log again
    expect(lines.filter((l) => /no board UI to serve yet/.test(l.msg))).toHaveLength(1);
  });

  it('serves the UI once it is built, without a restart, and logs that it appeared', async () => {
    mkdirSync(join(dir, 'renderer', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Peerboard</title><div id="app"></div>');
    writeFileSync(join(dir, 'renderer', 'assets', 'app.js'), 'export {}');
    const r = await fetch(`${h.ui}/`);
    expect(r.status).toBe(200);
    // the file handler answered /, and the node still said the UI appeared
    expect(await r.text()).toContain('<title>Peerboard</title>');
    expect(lines.filter((l) => l.level === 30 && /board UI has appeared/.test(l.msg))).toHaveLength(1);
    expect((await fetch(`${h.ui}/assets/app.js`)).status).toBe(200);
    expect((await fetch(`${h.ui}/cluster`)).status).toBe(200);
    expect(lines.filter((l) => l.level === 30 && /board UI has appeared/.test(l.msg))).toHaveLength(1);
  });
});

describe('defaultUiDir', () => {
  it('is dist/renderer of the peerboard package, built or not', () => {
    const root = mkdtempSync(join(tmpdir(), 'peerboard-pkg-'));
    try {
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'peerboard' }));
      mkdirSync(join(root, 'dist', 'node-core', 'headless'), { recursive: true });
      const from = join(root, 'dist', 'node-core', 'headless', 'ui-dir.js');
      expect(defaultUiDir(from)).toBe(join(root, 'dist', 'renderer'));
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'other' }));
      expect(defaultUiDir(from)).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
