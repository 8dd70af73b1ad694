// The HTTP body fuzzer (issue 9), shared by the test (a small run) and bench/fuzz.ts --http (a long
// one): every body route of a real node's backend, listed from the fastify app, gets random and
// mutated bodies, Content-Types and path parameters over real HTTP. Never a 5xx; every 4xx in seed
// 002's shape; the node still answers /api/health.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { type RouteInfo, routesOf } from '../../../node-core/src/http/app.js';
import { buildBackend } from '../../../node-core/src/http/index.js';
import { silentLogger } from '../../../node-core/src/log.js';
import { createNode, type PeerNode } from '../../../node-core/src/node.js';
import { freeUdpPort } from '../../cluster/cluster-helpers.js';

/** A body each route accepts (the seed of the mutations); routes not listed start from {}. */
export const SAMPLE_BODIES: Record<string, Record<string, unknown>> = {
  'POST /updateRole': { role: 'master', ip: '127.0.0.1' },
  'POST /promote': { role: 'master', ip: '127.0.0.1' },
  'POST /register': { username: 'mallory', addr: '10.0.0.9:9000' },
  'POST /heartbeat': { username: 'mallory', addr: '10.0.0.9:9000' },
  'POST /api/servers': { host: 'evil-01' },
  'POST /api/servers/import': { serversList: [{ host: 'imp-01' }], replace: false },
  'PATCH /api/servers/:host': { comment: 'owned' },
  'POST /api/servers/:host/maintenance': { on: true },
  'POST /api/servers/:host/reserve': { user: 'mallory', durationSec: 60 },
  'POST /api/servers/:host/release': { user: 'mallory', force: true },
  'POST /api/servers/:host/extend': { user: 'mallory', durationSec: 60 },
  'POST /api/servers/:host/queue': { user: 'mallory', durationSec: 60 },
  'POST /api/cluster/voters': { nodeId: 'fz1' },
  'POST /api/cluster/force-shrink': { voters: ['fz1'], confirm: true },
  'POST /api/cluster/register': { id: 'fz-worker', url: 'http://127.0.0.1:9', clusterId: 'x', role: 'worker', metadata: { a: 1 } },
  'POST /api/cluster/heartbeat/:nodeId': { status: 'active', metadata: { load: 0.5 } },
  'POST /api/checks': { name: 'web', type: 'http', target: 'http://127.0.0.1:9/health', intervalSec: 30, timeoutMs: 1000, retries: 1, keyword: 'ok' },
  'PATCH /api/checks/:id': { intervalSec: 60, enabled: false },
  'POST /api/notifications': { type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'a-long-secret' },
  'PUT /api/monitoring/settings': { allowPrivateTargets: false },
  // worker loans: the body is ignored (the id is the path's); fuzzed ids and bodies must still be 4xx
  'POST /api/loans/:id/recall': {},
  'POST /api/loans/:id/return': {},
  'POST /sync/api/register': { instanceId: 'fz-remote', instanceName: 'fz', version: '1', capabilities: ['http'], failoverOrder: 1, systemInfo: { platform: 'linux', arch: 'x64', nodeVersion: 'v20', memory: 1, cpu: 1 } },
  'PUT /sync/api/heartbeat': { instanceId: 'fz-remote', timestamp: '2026-01-01T00:00:00.000Z', status: 'healthy', uptime: 1, monitoringResults: [], systemMetrics: { cpuUsage: 0, memoryUsage: 0, diskUsage: 0, activeEndpoints: 0 }, connectionStatus: { primaryReachable: true, lastSyncSuccess: '', syncErrors: 0 } },
  'POST /sync/api/promote': { instanceId: 'fz-remote' },
  'DELETE /sync/api/instances/:id': {},
  'POST /sync/api/demote/:id': {},
};

export interface FuzzTarget {
  node: PeerNode;
  app: FastifyInstance;
  port: number;
  /** the routes that take a body (every method but GET), from the app */
  routes: RouteInfo[];
  close(): Promise<void>;
}

/** A real single-node cluster (real SQLite, real UDP on loopback) with its backend on a loopback port. */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pb-fuzz-'));
  const node = await createNode(
    {
      clusterId: 'fuzz',
      nodeId: 'fz1',
      user: 'fz1',
      dataDir,
      broadcastAddress: '127.255.255.255',
      advertiseIP: '127.0.0.1',
      discoveryPort: await freeUdpPort(),
      peerPort: 0,
      apiPort: 0,
      uiPort: -1,
      frontendUrl: '',
      selfRegister: false,
      logLevel: 'silent',
      heartbeatIntervalMs: 100,
      electionTimeoutMs: 500,
      discoveryWindowMs: 200,
      httpBindAddress: '127.0.0.1',
    },
    { logger: silentLogger() },
  );
  const app = buildBackend(node, { logger: silentLogger() });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  node.setHttpPorts(port, null);
  const deadline = Date.now() + 10_000;
  while (!(node.raft.role === 'master' && node.raft.masterReady())) {
    if (Date.now() > deadline) throw new Error('the fuzz node did not become master');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    node,
    app,
    port,
    routes: routesOf(app).filter((r) => r.method !== 'GET'),
    async close() {
      await app.close();
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  text: string;
}

/** One request with exactly these headers (no Content-Type unless given) and raw bytes as body. */
export function send(port: number, method: string, path: string, body: Buffer | null, contentType: string | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { connection: 'close' };
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (body) headers['content-length'] = body.length;
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} in 15 s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // the server may answer (413) and close before the whole body is written
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') resolve({ status: -1, text: '' });
      else reject(err);
    });
    if (body) req.write(body);
    req.end();
  });
}

