// Builds what the desktop tests load (dist/renderer, dist/electron/preload.cjs) when missing or older
// than their sources, and launches Chromium for them. Imports nothing of Electron's.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM, ROOT, UI_DIR, ensureRendererBuilt } from '../e2e/e2e-helpers.js';

export const PRELOAD = join(ROOT, 'dist/electron/preload.cjs');
export const RENDERER_INDEX = join(UI_DIR, 'index.html');
export const ARTIFACTS = join(ROOT, 'test-artifacts');

/** Builds dist/electron/preload.cjs when missing or older than its sources (tsc, then the check script). */
export function ensurePreloadBuilt(): void {
  const sources = ['electron/preload.ts', 'electron/ipc-contract.ts', 'electron/tsconfig.preload.json'].map((p) => statSync(join(ROOT, p)).mtimeMs);
  if (existsSync(PRELOAD) && statSync(PRELOAD).mtimeMs >= Math.max(...sources)) return;
  const opts = { cwd: ROOT, stdio: 'inherit' as const, timeout: 90_000 };
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'electron/tsconfig.preload.json'], opts);
  execFileSync(process.execPath, [join(ROOT, 'electron/scripts/build-preload.mjs')], opts);
}

export function ensureDesktopBuilt(): void {
  ensureRendererBuilt();
  ensurePreloadBuilt();
}

/** Chromium as the e2e tests launch it, plus file:// access for the module scripts (Electron's loadFile allows them). */
export async function launchDesktopBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--allow-file-access-from-files'],
  });
}
