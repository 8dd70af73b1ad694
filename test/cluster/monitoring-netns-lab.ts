// The namespace lab of the monitoring test (issue 12): a bridge (pbm-br), three node namespaces
// (pbm-n1..3), a target namespace (pbm-tg: an HTTP server and a TCP listener) and a webhook receiver
// namespace (pbm-rx), all in 10.236.0.0/24, plus one root-side veth (pbm-h, 10.236.0.2) for the test.
// Every node namespace has an `inet pbm` nftables table that the test rewrites to block addresses.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';

export const PREFIX = 'pbm-';
export const BR = 'pbm-br';
export const HOST_IF = 'pbm-h';
export const HOST_IP = '10.236.0.2';
export const BROADCAST = '10.236.0.255';
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

function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 10_000, ...(input !== undefined ? { input } : {}) });
}
function tryRun(cmd: string, args: string[]): void {
  spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
}

/** Why the lab cannot run here, or null. */
export function unavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces and nftables rules';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 });
  if (ip.error || ip.status !== 0) return `\`ip netns\` is not available: ${ip.error?.message ?? ip.stderr.trim()}`;
  const nft = spawnSync('nft', ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (nft.error || nft.status !== 0) return `\`nft\` is not available: ${nft.error?.message ?? nft.stderr.trim()}`;
  return null;
}

function ourNamespaces(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
  return out.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n.startsWith(PREFIX));
}

/** Kills every process in a pbm-* namespace (only this lab starts any), deletes them and the root veth. Idempotent. */
export function teardown(): void {
  for (const ns of ourNamespaces()) {
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
    for (const pid of pids.split('\n').map(Number).filter((n) => Number.isInteger(n) && n > 1)) {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    tryRun('ip', ['netns', 'del', ns]);
  }
  if (spawnSync('ip', ['link', 'show', HOST_IF], { stdio: 'ignore', timeout: 5000 }).status === 0) tryRun('ip', ['link', 'del', HOST_IF]);
}

function addMember(ns: string, ip: string): void {
  run('ip', ['netns', 'add', ns]);
  run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  run('ip', ['link', 'add', `${ns}b`, 'type', 'veth', 'peer', 'name', `${ns}e`]);
  run('ip', ['link', 'set', `${ns}b`, 'netns', BR]);
  run('ip', ['-n', BR, 'link', 'set', `${ns}b`, 'master', 'br0', 'up']);
  run('ip', ['link', 'set', `${ns}e`, 'netns', ns]);
  run('ip', ['-n', ns, 'link', 'set', `${ns}e`, 'name', 'eth0']);
  run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'brd', BROADCAST, 'dev', 'eth0']);
  run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
}

export function setup(nodes: number): void {
  teardown();
  run('ip', ['netns', 'add', BR]);
  run('ip', ['-n', BR, 'link', 'set', 'lo', 'up']);
  run('ip', ['-n', BR, 'link', 'add', 'br0', 'type', 'bridge']);
  run('ip', ['-n', BR, 'link', 'set', 'br0', 'up']);
  run('ip', ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', 'pbm-hb']);
  run('ip', ['link', 'set', 'pbm-hb', 'netns', BR]);
  run('ip', ['-n', BR, 'link', 'set', 'pbm-hb', 'master', 'br0', 'up']);
  tryRun('sysctl', ['-q', '-w', `net.ipv6.conf.${HOST_IF}.disable_ipv6=1`]);
  run('ip', ['addr', 'add', `${HOST_IP}/24`, 'brd', BROADCAST, 'dev', HOST_IF]);
  run('ip', ['link', 'set', HOST_IF, 'up']);
  for (let i = 1; i <= nodes; i++) {
    addMember(nodeNs(i), nodeIp(i));
    setBlocked(i, []);
  }
  addMember(TARGET_NS, TARGET_IP);
  addMember(RECEIVER_NS, RECEIVER_IP);
}

/** Node i drops every packet to and from these addresses (in its own namespace, both directions); [] clears. */
export function setBlocked(i: number, ips: readonly string[]): void {
  const set = ips.length ? `{ ${ips.join(', ')} }` : '';
  const script = [
    'table inet pbm', // created if missing, so the delete below cannot fail
    'delete table inet pbm',
    'table inet pbm {',
    `  chain input { type filter hook input priority 0; policy accept; ${set ? `ip saddr ${set} drop;` : ''} }`,
    `  chain output { type filter hook output priority 0; policy accept; ${set ? `ip daddr ${set} drop;` : ''} }`,
    '}',
  ].join('\n');
  run('ip', ['netns', 'exec', nodeNs(i), 'nft', '-f', '-'], script);
}

/** Starts a small node script in a namespace (stdio ignored but stderr). */
export function spawnIn(ns: string, script: string, env: Record<string, string> = {}): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
}

/** true when a TCP connect to host:port succeeds within 1 s */
export function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 1000 });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.once('timeout', () => done(false));
  });
}

/** resolves when the process has exited (at once when it already has) */
export function exited(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((r) => p.once('exit', () => r()));
}
