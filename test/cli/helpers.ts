// Test helpers for the CLI: run the real entry in a child process (tsx on main.ts), capture an
// in-process run, and a small real HTTP server on 127.0.0.1 standing in for a node's API.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../node-core/src/cli/main.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
export const MAIN_TS = join(REPO, 'node-core/src/cli/main.ts');

export function tempDir(prefix = 'pb-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The inherited environment without any PEERBOARD_* variable, plus the given ones. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PEERBOARD_')) env[k] = v;
  return { ...env, ...extra };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `peerboard ARGS` as a real process; killed after timeoutMs. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, opts: { timeoutMs?: number; entry?: string[] } = {}): Promise<RunResult> {
  const entry = opts.entry ?? ['--import', 'tsx', MAIN_TS];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...entry, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Runs the CLI in this process with captured output. */
export async function runInProcess(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { env, io: { out: (t) => void (stdout += t), err: (t) => void (stderr += t) } });
  return { code, stdout, stderr };
}

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type Handler = (req: Recorded, res: ServerResponse) => void | 'destroy';

/** A real HTTP server on 127.0.0.1:0; routes are "METHOD /path" (path without query). */
export class FakeNode {
  readonly requests: Recorded[] = [];
  private readonly routes = new Map<string, Handler>();
  private server: Server | undefined;
  url = '';

  route(key: string, handler: Handler): this {
    this.routes.set(key, handler);
    return this;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown = undefined;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
        const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        this.requests.push(rec);
        const handler = this.routes.get(`${rec.method} ${rec.url.split('?')[0]}`);
        if (!handler) return json(res, 404, { success: false, error: 'Not Found', message: `no route ${rec.method} ${rec.url}`, code: 'NOT_FOUND', details: {} });
        if (handler(rec, res) === 'destroy') req.socket.destroy();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Waits until check() is true, polling; fails after the deadline. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
