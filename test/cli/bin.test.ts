// bin/peerboard.mjs, the installed command: it runs the compiled CLI from dist/, and says how to
// build when dist/ is missing. Compiled once into a temp directory so the shared dist/ is untouched.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../node-core/src/config.js';
import { cleanEnv, REPO, runCli, tempDir } from './helpers.js';

let root = '';
let bare = '';
beforeAll(() => {
  root = tempDir('pb-bin-');
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(REPO, 'bin/peerboard.mjs'), join(root, 'bin/peerboard.mjs'));
  copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  // tsc emits even when files other engineers are still writing have type errors; ours must compile
  try {
    execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'node-core/tsconfig.json'), '--outDir', join(root, 'dist/node-core')], { stdio: 'pipe', timeout: 120_000 });
  } catch (err) {
    const out = String((err as { stdout?: Buffer }).stdout ?? '');
    const ours = out.split('\n').filter((l) => /src\/(cli|headless)\//.test(l));
    if (ours.length > 0) throw new Error(`CLI does not compile:\n${ours.join('\n')}`);
  }
  bare = tempDir('pb-bin-bare-');
  mkdirSync(join(bare, 'bin'));
  copyFileSync(join(REPO, 'bin/peerboard.mjs'), join(bare, 'bin/peerboard.mjs'));
}, 150_000);
afterAll(() => {
  for (const d of [root, bare]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('bin/peerboard.mjs', () => {
  it('runs the compiled CLI: help, headless help with every setting, and exit 2 on a bad value', async () => {
    const env = cleanEnv({ PEERBOARD_SETTINGS_DIR: root });
    const entry = [join(root, 'bin/peerboard.mjs')];
    const help = await runCli(['--help'], env, { entry });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: peerboard/);
    const version = await runCli(['--version'], env, { entry });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const hh = await runCli(['--headless', '--help'], env, { entry });
    expect(hh.code).toBe(0);
    for (const k of Object.keys(configSchema.shape)) expect(hh.stdout).toContain(`key ${k} `);
    const bad = await runCli(['--headless', '--max-voters', '12'], env, { entry });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('peerboard: invalid configuration: maxVoters: Too big: expected number to be <=9 (from --max-voters)\n');
  });

  it('says how to build, and exits 2, when dist/ is missing', async () => {
    const r = await runCli(['status'], cleanEnv(), { entry: [join(bare, 'bin/peerboard.mjs')] });
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'peerboard: not built yet: run npm run build:node\n' });
  });
});
