// The node's display name setting: --name / PEERBOARD_NAME / config `name`, 1-64 printable
// characters, else user@host; bad names exit 2 naming the key.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeDisplayName, parseConfig } from '../../node-core/src/config.js';
import { parseHeadlessArgs, resolveConfig } from '../../node-core/src/headless/resolve-config.js';
import { SettingsStore } from '../../node-core/src/headless/settings-store.js';
import { cleanEnv, runCli, tempDir } from './helpers.js';

const dirs: string[] = [];
function dir(): string {
  const d = tempDir('pb-name-');
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('node name', () => {
  it('takes --name, PEERBOARD_NAME and the settings file, flag winning', () => {
    const store = new SettingsStore({ dir: dir() });
    store.set('name', 'from-file');
    expect(resolveConfig(parseHeadlessArgs([]), { env: {}, store }).config.name).toBe('from-file');
    expect(resolveConfig(parseHeadlessArgs([]), { env: { PEERBOARD_NAME: 'from env' }, store }).config.name).toBe('from env');
    expect(resolveConfig(parseHeadlessArgs(['--name', 'Lab rack A']), { env: { PEERBOARD_NAME: 'x' }, store }).config.name).toBe('Lab rack A');
  });

  it('accepts 1 to 64 printable characters, any script', () => {
    for (const ok of ['a', 'Zoë’s laptop', 'ラボ-1', 'x'.repeat(64), 'build@ci-07']) expect(parseConfig({ name: ok }).name).toBe(ok);
  });

  it('refuses empty, too long, control, invisible-format and blank names, naming the key', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /name: at least 1 character/],
      ['x'.repeat(65), /name: at most 64 characters/],
      ['bad\nname', /name: printable characters only/],
      ['tab\there', /name: printable characters only/],
      ['esc\u001b[31m', /name: printable characters only/],
      ['rtl\u202eoverride', /name: printable characters only/],
      ['zero\u200bwidth', /name: printable characters only/],
      ['   ', /name: not only spaces/],
    ];
    for (const [name, re] of bad) expect(() => parseConfig({ name }), JSON.stringify(name)).toThrow(re);
  });

  it('defaults to user@host, cut to 64 printable characters', () => {
    expect(nodeDisplayName({ user: 'alice' }, 'lab7')).toBe('alice@lab7');
    expect(nodeDisplayName({ user: 'alice', name: 'Rack A' }, 'lab7')).toBe('Rack A');
    expect(nodeDisplayName({ user: 'a\u0007b'.padEnd(100, 'c') }, 'h')).toHaveLength(64);
    expect(nodeDisplayName({ user: 'a\u0007b' }, 'h')).toBe('ab@h');
  });

  it('the real command exits 2 with one line naming the key', async () => {
    const env = cleanEnv({ PEERBOARD_SETTINGS_DIR: dir() });
    const r = await runCli(['--headless', '--name', 'x'.repeat(65)], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('peerboard: invalid configuration: name: at most 64 characters (from --name)\n');
    const c = await runCli(['--headless', '--name', 'a\u0001b'], env);
    expect(c.code).toBe(2);
    expect(c.stderr.trim().split('\n')).toHaveLength(1);
    expect(c.stderr).toMatch(/name: printable characters only .*\(from --name\)/);
  });
});
