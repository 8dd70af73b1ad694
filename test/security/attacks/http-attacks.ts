// HTTP attacks, run from the attacker namespace: the poison record (deeply nested metadata sent with
// a user token) and the garbage campaign (bad JSON, wrong types, huge bodies, path traversal, bidi names).
import fc from 'fast-check';
import { type Outcome, type Target, outcome, rawHttp } from './wire.js';

interface Sent {
  status: number | null;
  body: string;
}

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs = 5000): Promise<Sent> {
  try {
    const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: (await res.text()).slice(0, 300) };
  } catch (err) {
    return { status: null, body: (err as Error).message };
  }
}

function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** POST /api/cluster/register with metadata (or capabilities) nested thousands of levels deep. */
export async function poison(t: Target, p: { targetIp: string }): Promise<Outcome> {
  const o = outcome();
  const cases: Array<[number, 'array' | 'object', 'metadata' | 'capabilities']> = [
    [3000, 'array', 'metadata'],
    [5000, 'array', 'metadata'],
    [3000, 'array', 'capabilities'],
    [20000, 'array', 'metadata'],
  ];
  const headers = { authorization: `Bearer ${t.tokens.user}`, 'content-type': 'application/json' };
  for (const [depth, kind, field] of cases) {
    const body = `{"id":"poison-${depth}-${kind}","url":"http://${t.attackerIp}:9/","clusterId":"ext","role":"worker","${field}":{"m":${nested(depth, kind)}}}`;
    const r = await post(`http://${p.targetIp}:${t.ports.api}/api/cluster/register`, body, headers, 8000);
    o.sent++;
    o.notes.push(`${field} depth ${depth} (${kind}, ${(body.length / 1024).toFixed(1)} KB): ${r.status ?? 'no answer'}`);
    if (r.status === null || r.status >= 500) o.breaches.push(`register with ${field} nested ${depth} deep answered ${r.status ?? 'nothing'}`);
  }
  return o;
}

const BAD_BODIES: string[] = [
  '{', '}', '[]', 'null', '1', '"s"', 'true', '{"user":1}', '{"user":null,"durationSec":60}', '{"user":"u","durationSec":"60"}',
  '{"user":"u","durationSec":-1}', '{"user":"u","durationSec":1e309}', '{"user":"u","durationSec":1.5}', '{"unknown":1}',
  '{"user":"u","durationSec":60,"extra":true}', '{"__proto__":{"admin":true},"user":"u","durationSec":60}',
  '{"constructor":{"prototype":{"polluted":1}}}', '{"user":"u","until":9007199254740993}', '{"user":"\\u0000","durationSec":60}',
  '{"user":"u","durationSec":60,"comment":{"$gt":""}}', `{"user":"${'a'.repeat(100_000)}","durationSec":60}`,
  '{"id":"x","url":"file:///etc/passwd","clusterId":"c","role":"worker"}', '{"id":"x","url":"http://169.254.169.254/","clusterId":"c","role":"worker"}',
  '{"status":"active","metadata":{"load":"NaN"}}', '{"role":"master","nodeId":"mallory"}', '{"serversList":[{"host":"../../x"}],"replace":true}',
  '{"username":"u","addr":"1.2.3.4:0","userId":"i"}', '{"role":"master","ip":"1.1.1.1"}',
];

const USER_ROUTES = [
  '/api/servers/scratch-http/reserve', '/api/servers/scratch-http/release', '/api/servers/scratch-http/extend', '/api/servers/scratch-http/queue',
  '/api/cluster/register', '/api/cluster/heartbeat/x', '/register', '/heartbeat', '/api/servers/scratch-http/maintenance',
  '/api/servers/import', '/promote', '/api/cluster/voters', '/api/cluster/force-shrink', '/api/cluster/disable-serving',
];

