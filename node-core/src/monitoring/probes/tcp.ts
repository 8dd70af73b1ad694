// The tcp probe: connect to host:port ("[v6]:port" for IPv6), time the connect, close at once.
import net from 'node:net';
import { type Attempt, deadline, describeError, quote, refused, since } from './common.js';

/** longest host name DNS allows */
const MAX_HOST_CHARS = 253;

/** host and port of "host:port" / "[v6]:port", or undefined when it is not one. */
export function parseHostPort(target: string): { host: string; port: number } | undefined {
  const m = /^\[([0-9A-Fa-f:.%\w-]+)\]:(\d{1,5})$/.exec(target) ?? /^([^\s:[\]/]+):(\d{1,5})$/.exec(target);
  if (!m) return undefined;
  const host = m[1]!;
  const port = Number(m[2]);
  if (host.length > MAX_HOST_CHARS || port < 1 || port > 65535) return undefined;
  if (target.startsWith('[') && net.isIPv6(host) === false) return undefined;
  return { host, port };
}

export const tcpAttempt: Attempt = (check, ctx) => {
  const hp = parseHostPort(check.target);
  if (!hp) return Promise.resolve(refused(`bad target ${quote(check.target)}: expected host:port or [IPv6]:port`));
  const dl = deadline(ctx.timeoutMs, ctx.signal);
  const start = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: hp.host, port: hp.port });
    let over = false;
    const done = (error?: string): void => {
      if (over) return;
      over = true;
      dl.signal.removeEventListener('abort', onAbort);
      dl.dispose();
      socket.destroy();
      resolve(error === undefined ? { ok: true, responseTime: since(start) } : { ok: false, responseTime: since(start), error });
    };
    const onAbort = (): void => done(dl.reason() ?? 'aborted');
    socket.once('connect', () => done());
    socket.on('error', (err) => done(describeError(err)));
    dl.signal.addEventListener('abort', onAbort, { once: true });
    if (dl.signal.aborted) onAbort();
  });
};
