// Chooses how this window reaches its node: the preload bridge in the desktop app, the in-memory
// demo with ?demo=1, otherwise HTTP to the page's own origin.
import type { RendererApi } from './api-types.js';
import { createDesktopApi } from './desktop-api.js';
import { createDemoApi } from './fake-api.js';
import { HttpApi } from './http-api.js';

export const TOKEN_KEY = 'peerboard.token';
/** the name this browser's user gave (session store) */
export const USER_KEY = 'peerboard.user';

function readKey(key: string): string | null {
  try {
    return globalThis.localStorage?.getItem(key) || null;
  } catch {
    return null;
  }
}

export function readToken(): string | null {
  return readKey(TOKEN_KEY);
}

export function selectApi(win: Window = window): RendererApi {
  if (win.peerboard) return createDesktopApi(win.peerboard);
  const params = new URLSearchParams(win.location.search);
  if (params.get('demo') === '1') {
    // ?demo=1&servers=2000: a bigger sample board (benchmarks), bounded
    const n = Number(params.get('servers'));
    const latency = params.get('latency') === '0' ? 0 : undefined;
    return createDemoApi(Number.isInteger(n) && n > 0 ? Math.min(n, 20_000) : undefined, latency);
  }
  return new HttpApi({ baseUrl: '', getToken: readToken, getUser: () => readKey(USER_KEY) });
}
