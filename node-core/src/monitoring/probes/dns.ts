// The dns probe: resolve the target by record type (default A) with its own resolver (dnsServer, with
// its port, when given); with dnsExpect, one answer must equal it. MX, SRV and TXT become strings.
import { Resolver } from 'node:dns/promises';
import { isIP, isIPv6 } from 'node:net';
import { DnsRecordTypes, type DnsRecordType } from '../types.js';
import { type Attempt, deadline, describeError, oneLine, quote, refused, since } from './common.js';

/** longest name DNS allows */
const MAX_NAME_CHARS = 253;

/** One answer: how it is shown, and the strings dnsExpect may equal. */
interface Answer {
  shown: string;
  matches: string[];
}

export const dnsAttempt: Attempt = async (check, ctx) => {
  const name = check.target;
  const type: DnsRecordType = check.dnsRecordType ?? 'A';
  if (!(DnsRecordTypes as readonly string[]).includes(type)) return refused(`unknown DNS record type ${quote(String(type))}`);
  if (name === '' || name.length > MAX_NAME_CHARS || /\s/.test(name)) return refused(`bad DNS name ${quote(name)}`);
  const resolver = new Resolver({ timeout: ctx.timeoutMs, tries: 1 });
  if (check.dnsServer !== undefined) {
    // c-ares would take "1.2.3.4:99999" as port 34463: the port is checked here first
    const server = parseServer(check.dnsServer);
    if (!server) return refused(`bad DNS server ${quote(check.dnsServer)}: an IP address, with :port if not 53`);
    resolver.setServers([server]);
  }
  const dl = deadline(ctx.timeoutMs, ctx.signal);
  const onAbort = (): void => resolver.cancel();
  dl.signal.addEventListener('abort', onAbort, { once: true });
  const start = performance.now();
  try {
    const answers = await Promise.race([query(resolver, type, name), aborted(dl.signal)]);
    const responseTime = since(start);
    if (check.dnsExpect !== undefined && check.dnsExpect !== '') {
      const want = normalise(check.dnsExpect, type);
      if (!answers.some((a) => a.matches.some((m) => normalise(m, type) === want))) {
        const got = answers.map((a) => a.shown).slice(0, 5).join(', ') + (answers.length > 5 ? ', …' : '');
        return { ok: false, responseTime, error: oneLine(`no ${type} answer equals ${quote(check.dnsExpect)} (got ${got || 'none'})`) };
      }
    }
    return { ok: true, responseTime };
  } catch (err) {
    const responseTime = since(start);
    const reason = dl.reason();
    if (reason) return { ok: false, responseTime, error: reason };
    return { ok: false, responseTime, error: dnsError(err, type, name, ctx.timeoutMs) };
  } finally {
    dl.signal.removeEventListener('abort', onAbort);
    dl.dispose();
  }
};

async function query(r: Resolver, type: DnsRecordType, name: string): Promise<Answer[]> {
  const plain = (xs: string[]): Answer[] => xs.map((x) => ({ shown: x, matches: [x] }));
  switch (type) {
    case 'A':
      return plain(await r.resolve4(name));
    case 'AAAA':
      return plain(await r.resolve6(name));
    case 'CNAME':
      return plain(await r.resolveCname(name));
    case 'NS':
      return plain(await r.resolveNs(name));
    case 'TXT':
      return plain((await r.resolveTxt(name)).map((chunks) => chunks.join('')));
    case 'MX':
      return (await r.resolveMx(name)).map((m) => ({ shown: `${m.priority} ${m.exchange}`, matches: [`${m.priority} ${m.exchange}`, m.exchange] }));
    case 'SRV':
      return (await r.resolveSrv(name)).map((s) => {
        const full = `${s.priority} ${s.weight} ${s.port} ${s.name}`;
        return { shown: full, matches: [full, `${s.name}:${s.port}`] };
      });
  }
}

/** How an answer and dnsExpect are compared: names without case or a trailing dot, IPv6 in one spelling, TXT as is. */
function normalise(s: string, type: DnsRecordType): string {
  const t = s.trim();
  if (type === 'TXT') return t;
  if (type === 'AAAA' && isIPv6(t)) return new URL(`http://[${t}]/`).hostname;
  return t.toLowerCase().replace(/\.(?=$|:)/, '');
}

function dnsError(err: unknown, type: DnsRecordType, name: string, timeoutMs: number): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOTFOUND':
      return oneLine(`${name} does not exist (NXDOMAIN)`);
    case 'ENODATA':
      return oneLine(`no ${type} record for ${name}`);
    case 'ETIMEOUT':
      return `timeout after ${timeoutMs} ms`;
    case 'ESERVFAIL':
      return 'the DNS server failed to answer (SERVFAIL)';
    case 'EREFUSED':
      return 'the DNS server refused the query (REFUSED)';
    case 'ECONNREFUSED':
      return 'the DNS server is not reachable (connection refused)';
    default:
      return describeError(err);
  }
}

/** "ip", "ip:port", "v6" or "[v6]:port" in the form setServers takes, or undefined when it is none of them. */
export function parseServer(s: string): string | undefined {
  if (typeof s !== 'string') return undefined;
  if (isIP(s)) return s;
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:[\]]+):(\d{1,5})$/.exec(s);
  if (!m || !isIP(m[1]!)) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return isIPv6(m[1]!) ? `[${m[1]}]:${port}` : `${m[1]}:${port}`;
}

/** Rejects when the signal aborts (the resolver's cancel() may lag). */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
}
