// The tcp, ping and dns probes against real loopback parts: listening and closed ports, a listener whose
// backlog is full (connect hangs), the system ping and stand-in ping scripts, and a tiny UDP DNS server.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeRunner, runProbe } from '../../../node-core/src/monitoring/probes/index.js';
import { type DnsResponder, startDnsResponder } from './dns-responder.js';
import { closedPort, def, never } from './probe-helpers.js';

const has = (cmd: string): Promise<boolean> =>
  new Promise((resolve) => execFile('sh', ['-c', `command -v ${cmd}`], (err) => resolve(!err)));
const hasPing = await has('ping');
const hasPython = await has('python3');
const hasIpv6 = await new Promise<boolean>((resolve) => {
  const s = net.createServer().once('error', () => resolve(false));
  s.listen(0, '::1', () => s.close(() => resolve(true)));
});

describe('tcp probe', () => {
  let server: net.Server;
  let port = 0;
  let closedQuickly = 0;
  beforeAll(async () => {
    server = net.createServer((sock) => {
      const t0 = performance.now();
      sock.on('close', () => performance.now() - t0 < 1000 && closedQuickly++);
      sock.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('an open port is up, and the connection is closed at once', async () => {
    const before = closedQuickly;
    const r = await runProbe(def({ type: 'tcp', target: `127.0.0.1:${port}` }), never);
    expect(r).toMatchObject({ ok: true, attempts: 1 });
    expect(r.responseTime).toBeGreaterThan(0);
    await expect.poll(() => closedQuickly, { timeout: 2000 }).toBe(before + 1);
  });
  it('a closed port is down, naming the address', async () => {
    const p = await closedPort();
    expect(await runProbe(def({ type: 'tcp', target: `127.0.0.1:${p}` }), never)).toMatchObject({ ok: false, error: `connect ECONNREFUSED 127.0.0.1:${p}` });
  });
  it.skipIf(!hasIpv6)('IPv6 in brackets', async () => {
    const v6 = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => v6.listen(0, '::1', resolve));
    const p = (v6.address() as net.AddressInfo).port;
    expect(await runProbe(def({ type: 'tcp', target: `[::1]:${p}` }), never)).toMatchObject({ ok: true });
    await new Promise<void>((resolve) => v6.close(() => resolve()));
  });
  it('bad targets fail at once without a connection', async () => {
    for (const target of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '::1:80', '[nothost]:80', '', 'a b:80', `${'a'.repeat(300)}:80`, ':80']) {
      const r = await runProbe(def({ type: 'tcp', target, retries: 2 }), never);
      expect(r, target).toMatchObject({ ok: false, attempts: 1 });
      expect(r.error).toMatch(/^bad target/);
    }
  });

  describe.skipIf(!hasPython)('a listener whose accept queue is full (python3 listen(0), never accepts)', () => {
    let child: ChildProcess;
    let fullPort = 0;
    const fillers: net.Socket[] = [];
    beforeAll(async () => {
      const code = 'import socket,sys,time\ns=socket.socket();s.bind(("127.0.0.1",0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)';
      child = spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
      fullPort = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
      // one connection fills a backlog of 0; two more to be sure
      for (let i = 0; i < 3; i++) fillers.push(net.connect(fullPort, '127.0.0.1').on('error', () => {}));
    });
    afterAll(() => {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
    });
    it('a connect that hangs is a timeout after timeoutMs', async () => {
      const t0 = performance.now();
      const r = await runProbe(def({ type: 'tcp', target: `127.0.0.1:${fullPort}`, timeoutMs: 300 }), never);
      expect(r).toMatchObject({ ok: false, error: 'timeout after 300 ms' });
      expect(performance.now() - t0).toBeLessThan(1500);
    });
    it('and an abort stops it', async () => {
      const r = await runProbe(def({ type: 'tcp', target: `127.0.0.1:${fullPort}`, timeoutMs: 10_000 }), AbortSignal.timeout(100));
      expect(r).toMatchObject({ ok: false, error: 'aborted' });
    });
  });
});

describe('ping probe', () => {
  let dir = '';
  const script = async (name: string, body: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'probes-ping-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.skipIf(!hasPing)('the system ping reaches 127.0.0.1', async (ctx) => {
    const r = await runProbe(def({ type: 'ping', target: '127.0.0.1' }), never);
    if (/not permitted/.test(r.error ?? '')) ctx.skip(`ping is installed but not permitted here: ${r.error}`);
    expect(r).toMatchObject({ ok: true, attempts: 1 });
    expect(r.responseTime).toBeGreaterThan(0);
    expect(r.responseTime).toBeLessThan(1000);
  });
  if (!hasPing) it.skip('the system ping: skipped, no ping binary (apt-get install iputils-ping)', () => {});

  it('runs "ping -n -c 1 -W <sec> host" without a shell and parses time=', async () => {
    const args = join(dir, 'args');
    const fake = await script('fake-ok', `printf '%s\\n' "$@" > '${args}'\necho '64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=12.3 ms'`);
    const r = await createProbeRunner({ pingCommand: fake })(def({ type: 'ping', target: '127.0.0.1', timeoutMs: 1500 }), never);
    expect(r).toMatchObject({ ok: true, responseTime: 12.3 });
    expect((await readFile(args, 'utf8')).trim().split('\n')).toEqual(['-n', '-c', '1', '-W', '2', '127.0.0.1']);
  });
  it('a missing ping binary says what to install, and is not retried', async () => {
    const r = await createProbeRunner({ pingCommand: join(dir, 'no-such-ping') })(def({ type: 'ping', target: '127.0.0.1', retries: 3 }), never);
    expect(r).toMatchObject({ ok: false, attempts: 1 });
    expect(r.error).toMatch(/^ping is not installed; install iputils-ping/);
  });
  it('ping without permission says how to allow it', async () => {
    const fake = await script('fake-eperm', `echo 'ping: socket: Operation not permitted' >&2\nexit 2`);
    const r = await createProbeRunner({ pingCommand: fake })(def({ type: 'ping', target: '127.0.0.1', retries: 2 }), never);
    expect(r).toMatchObject({ ok: false, attempts: 1 });
    expect(r.error).toMatch(/^ping is not permitted here \(ping: socket: Operation not permitted\); allow unprivileged ICMP with sysctl net.ipv4.ping_group_range/);
  });
  it('no reply is down; another failure passes on what ping said', async () => {
    const silent = await script('fake-noreply', `echo '1 packets transmitted, 0 received, 100% packet loss'\nexit 1`);
    expect(await createProbeRunner({ pingCommand: silent })(def({ type: 'ping', target: '127.0.0.1' }), never)).toMatchObject({
      ok: false,
      error: 'no reply from 127.0.0.1 within 2000 ms',
    });
    const unknown = await script('fake-unknown', `echo "ping: $6: Name or service not known" >&2\nexit 2`);
    expect(await createProbeRunner({ pingCommand: unknown })(def({ type: 'ping', target: 'nohost.test' }), never)).toMatchObject({
      ok: false,
      error: 'ping: nohost.test: Name or service not known',
    });
  });
  it('a ping that hangs is killed at the timeout', async () => {
    const pidFile = join(dir, 'hang.pid');
    const fake = await script('fake-hang', `echo $$ > '${pidFile}'\nexec sleep 30`);
    const t0 = performance.now();
    const r = await createProbeRunner({ pingCommand: fake })(def({ type: 'ping', target: '127.0.0.1', timeoutMs: 300 }), never);
    expect(r).toMatchObject({ ok: false, error: 'timeout after 300 ms' });
    expect(performance.now() - t0).toBeLessThan(1500);
    const pid = Number(await readFile(pidFile, 'utf8'));
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await expect.poll(alive, { timeout: 2000 }).toBe(false);
  });
  it('a ping that floods its output is cut off', async () => {
    const fake = await script('fake-flood', `head -c 1000000 /dev/zero | tr '\\0' 'x'`);
    expect(await createProbeRunner({ pingCommand: fake })(def({ type: 'ping', target: '127.0.0.1' }), never)).toMatchObject({ ok: false, error: 'ping wrote too much output' });
  });
  it('a target that is an option, or shell syntax, never reaches ping', async () => {
    const ran = join(dir, 'ran');
    const fake = await script('fake-guard', `touch '${ran}'`);
    const runner = createProbeRunner({ pingCommand: fake });
    for (const target of ['-f', '--help', '-c1000', '127.0.0.1;id', '$(id)', 'a b', '', 'x'.repeat(300), '127.0.0.1\n-f']) {
      const r = await runner(def({ type: 'ping', target, retries: 2 }), never);
      expect(r, target).toMatchObject({ ok: false, attempts: 1 });
      expect(r.error).toMatch(/^bad ping target/);
    }
    expect(existsSync(ran)).toBe(false);
  });
});

describe('dns probe', () => {
  let dns: DnsResponder;
  let server = '';
  beforeAll(async () => {
    dns = await startDnsResponder(
      {
        'web.test': [
          { type: 'A', value: '10.1.2.3' },
          { type: 'A', value: '10.1.2.4' },
          { type: 'AAAA', value: '2001:db8::1' },
          { type: 'MX', priority: 10, exchange: 'mail.web.test' },
          { type: 'TXT', chunks: ['v=spf1 ', '-all'] },
          { type: 'NS', value: 'ns1.web.test' },
        ],
        'www.web.test': [{ type: 'CNAME', value: 'web.test' }],
        '_http._tcp.web.test': [{ type: 'SRV', priority: 1, weight: 5, port: 8080, name: 'web.test' }],
        'empty.test': [],
      },
      { servfail: ['broken.test'], silent: ['silent.test'] },
    );
    server = `127.0.0.1:${dns.port}`;
  });
  afterAll(() => dns.close());
  const dnsCheck = (target: string, over: Parameters<typeof def>[0] extends infer T ? Partial<T> : never = {}) =>
    def({ type: 'dns', target, dnsServer: server, timeoutMs: 1000, ...over });

  it('resolves A by default against the given server and port', async () => {
    const r = await runProbe(dnsCheck('web.test'), never);
    expect(r).toMatchObject({ ok: true, attempts: 1 });
    expect(dns.queries).toContain('web.test A');
  });
  it('dnsExpect must equal one answer', async () => {
    expect(await runProbe(dnsCheck('web.test', { dnsExpect: '10.1.2.4' }), never)).toMatchObject({ ok: true });
    expect(await runProbe(dnsCheck('web.test', { dnsExpect: '10.9.9.9' }), never)).toMatchObject({
      ok: false,
      error: 'no A answer equals "10.9.9.9" (got 10.1.2.3, 10.1.2.4)',
    });
  });
  it('every record type, with MX, SRV and TXT as strings', async () => {
    const ok: [string, Parameters<typeof dnsCheck>[1]][] = [
      ['web.test', { dnsRecordType: 'AAAA', dnsExpect: '2001:0db8:0:0:0:0:0:1' }],
      ['web.test', { dnsRecordType: 'MX', dnsExpect: '10 mail.web.test' }],
      ['web.test', { dnsRecordType: 'MX', dnsExpect: 'MAIL.web.test.' }],
      ['web.test', { dnsRecordType: 'TXT', dnsExpect: 'v=spf1 -all' }],
      ['web.test', { dnsRecordType: 'NS', dnsExpect: 'ns1.web.test' }],
      ['www.web.test', { dnsRecordType: 'CNAME', dnsExpect: 'web.test' }],
      ['_http._tcp.web.test', { dnsRecordType: 'SRV', dnsExpect: '1 5 8080 web.test' }],
      ['_http._tcp.web.test', { dnsRecordType: 'SRV', dnsExpect: 'web.test:8080' }],
    ];
    for (const [name, over] of ok) expect(await runProbe(dnsCheck(name, over), never), JSON.stringify(over)).toMatchObject({ ok: true });
    expect(await runProbe(dnsCheck('web.test', { dnsRecordType: 'TXT', dnsExpect: 'V=SPF1 -ALL' }), never)).toMatchObject({
      ok: false,
      error: 'no TXT answer equals "V=SPF1 -ALL" (got v=spf1 -all)',
    });
  });
  it('NXDOMAIN, no data, SERVFAIL, and a refused port are down with their reasons', async () => {
    expect(await runProbe(dnsCheck('nothing.test'), never)).toMatchObject({ ok: false, error: 'nothing.test does not exist (NXDOMAIN)' });
    expect(await runProbe(dnsCheck('empty.test'), never)).toMatchObject({ ok: false, error: 'no A record for empty.test' });
    expect(await runProbe(dnsCheck('broken.test'), never)).toMatchObject({ ok: false, error: 'the DNS server failed to answer (SERVFAIL)' });
    const p = await closedPort();
    const r = await runProbe(dnsCheck('web.test', { dnsServer: `127.0.0.1:${p}`, timeoutMs: 500 }), never);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/connection refused|timeout after 500 ms/);
  });
  it('a server that never answers is a timeout; an abort stops the wait', async () => {
    const t0 = performance.now();
    expect(await runProbe(dnsCheck('silent.test', { timeoutMs: 300 }), never)).toMatchObject({ ok: false, error: 'timeout after 300 ms' });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(await runProbe(dnsCheck('silent.test', { timeoutMs: 10_000 }), AbortSignal.timeout(100))).toMatchObject({ ok: false, error: 'aborted' });
  });
  it('bad names, servers and types fail at once', async () => {
    const cases: [Parameters<typeof dnsCheck>[1] & { target?: string }, RegExp][] = [
      [{ dnsServer: 'dns.example.com' }, /^bad DNS server "dns.example.com"/],
      [{ dnsServer: '127.0.0.1:99999' }, /^bad DNS server/],
      [{ dnsServer: '127.0.0.1:0' }, /^bad DNS server/],
      [{ dnsRecordType: 'ANY' as never }, /^unknown DNS record type "ANY"/],
      [{ target: 'a'.repeat(300) }, /^bad DNS name/],
      [{ target: 'with space.test' }, /^bad DNS name/],
      [{ target: '' }, /^bad DNS name ""/],
    ];
    for (const [over, error] of cases) {
      const r = await runProbe(dnsCheck(over.target ?? 'web.test', { ...over, retries: 2 }), never);
      expect(r, JSON.stringify(over)).toMatchObject({ ok: false, attempts: 1 });
      expect(r.error).toMatch(error);
    }
  });
});
