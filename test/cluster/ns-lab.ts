// A network-namespace lab for tests and benchmarks: one bridge namespace (<prefix>br), member namespaces
// joined to it by veths, and one root-side veth (<prefix>h) so the test process can reach them, all in one
// /24 of our own. Every member namespace gets an `inet <table>` nftables table the caller rewrites to
// drop addresses. Only namespaces with the lab's prefix are ever touched. Root, `ip netns` and nft needed.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';

export interface NsLab {
  readonly prefix: string;
  /** the test process's address on the lab's bridge */
  readonly hostIp: string;
  readonly broadcast: string;
  /** `${subnet}.${host}` */
  ip(host: number): string;
  /** creates the bridge, the root veth and these members (after a teardown of any leftovers) */
  setup(members: ReadonlyArray<{ ns: string; ip: string }>): void;
  teardown(): void;
  /** the namespace drops every packet to and from these addresses (both directions); [] clears */
  setBlocked(ns: string, ips: readonly string[]): void;
  /** starts a small node script in a namespace (stdio ignored but stderr) */
  spawnIn(ns: string, script: string, env?: Record<string, string>): ChildProcess;
}

function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 10_000, ...(input !== undefined ? { input } : {}) });
}
function tryRun(cmd: string, args: string[]): void {
  spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
}

/** Why a namespace lab cannot run here, or null. */
export function unavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces and nftables rules';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 });
  if (ip.error || ip.status !== 0) return `\`ip netns\` is not available: ${ip.error?.message ?? ip.stderr.trim()}`;
  const nft = spawnSync('nft', ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (nft.error || nft.status !== 0) return `\`nft\` is not available: ${nft.error?.message ?? nft.stderr.trim()}`;
  return null;
}

/** a lab named by `prefix` (e.g. "pbm-") in `subnet` (three octets, e.g. "10.236.0"); its nft table is `table` */
export function createNsLab(prefix: string, subnet: string, table: string): NsLab {
  const BR = `${prefix}br`;
  const HOST_IF = `${prefix}h`;
  const hostIp = `${subnet}.2`;
  const broadcast = `${subnet}.255`;

  const ourNamespaces = (): string[] => {
    const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
    return out.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n.startsWith(prefix));
  };

  const teardown = (): void => {
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
  };

  const addMember = (ns: string, ip: string): void => {
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    run('ip', ['link', 'add', `${ns}b`, 'type', 'veth', 'peer', 'name', `${ns}e`]);
    run('ip', ['link', 'set', `${ns}b`, 'netns', BR]);
    run('ip', ['-n', BR, 'link', 'set', `${ns}b`, 'master', 'br0', 'up']);
    run('ip', ['link', 'set', `${ns}e`, 'netns', ns]);
    run('ip', ['-n', ns, 'link', 'set', `${ns}e`, 'name', 'eth0']);
    run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'brd', broadcast, 'dev', 'eth0']);
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  };

  const setBlocked = (ns: string, ips: readonly string[]): void => {
    const set = ips.length ? `{ ${ips.join(', ')} }` : '';
    const script = [
      `table inet ${table}`, // created if missing, so the delete below cannot fail
      `delete table inet ${table}`,
      `table inet ${table} {`,
      `  chain input { type filter hook input priority 0; policy accept; ${set ? `ip saddr ${set} drop;` : ''} }`,
      `  chain output { type filter hook output priority 0; policy accept; ${set ? `ip daddr ${set} drop;` : ''} }`,
      '}',
    ].join('\n');
    run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], script);
  };

  return {
    prefix,
    hostIp,
    broadcast,
    ip: (host) => `${subnet}.${host}`,
    teardown,
    setBlocked,
    setup(members) {
      teardown();
      run('ip', ['netns', 'add', BR]);
      run('ip', ['-n', BR, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', BR, 'link', 'add', 'br0', 'type', 'bridge']);
      run('ip', ['-n', BR, 'link', 'set', 'br0', 'up']);
      run('ip', ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', `${prefix}hb`]);
      run('ip', ['link', 'set', `${prefix}hb`, 'netns', BR]);
      run('ip', ['-n', BR, 'link', 'set', `${prefix}hb`, 'master', 'br0', 'up']);
      tryRun('sysctl', ['-q', '-w', `net.ipv6.conf.${HOST_IF}.disable_ipv6=1`]);
      run('ip', ['addr', 'add', `${hostIp}/24`, 'brd', broadcast, 'dev', HOST_IF]);
      run('ip', ['link', 'set', HOST_IF, 'up']);
      for (const m of members) {
        addMember(m.ns, m.ip);
        setBlocked(m.ns, []);
      }
    },
    spawnIn(ns, script, env = {}) {
      return spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
    },
  };
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
