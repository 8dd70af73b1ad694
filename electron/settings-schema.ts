// DesktopSettings' rules in one place: defaults, electron-store's JSON schema and the zod schema
// for a patch from the renderer. No Electron import, so the IPC layer can use it anywhere.
import { userInfo } from 'node:os';
import type { Schema } from 'electron-store';
import { z } from 'zod';
import type { DesktopSettings } from './ipc-contract.js';

export const CLUSTER_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** "ip:port", as configSchema.staticPeers */
export const STATIC_PEER = /^[^:\s]+:\d{1,5}$/;
export const MAX_STATIC_PEERS = 16;

function osUser(): string {
  try {
    return userInfo().username || 'user';
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'user';
  }
}

/** First-run values: the OS user, seed 000's ports, no key, nothing automatic. */
export function defaultSettings(): DesktopSettings {
  return {
    user: osUser().slice(0, 128),
    clusterId: 'peerboard',
    clusterKey: '',
    openCluster: false,
    staticPeers: [],
    apiPort: 8777,
    uiPort: 8778,
    discoveryPort: 8779,
    peerPort: 8780,
    dataDir: '',
    startAtLogin: false,
    startMinimized: false,
    onboarded: false,
    monitor: false,
  };
}

/** electron-store's JSON schema: one entry per DesktopSettings field. */
export const settingsJsonSchema: Schema<DesktopSettings> = {
  user: { type: 'string', minLength: 1, maxLength: 128 },
  clusterId: { type: 'string', pattern: CLUSTER_ID.source },
  clusterKey: { type: 'string', anyOf: [{ maxLength: 0 }, { minLength: 16, maxLength: 256 }] },
  openCluster: { type: 'boolean' },
  staticPeers: { type: 'array', maxItems: MAX_STATIC_PEERS, items: { type: 'string', pattern: STATIC_PEER.source } },
  apiPort: { type: 'integer', minimum: 0, maximum: 65535 },
  uiPort: { type: 'integer', minimum: -1, maximum: 65535 },
  discoveryPort: { type: 'integer', minimum: 1, maximum: 65535 },
  peerPort: { type: 'integer', minimum: 0, maximum: 65535 },
  dataDir: { type: 'string', maxLength: 4096 },
  startAtLogin: { type: 'boolean' },
  startMinimized: { type: 'boolean' },
  onboarded: { type: 'boolean' },
  monitor: { type: 'boolean' },
};

const port = z.number().int().min(0).max(65535);

/** The same rules for a patch from the renderer (every field optional, no unknown field). */
export const settingsPatchSchema = z
  .strictObject({
    user: z.string().trim().min(1).max(128),
    clusterId: z.string().regex(CLUSTER_ID, 'letters, digits, dot, dash, underscore; 1 to 64 characters'),
    clusterKey: z.string().max(256).refine((k) => k.length === 0 || /^\S{16,}$/.test(k), 'empty or at least 16 characters without spaces'),
    openCluster: z.boolean(),
    staticPeers: z.array(z.string().regex(STATIC_PEER, 'ip:port')).max(MAX_STATIC_PEERS),
    apiPort: port,
    uiPort: z.number().int().min(-1).max(65535),
    discoveryPort: port.min(1),
    peerPort: port,
    dataDir: z.string().max(4096),
    startAtLogin: z.boolean(),
    startMinimized: z.boolean(),
    onboarded: z.boolean(),
    monitor: z.boolean(),
  })
  .partial();

