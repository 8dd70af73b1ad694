// Helpers for the HTTP tests: start the real HTTP layer on loopback port 0 over a FakeNode, call it
// with fetch, read server-sent events, and wait on conditions with a deadline.
import { request as httpRequest } from 'node:http';
import { expect } from 'vitest';
import type { NodeConfigInput } from '../../../node-core/src/config.js';
import { type HttpHandle, startHttp } from '../../../node-core/src/http/index.js';
import type { HttpOptions } from '../../../node-core/src/http/app.js';
import { silentLogger } from '../../../node-core/src/log.js';
import { FakeNode } from './fake-node.js';

export interface Harness {
  node: FakeNode;
  http: HttpHandle;
  api: string;
  ui: string;
  close(): Promise<void>;
}

export async function startHarness(config: NodeConfigInput = {}, opts: Partial<HttpOptions> = {}): Promise<Harness> {
  const node = new FakeNode({ httpBindAddress: '127.0.0.1', ...config });
  const http = await startHttp(node, { logger: silentLogger(), closeGraceMs: 200, ...opts });
  return {
    node,
    http,
    api: `http://127.0.0.1:${http.apiPort}`,
    ui: `http://127.0.0.1:${http.uiPort ?? 0}`,
    close: () => http.close(),
  };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** fetch with a JSON body (or a raw string body) that parses the JSON answer. */
export async function call(
  url: string,
  init: { method?: string; json?: unknown; raw?: string; headers?: Record<string, string>; token?: string } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  } else if (init.raw !== undefined) {
    body = init.raw;
    headers['content-type'] ??= 'application/json';
  }
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Asserts seed 002's error shape and returns the body. */
export function expectError(r: JsonResponse, status: number, code: string): any {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body).toMatchObject({ success: false, code });
  expect(typeof r.body.error).toBe('string');
  expect(typeof r.body.message).toBe('string');
  expect(r.body.details).toBeTypeOf('object');
  expect(Object.keys(r.body).sort()).toEqual(['code', 'details', 'error', 'message', 'success']);
  return r.body;
}

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface SseEvent {
  event: string | null;
  data: string | null;
  comment: string | null;
}

/** An open event stream: frames are parsed as they arrive. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly status: number;
  readonly headers: Headers;
  private readonly abort: AbortController;
  private buffer = '';
  ended = false;

  private constructor(res: Response, abort: AbortController) {
    this.status = res.status;
    this.headers = res.headers;
    this.abort = abort;
    if (res.body) void this.pump(res.body);
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const abort = new AbortController();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    return new SseClient(res, abort);
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        this.buffer += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = this.buffer.indexOf('\n\n')) >= 0) {
          const frame = this.buffer.slice(0, i);
          this.buffer = this.buffer.slice(i + 2);
          const ev: SseEvent = { event: null, data: null, comment: null };
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) ev.comment = line.slice(1).trim();
            else if (line.startsWith('event: ')) ev.event = line.slice(7);
            else if (line.startsWith('data: ')) ev.data = line.slice(6);
          }
          this.events.push(ev);
        }
      }
    } catch {
      // aborted
    }
    this.ended = true;
  }

  named(name: string): any[] {
    return this.events.filter((e) => e.event === name).map((e) => JSON.parse(e.data ?? 'null'));
  }

  close(): void {
    this.abort.abort();
  }
}

/** A GET to 127.0.0.1 carrying the given Host header (fetch does not let a caller set Host). */
export function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}
