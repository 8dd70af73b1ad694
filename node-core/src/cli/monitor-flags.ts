// The check flags of `peerboard checks add` and `checks update`: commander options, and the options
// turned into a CheckInput (add) or a patch (update), checked with the board's own schemas first.
import { Option, type Command } from 'commander';
import { summarizeIssues } from '../board/commands.js';
import { checkInputSchema, checkPatchSchema, MonitorLimits } from '../monitoring/check-schema.js';
import { CheckTypes, DnsRecordTypes, HttpMethods, type CheckInput } from '../monitoring/types.js';
import { UsageError } from './time.js';

/** The check options as commander hands them over (strings; `server` false for --no-server). */
export interface CheckFlags {
  name?: string;
  type?: string;
  target?: string;
  server?: string | false;
  interval?: string;
  timeout?: string;
  retries?: string;
  method?: string;
  expectStatus?: string;
  keyword?: string;
  jsonPath?: string;
  jsonExpect?: string;
  certExpiryDays?: string;
  dnsType?: string;
  dnsExpect?: string;
  dnsServer?: string;
  ignoreTls?: boolean;
  disabled?: boolean;
  enabled?: boolean;
}

/** Adds the definition flags; on add, name, type and target are required. */
export function addCheckFlags(cmd: Command, mode: 'add' | 'update'): Command {
  const req = mode === 'add';
  const opt = (flags: string, help: string): Option => new Option(flags, help);
  cmd
    .addOption(opt('--name <name>', `what people call it (1-${MonitorLimits.nameLen} characters)`).makeOptionMandatory(req))
    .addOption(opt('--type <type>', `${CheckTypes.join(' | ')}`).makeOptionMandatory(req))
    .addOption(opt('--target <target>', 'http: a URL; tcp: host:port; ping: a host; dns: the name to resolve').makeOptionMandatory(req))
    .option('--server <host>', 'the board server it belongs to')
    .option('--no-server', 'belongs to no board server')
    .option('--interval <span>', `time between probes: seconds or 30s, 5m (at least ${MonitorLimits.minIntervalSec}s; default 60s)`)
    .option('--timeout <span>', 'one attempt\'s time limit: milliseconds or 500ms, 5s (default 5s)')
    .option('--retries <n>', `attempts retried at once before a round counts as DOWN (0-${MonitorLimits.maxRetries}; default 0)`)
    .option('--method <method>', `http: ${HttpMethods.join(', ')}`)
    .option('--expect-status <codes>', 'http: accepted status codes, comma-separated (default any 2xx or 3xx)')
    .option('--keyword <text>', 'http: the body must contain this')
    .option('--json-path <path>', 'http: a JSON path into the body, e.g. $.status')
    .option('--json-expect <value>', 'http: with --json-path, the value it must equal')
    .option('--cert-expiry-days <days>', 'https: DOWN when the certificate expires within this many days')
    .option('--ignore-tls', 'https: accept an invalid certificate (its expiry still counts)')
    .option('--dns-type <type>', `dns: ${DnsRecordTypes.join(', ')}`)
    .option('--dns-expect <value>', 'dns: an answer must equal this')
    .option('--dns-server <ip[:port]>', 'dns: the resolver to ask (default the system\'s)')
    .option('--disabled', 'nobody probes it; its verdict stays UNKNOWN');
  if (!req) cmd.option('--enabled', 'probe it again (after --disabled)');
  return cmd;
}

const SPAN_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "30" (in `bare` units), "30s", "500ms", "5m", "1h" → milliseconds; at most a day. */
export function parseSpanMs(flag: string, text: string, bare: 'ms' | 's'): number {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`bad ${flag} "${text.slice(0, 40)}": a whole number of ${bare === 's' ? 'seconds' : 'milliseconds'}, or with a unit: 500ms, 30s, 5m, 1h`);
  const ms = Number(m[1]) * (SPAN_UNITS_MS[m[2] ?? bare] as number);
  if (ms > 86_400_000) throw new UsageError(`bad ${flag} "${text}": at most a day`);
  return ms;
}

function intArg(flag: string, text: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(text.trim())) throw new UsageError(`bad ${flag} "${text.slice(0, 40)}": a whole number, ${min}-${max}`);
  const n = Number(text.trim());
  if (n < min || n > max) throw new UsageError(`bad ${flag} "${text}": ${min}-${max}`);
  return n;
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  const up = text.trim().toUpperCase();
  const hit = allowed.find((a) => a.toUpperCase() === up);
  if (!hit) throw new UsageError(`bad ${flag} "${text.slice(0, 40)}": one of ${allowed.join(', ')}`);
  return hit;
}

