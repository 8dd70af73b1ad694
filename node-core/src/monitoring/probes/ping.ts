// The ping probe: one echo request with the system's ping (iputils: `ping -n -c 1 -W <sec> host`), run
// without a shell and killed at the deadline; the round trip is parsed from its "time=" line.
// Unprivileged: Linux lets a user without CAP_NET_RAW ping through an ICMP datagram socket when the
// user's group is inside net.ipv4.ping_group_range (most distributions set "0 2147483647"; "1 0" means
// nobody); iputils' ping is also often installed with cap_net_raw. Where neither holds, the probe says so.
import { execFile } from 'node:child_process';
import { type Attempt, type AttemptResult, deadline, describeError, oneLine, quote, refused } from './common.js';

/** ping's output beyond this is an error (one echo prints a few hundred bytes) */
const MAX_OUTPUT_BYTES = 64 * 1024;
/** a host name or an IP literal; never an option (a leading "-") */
const HOST_RE = /^[A-Za-z0-9_.:%][A-Za-z0-9_.:%-]{0,252}$/;
const NOT_PERMITTED_RE = /operation not permitted|permission denied|socket: /i;

export const pingAttempt: Attempt = (check, ctx) => {
  const host = check.target;
  if (!HOST_RE.test(host)) return Promise.resolve(refused(`bad ping target ${quote(host)}: a host name or IP address`));
  const dl = deadline(ctx.timeoutMs, ctx.signal);
  const waitSec = String(Math.max(1, Math.ceil(ctx.timeoutMs / 1000)));
  return new Promise<AttemptResult>((resolve) => {
    const started = performance.now();
    const elapsed = (): number => Math.round((performance.now() - started) * 100) / 100;
    execFile(
      ctx.pingCommand,
      ['-n', '-c', '1', '-W', waitSec, host],
      { signal: dl.signal, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, env: { ...process.env, LC_ALL: 'C' }, windowsHide: true },
      (err, stdout, stderr) => {
        const reason = dl.reason();
        dl.dispose();
        if (reason) return resolve({ ok: false, responseTime: elapsed(), error: reason });
        const code = (err as NodeJS.ErrnoException | null)?.code;
        if (code === 'ENOENT') return resolve(refused(`ping is not installed; install iputils-ping (looked for ${quote(ctx.pingCommand)})`));
        if (code === 'EACCES') return resolve(refused(`ping is not permitted: ${describeError(err)}`));
        if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return resolve({ ok: false, responseTime: elapsed(), error: 'ping wrote too much output' });
        const time = /time[=<]\s*([0-9]+(?:\.[0-9]+)?)\s*ms/.exec(stdout);
        if (time) return resolve({ ok: true, responseTime: Number(time[1]) });
        const said = stderr.trim().split('\n')[0] ?? '';
        if (NOT_PERMITTED_RE.test(said)) {
          return resolve(refused(`ping is not permitted here (${said}); allow unprivileged ICMP with sysctl net.ipv4.ping_group_range, or give ping cap_net_raw`));
        }
        const exit = typeof (err as { code?: unknown } | null)?.code === 'number' ? (err as { code: number }).code : err ? undefined : 0;
        if (exit === 1 || exit === 0) return resolve({ ok: false, responseTime: elapsed(), error: `no reply from ${host} within ${ctx.timeoutMs} ms` });
        resolve({ ok: false, responseTime: elapsed(), error: oneLine(said || (err ? describeError(err) : 'ping gave no round-trip time')) });
      },
    );
  });
};