/** {"a":[{"a":...}]} `levels` deep, built as text (JSON.stringify would recurse). */
function nestedText(levels: number, arrays: boolean): string {
  return arrays ? `${'['.repeat(levels)}${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

const oddValue = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.string({ maxLength: 300 }),
  fc.constantFrom(null, true, -1, 1.5, 1e308, -0, '', '0', [], {}, '__proto__', 'constructor', '\u202e', '\u0000'),
  fc.integer({ min: 1, max: 20 }).map((n) => 'x'.repeat(n * 1000)),
);

/** A mutation of a valid body: a field replaced, removed, an unknown one added, or wrapped. */
function mutated(sample: Record<string, unknown>): fc.Arbitrary<string> {
  const keys = Object.keys(sample);
  return fc.oneof(
    fc.constant(JSON.stringify(sample)),
    keys.length > 0 ? fc.tuple(fc.constantFrom(...keys), oddValue).map(([k, v]) => JSON.stringify({ ...sample, [k]: v })) : fc.constant('{}'),
    keys.length > 0 ? fc.constantFrom(...keys).map((k) => JSON.stringify(Object.fromEntries(Object.entries(sample).filter(([x]) => x !== k)))) : fc.constant('{}'),
    fc.tuple(fc.string({ maxLength: 20 }), oddValue).map(([k, v]) => JSON.stringify({ ...sample, [k]: v })),
    fc.constantFrom(...(keys.length > 0 ? keys : ['a'])).chain((k) =>
      fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.boolean()).map(([n, arrays]) => {
        const json = JSON.stringify({ ...sample, [k]: '__DEEP__' });
        return json.replace('"__DEEP__"', nestedText(n, arrays));
      }),
    ),
    fc.constant(JSON.stringify([sample])),
  );
}

/** A body: mutations of the route's sample, random JSON, deep nesting, huge strings, raw or invalid UTF-8 bytes. */
export function bodyArb(sample: Record<string, unknown>): fc.Arbitrary<Buffer | null> {
  return fc.oneof(
    { weight: 6, arbitrary: mutated(sample).map((s) => Buffer.from(s)) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((s) => Buffer.from(s)) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.boolean()).map(([n, a]) => Buffer.from(nestedText(n, a))) },
    { weight: 1, arbitrary: fc.constantFrom(100_000, 1_048_000, 1_100_000).map((n) => Buffer.from(JSON.stringify({ ...sample, x: 'y'.repeat(n) }))) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: mutated(sample).map((s) => Buffer.concat([Buffer.from(s.slice(0, -1)), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')])) },
    { weight: 1, arbitrary: fc.constant(null) },
  );
}

/** Mostly JSON (so bodies reach the parsers and handlers), sometimes missing or odd. */
const contentTypeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=latin1') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<string | undefined>(
      undefined,
      '',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'application/json, text/plain',
    ),
  },
);

/** A path parameter: usually valid, sometimes odd (encoded as a client would). */
const paramArb = (valid: string) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(valid) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 400 }).map((s) => encodeURIComponent(s)) });

export interface FuzzCase {
  route: RouteInfo;
  path: string;
  body: Buffer | null;
  contentType: string | undefined;
}

export function caseArb(routes: RouteInfo[]): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...routes).chain((route) =>
    fc
      .record({
        host: paramArb('server-01'),
        user: paramArb('mallory'),
        nodeId: paramArb('fz-worker'),
        body: bodyArb(SAMPLE_BODIES[`${route.method} ${route.url}`] ?? {}),
        contentType: contentTypeArb,
      })
      .map(({ host, user, nodeId, body, contentType }) => ({
        route,
        path: route.url.replace(':host', host).replace(':user', user).replace(':nodeId', nodeId).replace(':id', String(host.length)),
        body,
        contentType,
      })),
  );
}

const ERROR_KEYS = ['code', 'details', 'error', 'message', 'success'];

/** Checks one answer; throws with the case on a violation. */
export function checkAnswer(c: FuzzCase, r: RawResponse): void {
  const what = `${c.route.method} ${c.path.slice(0, 120)} (${c.contentType ?? 'no Content-Type'}, ${c.body?.length ?? 0} bytes)`;
  if (r.status === -1) return; // closed while the client was still writing an oversized body
  if (r.status >= 500) throw new Error(`${what} answered ${r.status}: ${r.text.slice(0, 300)}`);
  if (r.status >= 400) {
    let body: unknown;
    try {
      body = JSON.parse(r.text);
    } catch {
      throw new Error(`${what} answered ${r.status} without a JSON body: ${r.text.slice(0, 200)}`);
    }
    const keys = body && typeof body === 'object' ? Object.keys(body).sort() : [];
    const b = body as { success?: unknown; code?: unknown; message?: unknown; error?: unknown };
    if (keys.join() !== ERROR_KEYS.join() || b.success !== false || typeof b.code !== 'string' || typeof b.message !== 'string' || typeof b.error !== 'string') {
      throw new Error(`${what} answered ${r.status} outside seed 002's error shape: ${r.text.slice(0, 200)}`);
    }
  }
}

/** The property: one fuzzed request, checked, then the node still answers /api/health. */
export function httpFuzzProperty(target: FuzzTarget): fc.IAsyncPropertyWithHooks<[FuzzCase]> {
  return fc.asyncProperty(caseArb(target.routes), async (c) => {
    const r = await send(target.port, c.route.method, c.path, c.body, c.contentType);
    checkAnswer(c, r);
    const health = await send(target.port, 'GET', '/api/health', null, undefined);
    if (health.status !== 200) throw new Error(`after ${c.route.method} ${c.path.slice(0, 80)} /api/health answered ${health.status}: ${health.text.slice(0, 200)}`);
  });
}
