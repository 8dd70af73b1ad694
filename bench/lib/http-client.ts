// A small keep-alive HTTP/1.1 JSON client for the load generators (node:http with a pooled Agent:
// cheaper per request than fetch on a 2-core machine), plus a server-sent-events reader.
import { Agent, request } from 'node:http';

export const agent = new Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 256 });

export interface HttpResult {
  status: number;
  body: string;
}

/** One request; resolves with status 0 on a network error or timeout (never rejects). */
export function send(url: string, method: string, body: unknown, timeoutMs: number): Promise<HttpResult> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let done = false;
    const finish = (r: HttpResult) => {
      if (!done) {
        done = true;
        resolve(r);
      }
    };
    const req = request(url, { method, agent, headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => finish({ status: 0, body: String(e) }));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy(new Error(`timeout after ${timeoutMs} ms`));
    });
    req.on('error', (e) => finish({ status: 0, body: String(e) }));
    req.end(payload);
  });
}

export function postJson(url: string, body: unknown, timeoutMs = 5000): Promise<HttpResult> {
  return send(url, 'POST', body, timeoutMs);
}

export async function getJson<T>(url: string, timeoutMs = 2000): Promise<T | null> {
  const r = await send(url, 'GET', undefined, timeoutMs);
  if (r.status !== 200) return null;
  try {
    return JSON.parse(r.body) as T;
  } catch {
    return null;
  }
}

export interface SseHandle {
  close(): void;
  /** resolves once the response headers arrived */
  ready: Promise<void>;
}

/** Opens GET url as an event stream and calls onEvent(name, data, arrivalMs) for every event. */
export function openEvents(url: string, onEvent: (name: string, data: string, at: number) => void): SseHandle {
  let buf = '';
  let ready!: () => void;
  let failed!: (e: Error) => void;
  const readyP = new Promise<void>((r, j) => {
    ready = r;
    failed = j;
  });
  const req = request(url, { method: 'GET', headers: { accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) {
      failed(new Error(`${url}: HTTP ${res.statusCode}`));
      res.resume();
      return;
    }
    ready();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const at = performance.now();
      buf += chunk;
      for (let i = 0; i < 100_000; i++) {
        const end = buf.indexOf('\n\n');
        if (end < 0) break;
        const frame = buf.slice(0, end);
        buf = buf.slice(end + 2);
        let name = 'message';
        const data: string[] = [];
        for (const line of frame.split('\n')) {
          if (line.startsWith('event: ')) name = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length > 0) onEvent(name, data.join('\n'), at);
      }
    });
  });
  req.on('error', (e) => failed(e));
  req.end();
  return { close: () => req.destroy(), ready: readyP };
}
