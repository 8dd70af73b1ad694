// The files a server host installs: the example config is valid for configSchema, and the systemd
// unit runs it headless with its data directory writable under ProtectSystem=strict.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../node-core/src/config.js';
import { readConfigFile } from '../../node-core/src/headless/resolve-config.js';
import { REPO } from './helpers.js';

const example = join(REPO, 'build/peerboard.example.json');
const unit = readFileSync(join(REPO, 'build/peerboard.service'), 'utf8');
const directive = (name: string): string[] => [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1] as string);

describe('build/peerboard.example.json', () => {
  it('is a valid configuration with only known settings', () => {
    const config = parseConfig(readConfigFile(example));
    expect(config.headless).toBe(true);
    expect(config.dataDir).toBe('/var/lib/peerboard/data');
  });
});

describe('build/peerboard.service', () => {
  it('runs peerboard --headless with /etc/peerboard/config.json as the peerboard user', () => {
    expect(directive('ExecStart')).toEqual(['/usr/bin/env node /opt/peerboard/bin/peerboard.mjs --headless --config /etc/peerboard/config.json']);
    // the stop signal goes to the node alone; SIGKILL to the rest only after the timeout
    expect(directive('KillSignal')).toEqual(['SIGTERM']);
    expect(directive('KillMode')).toEqual(['mixed']);
    expect(directive('User')).toEqual(['peerboard']);
    expect(directive('Restart')).toEqual(['on-failure']);
    expect(directive('RestartPreventExitStatus')).toEqual(['2']);
  });

  it('is hardened, and the example dataDir lies under a writable path', () => {
    expect(directive('NoNewPrivileges')).toEqual(['yes']);
    expect(directive('ProtectSystem')).toEqual(['strict']);
    const writable = directive('ReadWritePaths').flatMap((l) => l.split(/\s+/));
    const { dataDir } = parseConfig(readConfigFile(example));
    expect(writable.some((w) => dataDir === w || dataDir.startsWith(`${w}/`))).toBe(true);
    const settingsDir = /PEERBOARD_SETTINGS_DIR=(\S+)/.exec(unit)?.[1] ?? '';
    expect(writable.some((w) => settingsDir.startsWith(`${w}/`))).toBe(true);
  });
});
