// Headless configuration: the layers (defaults < settings file < JSON file < env < flags), flags and
// variables derived from configSchema, validation naming the key, and --help listing every setting.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../node-core/src/config.js';
import { renderHeadlessHelp } from '../../node-core/src/headless/help.js';
import { parseHeadlessArgs, resolveConfig } from '../../node-core/src/headless/resolve-config.js';
import { SETTINGS_HELP } from '../../node-core/src/headless/settings-help.js';
import { envNameOf, kebabOf, SETTINGS } from '../../node-core/src/headless/settings-meta.js';
import { SettingsStore } from '../../node-core/src/headless/settings-store.js';
import { cleanEnv, runCli, tempDir } from './helpers.js';

const KEYS = Object.keys(configSchema.shape);
const dirs: string[] = [];
function dir(): string {
  const d = tempDir('pb-headless-');
  dirs.push(d);
  return d;
}
function file(content: string): string {
  const p = join(dir(), 'config.json');
  writeFileSync(p, content);
  return p;
}
function resolveWith(argv: string[], env: Record<string, string> = {}, settings: Record<string, string> = {}) {
  const store = new SettingsStore({ dir: dir() });
  for (const [k, v] of Object.entries(settings)) store.set(k, v);
  return resolveConfig(parseHeadlessArgs(argv), { env, store });
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('names derived from configSchema', () => {
  it('has a flag, an environment variable and a help line for every key', () => {
    expect(SETTINGS.map((s) => s.key)).toEqual(KEYS);
    expect(Object.keys(SETTINGS_HELP).sort()).toEqual([...KEYS].sort());
    for (const k of KEYS) expect(SETTINGS_HELP[k as keyof typeof SETTINGS_HELP].length).toBeGreaterThan(10);
  });

  it('turns camelCase into kebab flags and UPPER_SNAKE variables', () => {
    expect(kebabOf('apiPort')).toBe('api-port');
    expect(kebabOf('advertiseIP')).toBe('advertise-ip');
    expect(envNameOf('heartbeatIntervalMs')).toBe('PEERBOARD_HEARTBEAT_INTERVAL_MS');
    expect(envNameOf('clusterKey')).toBe('PEERBOARD_CLUSTER_KEY');
    expect(envNameOf('servers')).toBe('PEERBOARD_SERVERS');
  });

  it('--help lists every key with its flag, variable and default', () => {
    const help = renderHeadlessHelp();
    for (const m of SETTINGS) {
      expect(help).toContain(`--${m.flag} `);
      expect(help).toContain(m.env);
      expect(help).toContain(`key ${m.key} `);
    }
    expect(help).toMatch(/--api-port <number>\s+PEERBOARD_API_PORT\s+key apiPort\s+default: 8777/);
    expect(help).toMatch(/--log-level <fatal\|error\|warn\|info\|debug\|trace\|silent>/);
  });
});

describe('layers, later wins', () => {
  it('uses the defaults when nothing is given', () => {
    const r = resolveWith([]);
    expect(r.config.apiPort).toBe(8777);
    expect(r.config.clusterId).toBe('peerboard');
    expect(r.sources).toEqual({});
  });

  it('settings file < JSON file < environment < flags', () => {
    const cfg = file(JSON.stringify({ apiPort: 9002, uiPort: 9012, clusterId: 'from-file', failoverOrder: 3 }));
    const r = resolveWith(
      ['--config', cfg, '--api-port', '9004'],
      { PEERBOARD_API_PORT: '9003', PEERBOARD_UI_PORT: '9013' },
      { apiPort: '9001', uiPort: '9011', clusterId: 'from-settings', maxVoters: '3' },
    );
    expect(r.config.apiPort).toBe(9004);
    expect(r.config.uiPort).toBe(9013);
    expect(r.config.clusterId).toBe('from-file');
    expect(r.config.maxVoters).toBe(3);
    expect(r.config.failoverOrder).toBe(3);
    expect(r.sources).toMatchObject({ apiPort: 'flag', uiPort: 'env', clusterId: 'file', maxVoters: 'settings', failoverOrder: 'file' });
  });

  it('reads the JSON file from PEERBOARD_CONFIG, and --config wins over it', () => {
    const a = file('{"clusterId":"a"}');
    const b = file('{"clusterId":"b"}');
    expect(resolveWith([], { PEERBOARD_CONFIG: a }).config.clusterId).toBe('a');
    expect(resolveWith(['--config', b], { PEERBOARD_CONFIG: a }).config.clusterId).toBe('b');
  });

  it('coerces numbers, booleans and lists by the schema type', () => {
    const r = resolveWith(
      ['--static-peers', '127.0.0.1:9001, 127.0.0.2:9001', '--no-headless', '--broadcast-address=127.255.255.255', '--heartbeat-interval-ms', '50'],
      { PEERBOARD_CLUSTER_KEY: 'k'.repeat(16), PEERBOARD_ELECTION_TIMEOUT_MS: '150' },
    );
    expect(r.config.staticPeers).toEqual(['127.0.0.1:9001', '127.0.0.2:9001']);
    expect(r.config.headless).toBe(false);
    expect(r.config.broadcastAddress).toBe('127.255.255.255');
    expect(r.config.heartbeatIntervalMs).toBe(50);
    expect(r.config.electionTimeoutMs).toBe(150);
    expect(r.config.clusterKey).toBe('k'.repeat(16));
    expect(resolveWith(['--headless=false']).config.headless).toBe(false);
    expect(resolveWith(['--servers', '/tmp/s.json', '--data-dir', '/tmp/d']).config).toMatchObject({ servers: '/tmp/s.json', dataDir: '/tmp/d' });
  });

  it('treats the bare --headless as the mode, not a setting', () => {
    expect(parseHeadlessArgs(['--headless', '--api-port', '1']).flags).toEqual({ apiPort: 1 });
  });
});

describe('bad input names the key and the layer', () => {
  it.each([
    [['--api-port', '70000'], {}, /apiPort: Too big: expected number to be <=65535 \(from --api-port\)/],
    [['--api-port', 'abc'], {}, /apiPort: .*expected number.*\(from --api-port\)/],
    [[], { PEERBOARD_API_PORT: '-5' }, /apiPort: Too small.*\(from PEERBOARD_API_PORT\)/],
    [[], { PEERBOARD_HEADLESS: 'maybe' }, /headless: expected true or false.*PEERBOARD_HEADLESS/],
    [['--static-peers', 'nocolon'], {}, /staticPeers\.0: ip:port/],
    // issue 14: these four used to start
    [['--broadcast-address', '999.1.1.1'], {}, /broadcastAddress: an IPv4 address.*\(from --broadcast-address\)/],
    [['--advertise-ip', 'not-an-ip'], {}, /advertiseIP: an IPv4 address.*\(from --advertise-ip\)/],
    [['--frontend-url', 'notaurl'], {}, /frontendUrl: an http\(s\) URL.*\(from --frontend-url\)/],
    [['--static-peers', '1.2.3.4:99999'], {}, /staticPeers\.0: ip:port with a port from 1 to 65535/],
    [['--http-bind-address', 'everywhere'], {}, /httpBindAddress: an IP address/],
    [['--cluster-key', 'short'], {}, /clusterKey: at least 16 characters/],
    [['--log-level', 'loud'], {}, /logLevel: /],
    [['--bogus', '1'], {}, /unknown option --bogus/],
    [['--api-port'], {}, /option --api-port needs a value/],
    [['stray'], {}, /unexpected argument "stray"/],
  ] as Array<[string[], Record<string, string>, RegExp]>)('%j %j', (argv, env, re) => {
    expect(() => resolveWith(argv, env)).toThrow(re);
  });

  it('refuses unknown keys, bad JSON and non-objects in the file, naming the file', () => {
    expect(() => resolveWith(['--config', file('{"apiPort":1,"colour":"red"}')])).toThrow(/unknown setting "colour" \(from config file .*config\.json\)/);
    expect(() => resolveWith(['--config', file('{"apiPort":')])).toThrow(/config\.json is not valid JSON/);
    expect(() => resolveWith(['--config', file('[1,2]')])).toThrow(/must hold a JSON object/);
    expect(() => resolveWith(['--config', join(dir(), 'missing.json')])).toThrow(/cannot read config file .*missing\.json: ENOENT/);
  });
});

describe('settings store (conf)', () => {
  it('validates before storing and keeps values typed', () => {
    const store = new SettingsStore({ dir: dir() });
    expect(store.set('apiPort', '9100')).toBe(9100);
    expect(store.set('staticPeers', '127.0.0.1:1,127.0.0.1:2')).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
    expect(() => store.set('apiPort', '99999')).toThrow(/apiPort: Too big/);
    expect(() => store.set('colour', 'red')).toThrow(/unknown setting "colour"/);
    expect(store.all()).toEqual({ apiPort: 9100, staticPeers: ['127.0.0.1:1', '127.0.0.1:2'] });
    expect(store.unset('apiPort')).toBe(true);
    expect(store.unset('apiPort')).toBe(false);
    expect(store.all()).toEqual({ staticPeers: ['127.0.0.1:1', '127.0.0.1:2'] });
  });

  it('reports a settings file edited into something invalid, naming the file', () => {
    const d = dir();
    const store = new SettingsStore({ dir: d });
    writeFileSync(store.path, '{"apiPort": 70000}');
    expect(() => resolveConfig(parseHeadlessArgs([]), { env: {}, store: new SettingsStore({ dir: d }) })).toThrow(/apiPort: Too big.*settings file/);
    writeFileSync(store.path, '{not json');
    expect(() => new SettingsStore({ dir: d })).toThrow(/cannot read the settings file/);
  });
});

describe('the real command (child process)', () => {
  it('exits 2 with one line naming the key and no stack trace', async () => {
    const env = cleanEnv({ PEERBOARD_SETTINGS_DIR: dir() });
    const r = await runCli(['--headless', '--api-port', '70000'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('peerboard: invalid configuration: apiPort: Too big: expected number to be <=65535 (from --api-port)\n');
    expect(r.stdout).toBe('');
    const u = await runCli(['--headless', '--colour', 'red'], env);
    expect(u.code).toBe(2);
    expect(u.stderr.trim().split('\n')).toHaveLength(1);
    expect(u.stderr).toMatch(/unknown option --colour/);
    expect(u.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('prints the layered result with secrets hidden, and config set/get/path use the settings dir', async () => {
    const settings = dir();
    const env = cleanEnv({ PEERBOARD_SETTINGS_DIR: settings, PEERBOARD_UI_PORT: '9300', PEERBOARD_CLUSTER_KEY: 's'.repeat(20) });
    const set = await runCli(['config', 'set', 'apiPort', '9200'], env);
    expect(set).toMatchObject({ code: 0, stdout: 'apiPort = 9200\n' });
    const bad = await runCli(['config', 'set', 'apiPort', '99999'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('peerboard: invalid configuration: apiPort: Too big: expected number to be <=65535\n');
    expect((await runCli(['config', 'path'], env)).stdout).toBe(join(settings, 'config.json') + '\n');
    expect((await runCli(['config', 'get', 'apiPort'], env)).stdout).toBe('9200\n');
    const r = await runCli(['--headless', '--print-config', '--cluster-id', 'flagged'], env);
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as { config: Record<string, unknown>; sources: Record<string, string> };
    expect(printed.config).toMatchObject({ apiPort: 9200, uiPort: 9300, clusterId: 'flagged', clusterKey: '(hidden)' });
    expect(printed.sources).toMatchObject({ apiPort: 'settings', uiPort: 'env', clusterId: 'flag', clusterKey: 'env' });
    expect(r.stdout).not.toContain('s'.repeat(20));
    const help = await runCli(['--headless', '--help'], env);
    expect(help.code).toBe(0);
    for (const k of KEYS) expect(help.stdout).toContain(`key ${k} `);
    // README's settings table names every flag that --help lists (issue 14)
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
    const flags = [...new Set(help.stdout.match(/^\s+--[a-z0-9-]+/gm)!.map((f) => f.trim()))];
    expect(flags.length).toBeGreaterThan(30);
    expect(flags.filter((f) => !table.includes(`\`${f}\``) && !table.includes(`${f}\``))).toEqual([]);
  });
});

describe('security settings: --open-cluster, --invite, --previous-cluster-keys', () => {
  const key = 'Zm9vYmFyYmF6cXV4cXV1eF9rZXktMDEyMzQ1Njc4OQ';
  const invite = `pb1:team-z:${key}@10.0.0.9:8779`;

  it('an invite from a flag, the environment or the settings file sets clusterId, clusterKey and staticPeers', () => {
    for (const r of [resolveWith(['--invite', invite]), resolveWith([], { PEERBOARD_INVITE: invite }), resolveWith([], {}, { invite })]) {
      expect(r.config).toMatchObject({ clusterId: 'team-z', clusterKey: key, staticPeers: ['10.0.0.9:8779'], invite });
    }
  });

  it('--open-cluster alone is a boolean flag; with a key or an invite it is refused naming both', () => {
    expect(resolveWith(['--open-cluster']).config.openCluster).toBe(true);
    expect(resolveWith([], { PEERBOARD_OPEN_CLUSTER: 'true' }).config.openCluster).toBe(true);
    expect(() => resolveWith(['--open-cluster', '--cluster-key', key])).toThrow(/openCluster and clusterKey exclude each other/);
    expect(() => resolveWith(['--open-cluster'], { PEERBOARD_INVITE: invite })).toThrow(/openCluster and invite exclude each other/);
  });

  it('a different explicit clusterId or key than the invite is refused naming both', () => {
    expect(() => resolveWith(['--invite', invite, '--cluster-id', 'other'])).toThrow(/clusterId "other" conflicts with invite/);
    expect(() => resolveWith(['--invite', invite], { PEERBOARD_CLUSTER_KEY: 'k'.repeat(20) })).toThrow(/clusterKey conflicts with invite/);
  });

  it('a bad invite names the setting and the layer', () => {
    expect(() => resolveWith(['--invite', 'pb1:team:short'])).toThrow(/invite: invalid invite: the key must be .*\(from --invite\)/);
  });

  it('--previous-cluster-keys takes a comma-separated list of at most 2', () => {
    expect(resolveWith(['--previous-cluster-keys', `${'a'.repeat(16)},${'b'.repeat(16)}`]).config.previousClusterKeys).toEqual(['a'.repeat(16), 'b'.repeat(16)]);
    expect(() => resolveWith(['--previous-cluster-keys', `${'a'.repeat(16)},${'b'.repeat(16)},${'c'.repeat(16)}`])).toThrow(/previousClusterKeys: at most 2/);
  });

  it('--help lists them; the invite and old keys are secrets (never printed back)', () => {
    const help = renderHeadlessHelp();
    for (const flag of ['--open-cluster <boolean>', '--invite <string>', '--previous-cluster-keys <list>']) expect(help).toContain(flag);
    expect(help).not.toContain(key);
  });
});

describe('--print-config hides the security secrets', () => {
  it('the invite, the key it sets and old keys show as (hidden); an empty list stays a list', async () => {
    const { printableConfig } = await import('../../node-core/src/headless/run.js');
    const key = 'Zm9vYmFyYmF6cXV4cXV1eF9rZXktMDEyMzQ1Njc4OQ';
    const withKeys = printableConfig(resolveWith(['--invite', `pb1:t:${key}`, '--previous-cluster-keys', 'o'.repeat(16)]));
    expect(withKeys.config).toMatchObject({ invite: '(hidden)', clusterKey: '(hidden)', previousClusterKeys: '(hidden)', clusterId: 't' });
    expect(JSON.stringify(withKeys)).not.toContain(key);
    expect(printableConfig(resolveWith([])).config).toMatchObject({ previousClusterKeys: [], openCluster: false });
  });
});
