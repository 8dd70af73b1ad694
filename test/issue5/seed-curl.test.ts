// Issue 10: seed 001's "client usage" examples exactly as written, curl -d without a Content-Type
// header (curl then sends the form type), and a raw request with no Content-Type at all, on a real
// node; the rest of the API stays JSON-only, and a browser cannot use the form type cross-origin.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestCluster, type TestNode, api, startCluster } from './helpers.js';

/** Runs curl with these arguments; returns the HTTP status and the parsed body. */
async function curl(args: string[]): Promise<{ status: number; body: any }> {
  const { stdout: out } = await promisify(execFile)('curl', ['-s', '-w', '\n%{http_code}', ...args], { encoding: 'utf8', timeout: 10_000 });
  const i = out.lastIndexOf('\n');
  return { status: Number(out.slice(i + 1)), body: JSON.parse(out.slice(0, i)) };
}

/** A POST with exactly these header lines (no Content-Type unless given). */
function rawPost(port: number, path: string, body: string, headers: string[] = []): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => (data += c));
    sock.on('error', reject);
    sock.on('end', () => {
      const text = data.slice(data.indexOf('\r\n\r\n') + 4);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), body: JSON.parse(text) });
    });
    const head = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`, ...headers];
    sock.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  });
}

describe("seed 001's curls without a Content-Type header", () => {
  let c: TestCluster;
  let leader: TestNode;
  let base: string;
  beforeAll(async () => {
    ({ c, leader } = await startCluster(['n1']));
    base = leader.api;
  });
  afterAll(async () => {
    await c?.close();
  });

  it('registers and heartbeats as in "Client Usage", with LEADER_IP and MY_IP filled in', async () => {
    // curl -X POST http://LEADER_IP:3000/register -d '{"username":"myclient","addr":"MY_IP:9000"}'
    const reg = await curl(['-X', 'POST', `${base}/register`, '-d', '{"username":"myclient","addr":"10.0.0.5:9000"}']);
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    expect(reg.body).toMatchObject({ success: true, message: "User 'myclient' registered successfully at 10.0.0.5:9000" });
    // curl -X POST http://LEADER_IP:3000/heartbeat -d '{"username":"myclient"}'
    const hb = await curl(['-X', 'POST', `${base}/heartbeat`, '-d', '{"username":"myclient"}']);
    expect(hb.status, JSON.stringify(hb.body)).toBe(200);
    expect(hb.body).toMatchObject({ success: true, message: "Heartbeat accepted for 'myclient' at 10.0.0.5:9000" });
    // curl http://LEADER_IP:3000/discover
    const d = await curl([`${base}/discover`]);
    expect(d.body.online_clients.map((u: { username: string }) => u.username)).toContain('myclient');
  });

  it('reads a body sent with no Content-Type at all', async () => {
    const r = await rawPost(leader.http.apiPort, '/register', '{"username":"bare","addr":"10.0.0.6:9000"}');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const hb = await rawPost(leader.http.apiPort, '/heartbeat', '{"username":"bare"}');
    expect(hb.status).toBe(200);
  });

  it('still checks such bodies: bad JSON 400, a wrong field 400, a huge body 413, prototype keys 400', async () => {
    const bad = await rawPost(leader.http.apiPort, '/register', '{"username":', ['Content-Type: application/x-www-form-urlencoded']);
    expect(bad).toMatchObject({ status: 400, body: { success: false, code: 'BAD_REQUEST' } });
    const field = await curl(['-X', 'POST', `${base}/register`, '-d', '{"username":"x","addr":"10.0.0.7:9000","admin":true}']);
    expect(field.status).toBe(400);
    expect(field.body.message).toMatch(/unknown field "admin"/);
    const proto = await curl(['-X', 'POST', `${base}/heartbeat`, '-d', '{"username":"x","__proto__":{"polluted":1}}']);
    expect(proto.status).toBe(400);
    const huge = await rawPost(leader.http.apiPort, '/register', `{"username":"${'u'.repeat(1_100_000)}"}`);
    expect(huge).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('refuses the form type from a browser (Origin) and keeps every other route JSON-only', async () => {
    const fromPage = await rawPost(leader.http.apiPort, '/register', '{"username":"csrf","addr":"10.0.0.8:9000"}', [
      'Content-Type: application/x-www-form-urlencoded',
      'Origin: http://evil.example',
    ]);
    expect(fromPage).toMatchObject({ status: 403, body: { success: false, code: 'FORBIDDEN' } });
    const plain = await rawPost(leader.http.apiPort, '/register', '{"username":"p","addr":"10.0.0.8:9000"}', ['Content-Type: text/plain']);
    expect(plain.status).toBe(415);
    const other = await curl(['-X', 'POST', `${base}/api/servers`, '-d', '{"host":"form-01"}']);
    expect(other.status).toBe(415);
    expect((await api(base, 'GET', '/users')).body).toMatchObject({ count: 2 });
  });
});
