// Test helpers for the renderer: a fresh pinia over a FakeApi, and mounting with both.
import { mount, type ComponentMountingOptions } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import type { Component } from 'vue';
import type { DesktopSettings } from '../../renderer/src/api/api-types.js';
import { providePeerApi } from '../../renderer/src/api/api-context.js';
import { server, type FakeBoard } from '../../renderer/src/api/demo-data.js';
import { FakeApi, type FakeApiOptions } from '../../renderer/src/api/fake-api.js';

export const NOW = Math.floor(Date.now() / 1000) * 1000;
export const NOW_SEC = NOW / 1000;

/** Desktop settings of a first start. */
export const SETTINGS: DesktopSettings = {
  user: '',
  clusterId: 'team',
  clusterKey: '',
  openCluster: false,
  staticPeers: [],
  apiPort: 8777,
  uiPort: 8778,
  discoveryPort: 8776,
  peerPort: 8779,
  dataDir: '/tmp/x',
  startAtLogin: false,
  startMinimized: false,
  onboarded: false,
};

export interface Rig {
  api: FakeApi;
  pinia: Pinia;
}

/** A small board: two servers held (one by dana), one in maintenance, three available. */
export function smallBoard(base: FakeBoard): FakeBoard {
  base.servers = [
    server('web-01', { app: 'Web', env: 'prod', ip: '10.0.0.11' }),
    server('mid-02', { app: 'Mid', env: 'qa', ip: '10.0.0.2', holder: 'alice', available: false, action: 'Reserved', since: NOW_SEC - 600, until: NOW_SEC + 7200, comment: 'perf run' }),
    server('db-03', { app: 'Db', env: 'prod', ip: '10.0.0.3', maintenance: true, available: false, action: 'Maintenance' }),
    server('zeta-04', { app: 'Mid', env: 'qa', ip: '10.0.0.4', holder: 'dana', available: false, action: 'Reserved', since: NOW_SEC - 60, until: NOW_SEC + 3600 }),
    server('api-05', { app: 'Api', env: 'dev', ip: '10.0.0.5' }),
    server('web-06', { app: 'Web', env: 'dev', ip: '10.0.0.6', action: 'On loan', available: false }),
  ];
  return base;
}

export function rig(opts: FakeApiOptions = {}): Rig {
  const api = new FakeApi(opts);
  providePeerApi(api);
  const pinia = createPinia();
  setActivePinia(pinia);
  return { api, pinia };
}

export function mountIn<C extends Component>(r: Rig, component: C, options: ComponentMountingOptions<C> = {} as ComponentMountingOptions<C>) {
  return mount(component, {
    attachTo: document.body,
    ...options,
    global: { plugins: [r.pinia], ...(options.global ?? {}) },
  } as ComponentMountingOptions<C>);
}

/** Polls until `check` stops throwing (or the deadline passes). */
export async function until(check: () => void, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
