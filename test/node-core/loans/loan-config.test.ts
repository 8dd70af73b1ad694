// The loan settings (issue 13): defaults, what a bad value is refused with (naming the key), the
// lendable default per node kind, the secret loanKey kept out of --print-config, and the flag
// coercion of the list and number settings.
import { describe, expect, it } from 'vitest';
import { lendableOf, parseConfig } from '../../../node-core/src/config.js';
import { printableConfig } from '../../../node-core/src/headless/run.js';
import { SECRET_SETTINGS, SETTINGS_HELP } from '../../../node-core/src/headless/settings-help.js';
import { coerceSetting, settingByFlag } from '../../../node-core/src/headless/settings-meta.js';

describe('loan settings', () => {
  it('have the documented defaults', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      loanPort: 8781,
      loanNeighbours: [],
      loanLagMs: 1000,
      loanCpu: 0.8,
      loanSustainMs: 30_000,
      loanMaxWorkers: 8,
      loanLeaseMs: 600_000,
      loanHeartbeatMs: 2000,
      loanConnectMs: 10_000,
      loans: true,
    });
    expect(c.loanKey).toBeUndefined();
    expect(c.lendable).toBeUndefined();
  });

  it('lend headless nodes by default, never desktop ones unless set', () => {
    expect(lendableOf(parseConfig({ headless: true }))).toBe(true);
    expect(lendableOf(parseConfig({ headless: false }))).toBe(false);
    expect(lendableOf(parseConfig({ headless: false, lendable: true }))).toBe(true);
    expect(lendableOf(parseConfig({ headless: true, lendable: false }))).toBe(false);
  });

  it('take valid neighbours, IPv6 and names included', () => {
    expect(parseConfig({ loanNeighbours: ['192.168.1.20:8781', 'farm-b.lab:9000', '[fd00::2]:8781'] }).loanNeighbours).toHaveLength(3);
  });

  it.each([
    ['loanPort', { loanPort: 70000 }, 'loanPort'],
    ['loanPort', { loanPort: -1 }, 'loanPort'],
    ['loanNeighbours', { loanNeighbours: ['10.0.0.1'] }, 'host:port'],
    ['loanNeighbours', { loanNeighbours: ['10.0.0.1:0'] }, 'port from 1 to 65535'],
    ['loanNeighbours', { loanNeighbours: ['10.0.0.1:99999'] }, 'port from 1 to 65535'],
    ['loanNeighbours', { loanNeighbours: ['a b:1'] }, 'host:port'],
    ['loanNeighbours', { loanNeighbours: Array.from({ length: 33 }, (_, i) => `10.0.0.${i}:8781`) }, 'at most 32'],
    ['loanKey', { loanKey: 'short' }, 'at least 16'],
    ['loanKey', { loanKey: 'k'.repeat(257) }, 'loanKey'],
    ['lendable', { lendable: 'yes' }, 'lendable'],
    ['loanLagMs', { loanLagMs: 0 }, 'loanLagMs'],
    ['loanLagMs', { loanLagMs: 1.5 }, 'loanLagMs'],
    ['loanCpu', { loanCpu: 0 }, 'loanCpu'],
    ['loanCpu', { loanCpu: 1e9 }, 'loanCpu'],
    ['loanSustainMs', { loanSustainMs: -5 }, 'loanSustainMs'],
    ['loanMaxWorkers', { loanMaxWorkers: 0 }, 'loanMaxWorkers'],
    ['loanMaxWorkers', { loanMaxWorkers: 65 }, 'loanMaxWorkers'],
    ['loanLeaseMs', { loanLeaseMs: 999 }, 'loanLeaseMs'],
    ['loanLeaseMs', { loanLeaseMs: 86_400_001 }, 'loanLeaseMs'],
    ['loanHeartbeatMs', { loanHeartbeatMs: 5 }, 'loanHeartbeatMs'],
    ['loanConnectMs', { loanConnectMs: 600_001 }, 'loanConnectMs'],
    ['loans', { loans: 'no' }, 'loans'],
    ['a lease shorter than 4 heartbeats', { loanLeaseMs: 5000, loanHeartbeatMs: 2000 }, 'at least 4 x loanHeartbeatMs'],
  ] as Array<[string, Record<string, unknown>, string]>)('refuses a bad %s with a message naming it', (key, input, words) => {
    expect(() => parseConfig(input)).toThrow(words);
    try {
      parseConfig(input);
    } catch (err) {
      expect((err as Error).message).toContain(key.startsWith('loan') || key === 'lendable' ? key : 'loanLeaseMs');
    }
  });

  it('keep loanKey secret and document every setting', () => {
    expect(SECRET_SETTINGS.has('loanKey')).toBe(true);
    const key = 'loan-secret-0123456789';
    const shown = printableConfig({ config: parseConfig({ loanKey: key }), sources: {}, settingsPath: '' } as unknown as Parameters<typeof printableConfig>[0]);
    expect(JSON.stringify(shown)).not.toContain(key);
    expect((shown.config as Record<string, unknown>).loanKey).toBe('(hidden)');
    for (const k of ['loanPort', 'loanNeighbours', 'loanKey', 'lendable', 'loanLagMs', 'loanCpu', 'loanSustainMs', 'loanMaxWorkers', 'loanLeaseMs', 'loanHeartbeatMs', 'loanConnectMs', 'loans'] as const) {
      expect(SETTINGS_HELP[k].length).toBeGreaterThan(20);
    }
  });

  it('come from flags: --loan-port, --loan-neighbours a,b, --loan-cpu 0.5', () => {
    expect(settingByFlag('loan-port')?.key).toBe('loanPort');
    expect(coerceSetting(settingByFlag('loan-neighbours')!, '10.0.0.1:8781, 10.0.0.2:8781')).toEqual(['10.0.0.1:8781', '10.0.0.2:8781']);
    expect(parseConfig({ loanCpu: coerceSetting(settingByFlag('loan-cpu')!, '0.5') }).loanCpu).toBe(0.5);
    expect(settingByFlag('lendable')?.kind).toBe('boolean');
  });
});
