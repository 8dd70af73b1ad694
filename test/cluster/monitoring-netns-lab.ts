// The namespace lab of the monitoring test (issue 12): a bridge (pbm-br), three node namespaces
// (pbm-n1..3), a target namespace (pbm-tg: an HTTP server and a TCP listener) and a webhook receiver
// namespace (pbm-rx), all in 10.236.0.0/24, plus one root-side veth (pbm-h, 10.236.0.2) for the test.
// Every node namespace has an `inet pbm` nftables table that the test rewrites to block addresses.
import type { ChildProcess } from 'node:child_process';
import { createNsLab, exited, reachable, unavailableReason } from './ns-lab.js';

export const PREFIX = 'pbm-';
export const HOST_IP = '10.236.0.2';
export const TARGET_NS = 'pbm-tg';
export const TARGET_IP = '10.236.0.50';
export const RECEIVER_NS = 'pbm-rx';
export const RECEIVER_IP = '10.236.0.60';
export const HTTP_PORT = 8080;
export const TCP_PORT = 9090;
export const RECEIVER_PORT = 8090;
export const nodeIp = (i: number): string => `10.236.0.${10 + i}`;
export const nodeNs = (i: number): string => `pbm-n${i}`;

/** An HTTP server that answers "all ok" and a TCP listener that accepts and closes. */
export const TARGET_SCRIPT = `
const http = require('http'), net = require('net');
http.createServer((q, s) => s.end('all ok')).listen(${HTTP_PORT}, '0.0.0.0');
net.createServer((c) => c.end()).listen(${TCP_PORT}, '0.0.0.0');`;

/**
 * A webhook receiver: records every POST (delivery id, verdict change, whether the HMAC signature
 * checks out with SECRET, arrival time; at most 1000) and answers GET with the list as JSON.
 */
export const RECEIVER_SCRIPT = `
const http = require('http'), crypto = require('crypto');
const secret = process.env.SECRET; const got = [];
http.createServer((q, s) => {
  if (q.method === 'GET') { s.setHeader('content-type', 'application/json'); return s.end(JSON.stringify(got)); }
  const ch = []; let size = 0;
  q.on('data', (c) => { size += c.length; if (size < 1 << 20) ch.push(c); });
  q.on('end', () => {
    const raw = Buffer.concat(ch).toString('utf8');
    const ts = String(q.headers['x-peerboard-timestamp'] || ''), sig = String(q.headers['x-peerboard-signature'] || '');
    const want = 'sha256=' + crypto.createHmac('sha256', secret).update(ts + '.' + raw).digest('hex');
    let b = {}; try { b = JSON.parse(raw); } catch {}
    if (got.length < 1000) got.push({ id: String(q.headers['x-peerboard-delivery'] || ''), signed: sig === want, at: Date.now(), checkId: b.checkId, previous: b.previous, verdict: b.verdict, server: b.server });
    s.end('ok');
  });
}).listen(${RECEIVER_PORT}, '0.0.0.0');`;

export interface Delivery {
  id: string;
  signed: boolean;
  at: number;
  checkId: number;
  previous: string;
  verdict: string;
  server: string | null;
}

const lab = createNsLab(PREFIX, '10.236.0', 'pbm');

export { exited, reachable, unavailableReason };

/** Kills every process in a pbm-* namespace (only this lab starts any), deletes them and the root veth. Idempotent. */
export const teardown = (): void => lab.teardown();

export function setup(nodes: number): void {
  const members = [];
  for (let i = 1; i <= nodes; i++) members.push({ ns: nodeNs(i), ip: nodeIp(i) });
  lab.setup([...members, { ns: TARGET_NS, ip: TARGET_IP }, { ns: RECEIVER_NS, ip: RECEIVER_IP }]);
}

/** Node i drops every packet to and from these addresses (in its own namespace, both directions); [] clears. */
export const setBlocked = (i: number, ips: readonly string[]): void => lab.setBlocked(nodeNs(i), ips);

/** Starts a small node script in a namespace (stdio ignored but stderr). */
export const spawnIn = (ns: string, script: string, env: Record<string, string> = {}): ChildProcess => lab.spawnIn(ns, script, env);