/** "200,204" → [200, 204] */
export function parseStatusList(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > MonitorLimits.expectStatus) throw new UsageError(`bad --expect-status: at most ${MonitorLimits.expectStatus} codes`);
  return parts.map((p) => {
    if (!/^[1-5]\d\d$/.test(p)) throw new UsageError(`bad --expect-status "${text.slice(0, 60)}": HTTP status codes 100-599, comma-separated, e.g. 200,204`);
    return Number(p);
  });
}

/** The fields the flags give (only those given). */
export function fieldsOf(f: CheckFlags): Partial<CheckInput> {
  if (f.disabled && f.enabled) throw new UsageError('give --disabled or --enabled, not both');
  const out: Partial<CheckInput> = {};
  if (f.name !== undefined) out.name = f.name;
  if (f.type !== undefined) out.type = oneOf('--type', f.type.toLowerCase(), CheckTypes);
  if (f.target !== undefined) out.target = f.target;
  if (f.server !== undefined) out.server = f.server === false ? null : f.server;
  if (f.interval !== undefined) {
    const ms = parseSpanMs('--interval', f.interval, 's');
    if (ms % 1000 !== 0) throw new UsageError(`bad --interval "${f.interval}": whole seconds`);
    out.intervalSec = ms / 1000;
  }
  if (f.timeout !== undefined) out.timeoutMs = parseSpanMs('--timeout', f.timeout, 'ms');
  if (f.retries !== undefined) out.retries = intArg('--retries', f.retries, 0, MonitorLimits.maxRetries);
  if (f.method !== undefined) out.method = oneOf('--method', f.method, HttpMethods);
  if (f.expectStatus !== undefined) out.expectStatus = parseStatusList(f.expectStatus);
  if (f.keyword !== undefined) out.keyword = f.keyword;
  if (f.jsonPath !== undefined) out.jsonPath = f.jsonPath;
  if (f.jsonExpect !== undefined) out.jsonExpect = f.jsonExpect;
  if (f.certExpiryDays !== undefined) out.certExpiryDays = intArg('--cert-expiry-days', f.certExpiryDays, 0, 3650);
  if (f.ignoreTls) out.ignoreTls = true;
  if (f.dnsType !== undefined) out.dnsRecordType = oneOf('--dns-type', f.dnsType, DnsRecordTypes);
  if (f.dnsExpect !== undefined) out.dnsExpect = f.dnsExpect;
  if (f.dnsServer !== undefined) out.dnsServer = f.dnsServer;
  if (f.disabled) out.enabled = false;
  if (f.enabled) out.enabled = true;
  return out;
}

/** the API field a schema issue names → the flag a user typed */
const FLAG_OF: Record<string, string> = {
  intervalSec: '--interval',
  timeoutMs: '--timeout',
  expectStatus: '--expect-status',
  jsonPath: '--json-path',
  jsonExpect: '--json-expect',
  certExpiryDays: '--cert-expiry-days',
  ignoreTls: '--ignore-tls',
  dnsRecordType: '--dns-type',
  dnsExpect: '--dns-expect',
  dnsServer: '--dns-server',
  enabled: '--disabled',
};

function refuse(issues: Parameters<typeof summarizeIssues>[0]): never {
  const first = summarizeIssues(issues)[0] ?? { path: '(check)', message: 'invalid' };
  const field = first.path.split('.')[0] ?? '';
  const flag = FLAG_OF[field] ?? (field && !field.startsWith('(') ? `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : 'check');
  throw new UsageError(`bad ${flag}: ${first.message}`);
}

/** A whole new check, checked as the node will check it (the node still decides on private targets). */
export function checkInputOf(f: CheckFlags): CheckInput {
  const r = checkInputSchema.safeParse(fieldsOf(f));
  if (!r.success) refuse(r.error.issues);
  return fieldsOf(f) as CheckInput;
}

/** A patch of the given flags; the node checks the merged definition. */
export function checkPatchOf(f: CheckFlags): Partial<CheckInput> {
  const patch = fieldsOf(f);
  if (Object.keys(patch).length === 0) throw new UsageError('give at least one flag to change (see peerboard checks update --help)');
  const r = checkPatchSchema.safeParse(patch);
  if (!r.success) refuse(r.error.issues);
  return patch;
}
