// Which RendererApi the stores talk to: set once at start (main.ts) or per test.
import type { RendererApi } from './api-types.js';

let current: RendererApi | null = null;

export function providePeerApi(api: RendererApi): void {
  current = api;
}

export function usePeerApi(): RendererApi {
  if (!current) throw new Error('providePeerApi() must be called before the stores are used');
  return current;
}
