// Plain-text views of monitoring for the terminal: the checks table, one check with its locations,
// the alerts (verdict changes and their deliveries) and the notification targets.
import type { CheckView } from '../monitoring/monitor-service.js';
import type { Alert, DeliveryState, LocationResult, NotificationTargetView } from '../monitoring/types.js';
import { renderTable } from './table.js';
import { formatLocalDateTime, formatRelative, zoneLabel } from './time.js';

/** "99.93%", or "-" when the verdict was never known in the window */
export function percent(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : '-';
}

/** "2/3": locations that see it UP, of those that reported */
export function upOfTotal(locations: readonly LocationResult[] | undefined): string {
  const all = Array.isArray(locations) ? locations : [];
  return `${all.filter((l) => l.status === 'UP').length}/${all.length}`;
}

function verdictText(c: Pick<CheckView, 'verdict' | 'enabled'>): string {
  return `${c.verdict ?? 'UNKNOWN'}${c.enabled === false ? ' (disabled)' : ''}`;
}

/** ISO or epoch ms → local "2025-01-02 14:05", or the raw text when it is no time */
function localTime(t: string | number | null | undefined): string {
  if (t === null || t === undefined) return '';
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return Number.isFinite(ms) ? formatLocalDateTime(ms / 1000) : String(t);
}

export function renderChecks(checks: CheckView[]): string {
  if (checks.length === 0) return 'no checks (add one: peerboard checks add --name NAME --type http --target URL)\n';
  const rows = checks.map((c) => [c.id, c.name, c.type, c.target, c.server ?? '', verdictText(c), upOfTotal(c.locations), percent(c.uptime24h)]);
  return renderTable(['ID', 'NAME', 'TYPE', 'TARGET', 'SERVER', 'VERDICT', 'LOCATIONS UP', 'UPTIME 24H'], rows);
}

export function renderLocations(locations: readonly LocationResult[], now: Date): string {
  if (locations.length === 0) return 'no location has reported yet\n';
  const rows = locations.map((l) => [
    l.location,
    l.nodeId,
    l.status,
    typeof l.responseTime === 'number' ? `${Math.round(l.responseTime)} ms` : '',
    localTime(l.lastChecked),
    l.voting === false ? 'no' : 'yes',
    l.error ?? '',
  ]);
  return renderTable(['LOCATION', 'NODE', 'STATUS', 'RESPONSE', `LAST CHECKED (${zoneLabel(now)})`, 'VOTES', 'ERROR'], rows);
}

/** One check: its definition, verdict and uptime, then each location's latest result. */
export function renderCheck(c: CheckView, now: Date): string {
  const since = c.verdictSince ? ` since ${localTime(c.verdictSince)} (${formatRelative(Date.parse(c.verdictSince) / 1000, now)})` : '';
  const rows: Array<[string, unknown]> = [
    ['id', c.id],
    ['name', c.name],
    ['type', c.type],
    ['target', c.target],
    ['server', c.server ?? '-'],
    ['verdict', verdictText(c) + since],
    ['uptime', `${percent(c.uptime24h)} (24h), ${percent(c.uptime7d)} (7d)`],
    ['schedule', `every ${c.intervalSec}s, timeout ${c.timeoutMs} ms, ${c.retries} retries`],
    ['method', c.method],
    ['expect', c.expectStatus?.join(',')],
    ['keyword', c.keyword],
    ['json path', c.jsonPath === undefined ? undefined : `${c.jsonPath}${c.jsonExpect !== undefined ? ` = ${c.jsonExpect}` : ''}`],
    ['cert', c.certExpiryDays === undefined ? undefined : `DOWN within ${c.certExpiryDays} days of expiry`],
    ['tls', c.ignoreTls ? 'invalid certificates accepted' : undefined],
    ['dns', c.dnsRecordType || c.dnsExpect || c.dnsServer ? [c.dnsRecordType ?? 'A', c.dnsExpect && `= ${c.dnsExpect}`, c.dnsServer && `via ${c.dnsServer}`].filter(Boolean).join(' ') : undefined],
  ];
  const head = rows
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k.padEnd(9)} ${String(v).replace(/[\u0000-\u001f\u007f-\u009f]/g, '')}`)
    .join('\n');
  return `${head}\n\n${renderLocations(Array.isArray(c.locations) ? c.locations : [], now)}`;
}

/** "2 delivered, 1 pending"; "muted (maintenance)"; "-" when nothing was to be sent */
export function deliveriesText(a: Pick<Alert, 'muted' | 'deliveries'>): string {
  if (a.muted) return 'muted (maintenance)';
  const ds: DeliveryState[] = Array.isArray(a.deliveries) ? a.deliveries : [];
  if (ds.length === 0) return '-';
  const n = (s: DeliveryState['state']): number => ds.filter((d) => d.state === s).length;
  const parts = (['delivered', 'pending', 'failed'] as const).filter((s) => n(s) > 0).map((s) => `${n(s)} ${s}`);
  const lastError = ds.find((d) => d.state !== 'delivered' && d.lastError)?.lastError;
  return parts.join(', ') + (lastError ? ` (${lastError})` : '');
}

/** Committed verdict changes, newest first. */
export function renderAlerts(alerts: Alert[], now: Date): string {
  if (alerts.length === 0) return 'no verdict changes yet\n';
  const rows = alerts.map((a) => [
    localTime(a.change?.at),
    a.change ? `${a.change.checkId} ${a.change.name}` : '',
    a.change?.server ?? '',
    a.change ? `${a.change.previous} → ${a.change.verdict}` : '',
    upOfTotal(a.change?.locations),
    deliveriesText(a),
  ]);
  return renderTable([`TIME (${zoneLabel(now)})`, 'CHECK', 'SERVER', 'CHANGE', 'LOCATIONS UP', 'NOTIFICATIONS'], rows);
}

export function renderTargets(targets: NotificationTargetView[]): string {
  if (targets.length === 0) return 'no notification targets (add one: peerboard notifications add --type webhook --url URL)\n';
  const rows = targets.map((t) => [t.id, t.type, t.name, t.url, t.hasSecret ? 'yes' : 'no']);
  return renderTable(['ID', 'TYPE', 'NAME', 'URL', 'SIGNED'], rows);
}