/** Bad JSON, unknown fields, wrong types and huge bodies on every write route; traversal on the UI port; bidi names. */
export async function httpGarbage(t: Target, p: { count: number }): Promise<Outcome> {
  const o = outcome();
  const statuses = new Map<string, number>();
  const fuzz = fc.sample(fc.jsonValue({ maxDepth: 4 }), Math.max(100, p.count));
  const jobs: Array<() => Promise<void>> = [];
  for (let i = 0; i < p.count; i++) {
    const node = t.nodes[i % t.nodes.length]!;
    const route = USER_ROUTES[i % USER_ROUTES.length]!;
    const port = i % 5 === 4 && route !== '/register' && route !== '/heartbeat' ? t.ports.ui : t.ports.api;
    const tokenKind = i % 7 === 0 ? 'none' : i % 11 === 0 ? 'bad' : 'user';
    const k = Math.floor(i / USER_ROUTES.length);
    const body = k % 2 === 0 ? BAD_BODIES[(k >> 1) % BAD_BODIES.length]! : JSON.stringify(fuzz[i % fuzz.length]) ?? 'null';
    const headers: Record<string, string> = { 'content-type': i % 13 === 0 ? 'text/plain' : 'application/json' };
    if (tokenKind === 'user') headers.authorization = `Bearer ${t.tokens.user}`;
    if (tokenKind === 'bad') headers.authorization = 'Bearer not-the-token';
    jobs.push(async () => {
      const r = await post(`http://${node.ip}:${port}${route}`, body, headers);
      o.sent++;
      const key = `${r.status ?? 'none'}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (r.status === null || r.status >= 500) o.breaches.push(`POST :${port}${route} ${body.slice(0, 60)} -> ${r.status ?? r.body.slice(0, 60)}`);
      else if (tokenKind !== 'user' && r.status < 300) o.breaches.push(`POST :${port}${route} without a valid token answered ${r.status}`);
    });
  }
  // a few huge bodies (over the 1 MiB limit) and deep nesting, over a raw socket: the node may answer
  // 413 and close before the upload ends, which fetch reports as a failure without the status
  for (let i = 0; i < Math.min(20, Math.ceil(p.count / 100)); i++) {
    const node = t.nodes[i % t.nodes.length]!;
    const big = i % 2 === 0 ? `{"user":"${'x'.repeat(2 * 1024 * 1024)}"}` : `{"user":"u","comment":${nested(100_000, 'array')}}`;
    jobs.push(async () => {
      const head = `POST /api/servers/scratch-http/reserve HTTP/1.1\r\nHost: ${node.ip}\r\nAuthorization: Bearer ${t.tokens.user}\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n`;
      // 30 s: the node's own request timeout (once, under CI load, one 2 MiB upload got no answer within 10 s)
      const r = await rawHttp(node.ip, t.ports.api, head + big, 30_000);
      o.sent++;
      const key = `huge:${r?.status ?? 'none'}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (r === null || r.status >= 500) o.breaches.push(`huge body (${(big.length / 1024 / 1024).toFixed(1)} MiB) answered ${r?.status ?? 'nothing'}`);
    });
  }
  await runPool(jobs, 12);
  o.notes.push(`statuses ${[...statuses].map(([s, n]) => `${s}x${n}`).join(' ')}`);
  if (o.breaches.length > 8) o.breaches.splice(8, o.breaches.length - 8, `... and ${o.breaches.length - 8} more bad answers`);
  await traversal(t, o);
  await bidi(t, o);
  return o;
}

async function traversal(t: Target, o: Outcome): Promise<void> {
  const paths = ['/../../etc/passwd', '/index.html%00.js', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', '/assets/../../../../etc/passwd', '/%00', '/index.html%00'];
  for (const path of paths) {
    const bad = new Map<string, string[]>();
    for (const node of t.nodes) {
      const r = await rawHttp(node.ip, t.ports.ui, `GET ${path} HTTP/1.1\r\nHost: ${node.ip}\r\nConnection: close\r\n\r\n`);
      o.sent++;
      const what = !r ? 'no answer' : r.body.includes('root:x:0') ? 'leaked /etc/passwd' : r.status >= 500 ? `answered ${r.status} (expected 404)` : null;
      if (what) bad.set(what, [...(bad.get(what) ?? []), node.id]);
      else if (r && r.status !== 404 && node === t.nodes[0]) o.notes.push(`GET ${path}: ${r.status}`);
    }
    for (const [what, ids] of bad) o.breaches.push(`GET ${path} on the UI port ${what} on ${ids.join(',')}`);
  }
}

/** user names with bidi overrides, embeddings and isolates (U+202A-202E, U+2066-2069): refused or neutralised, never stored as they are */
async function bidi(t: Target, o: Outcome): Promise<void> {
  const node = t.nodes[0]!;
  const headers = { authorization: `Bearer ${t.tokens.user}`, 'content-type': 'application/json' };
  for (const user of ['\u202Eevil', 'ad\u202Enimda', 'x\u2066y\u2069', 'a\u202Db']) {
    const r = await post(`http://${node.ip}:${t.ports.api}/api/servers/scratch-bidi/reserve`, JSON.stringify({ user, durationSec: 600 }), headers);
    o.sent++;
    o.notes.push(`bidi name ${JSON.stringify(user)}: ${r.status ?? 'no answer'}`);
    if (r.status !== null && r.status < 300) {
      const read = { authorization: headers.authorization };
      const s = await fetch(`http://${node.ip}:${t.ports.api}/api/servers/scratch-bidi`, { headers: read }).then((x) => x.json() as Promise<{ holder?: string | null }>).catch(() => null);
      const holder = s?.holder ?? null;
      if (holder === null) o.breaches.push(`user name ${JSON.stringify(user)} was accepted (${r.status}) but the hold cannot be read back`);
      else if (/[\u202A-\u202E\u2066-\u2069]/.test(holder)) o.breaches.push(`user name ${JSON.stringify(user)} was accepted and stored with its bidi control as is`);
      await post(`http://${node.ip}:${t.ports.api}/api/servers/scratch-bidi/release`, JSON.stringify({ user: holder ?? user }), headers);
    }
  }
}

async function runPool(jobs: Array<() => Promise<void>>, width: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) await jobs[next++]!();
    }),
  );
}
