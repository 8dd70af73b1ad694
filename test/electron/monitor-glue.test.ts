// monitor-glue.ts and its wiring in desktop-core.ts: a desktop notification per committed verdict change
// (once per alert, never when muted or not notifiable), and battery power pausing this node's checks.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Alert, LocationResult, PeerEvent, Verdict } from '../../node-core/src/api/peer-api.js';
import { FakeNotification, FakeWebContents, shell, state } from './fake-electron.js';
import { FakeNode } from './fake-node.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).electronModule());
vi.mock('electron-store', async () => (await import('./fake-electron.js')).electronStoreModule());

const { notifiable } = await import('../../node-core/src/monitoring/board-monitoring.js');
const { verdictNote, watchBattery, VERDICT_NOTE_MAX_AGE_MS } = await import('../../electron/monitor-glue.js');
const { Notifier } = await import('../../electron/notifications.js');
const { createDesktopCore } = await import('../../electron/desktop-core.js');
const { createAppUrlPolicy } = await import('../../electron/security.js');
const { silentLogger } = await import('../../node-core/src/log.js');
const { memorySettings } = await import('../desktop/memory-settings.js');

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);

function loc(location: string, status: 'UP' | 'DOWN', extra: Partial<LocationResult> = {}): LocationResult {
  return { nodeId: `n-${location}`, location, status, responseTime: 12, lastChecked: new Date(NOW - 5000).toISOString(), error: status === 'DOWN' ? 'HTTP 503' : null, ...extra };
}

function alert(id: number, previous: Verdict, verdict: Verdict, over: { muted?: boolean; server?: string | null; locations?: LocationResult[]; at?: number; name?: string } = {}): Alert {
  return {
    id,
    muted: over.muted ?? false,
    // as the board decides it (board-monitoring.ts), with the previous verdict as the last known one
    notify: !(over.muted ?? false) && notifiable(previous, verdict),
    deliveries: [],
    change: {
      checkId: 7,
      name: over.name ?? 'api',
      server: over.server === undefined ? 'web-1' : over.server,
      verdict,
      previous,
      at: new Date(over.at ?? NOW - 1000).toISOString(),
      locations: over.locations ?? [loc('paris', 'UP'), loc('lyon', 'DOWN'), loc('aws', 'DOWN')],
    },
  };
}

describe('verdictNote', () => {
  it('names the check, its server, the verdict and how many locations agree', () => {
    expect(verdictNote(alert(1, 'UP', 'DOWN'), NOW)).toMatchObject({ key: expect.stringContaining('verdict:1:'), title: '🔴 api (web-1) is DOWN — 2 of 3 locations', body: expect.stringContaining('HTTP 503') });
    expect(verdictNote(alert(2, 'UP', 'PARTIAL', { server: null, locations: [loc('paris', 'UP'), loc('lyon', 'DOWN')] }), NOW)?.title).toBe('🟠 api is PARTIAL — 1 of 2 locations');
    expect(verdictNote(alert(3, 'DOWN', 'UP', { locations: [loc('paris', 'UP')] }), NOW)?.title).toBe('🟢 api (web-1) is UP — 1 of 1 location');
    // DOWN -> UNKNOWN (nobody reports it now, or the check was disabled) is recorded, not notified
    expect(verdictNote(alert(5, 'DOWN', 'UNKNOWN'), NOW)).toBeNull();
    // a location that does not vote is not counted
    expect(verdictNote(alert(4, 'UP', 'DOWN', { locations: [loc('a', 'DOWN'), loc('b', 'DOWN', { voting: false }), loc('c', 'UP')] }), NOW)?.title).toBe('🔴 api (web-1) is DOWN — 1 of 2 locations');
  });

  it('is null when muted (maintenance), not notifiable (UNKNOWN <-> UP) or old (a node catching up)', () => {
    expect(verdictNote(alert(1, 'UP', 'DOWN', { muted: true }), NOW)).toBeNull();
    expect(verdictNote(alert(2, 'UNKNOWN', 'UP'), NOW)).toBeNull();
    expect(verdictNote(alert(4, 'UP', 'DOWN', { at: NOW - VERDICT_NOTE_MAX_AGE_MS - 1 }), NOW)).toBeNull();
    expect(verdictNote(alert(5, 'UP', 'DOWN', { at: NOW - VERDICT_NOTE_MAX_AGE_MS + 1000 }), NOW)).not.toBeNull();
  });

  it('keeps a hostile name to one short line', () => {
    const note = verdictNote(alert(1, 'UP', 'DOWN', { name: `a\nb\r\n${'x'.repeat(5000)}` }), NOW)!;
    expect(note.title).not.toMatch(/[\r\n]/);
    expect(note.title.length).toBeLessThan(200);
  });
});

describe('Notifier.onVerdict', () => {
  afterEach(() => {
    FakeNotification.shown = [];
  });

  it('shows each alert once, however often it arrives; a muted one never', () => {
    const n = new Notifier({ Notification: FakeNotification as never, user: () => 'alice', now: () => NOW });
    expect(n.onVerdict(alert(10, 'UP', 'DOWN'))).not.toBeNull();
    expect(n.onVerdict(alert(10, 'UP', 'DOWN'))).toBeNull();
    expect(n.onVerdict(alert(11, 'UP', 'DOWN', { muted: true }))).toBeNull();
    expect(n.onVerdict(alert(12, 'DOWN', 'UP'))).not.toBeNull();
    expect(FakeNotification.shown.map((s) => s.title)).toEqual(['🔴 api (web-1) is DOWN — 2 of 3 locations', '🟢 api (web-1) is UP — 1 of 3 locations']);
  });
});

/** Electron's powerMonitor, driven by the test */
class FakePowerMonitor extends EventEmitter {
  constructor(public battery: boolean) {
    super();
  }
  isOnBatteryPower(): boolean {
    return this.battery;
  }
  unplug(): void {
    this.battery = true;
    this.emit('on-battery');
  }
  plugIn(): void {
    this.battery = false;
    this.emit('on-ac');
  }
}

/** the main-process wiring (desktop-core) with fake nodes: what the app runs, minus windows */
function core(power?: FakePowerMonitor) {
  state.ipcMain.handlers.clear();
  const nodes: FakeNode[] = [];
  const settings = memorySettings({ user: 'alice', onboarded: true });
  const contents = new FakeWebContents();
  const c = createDesktopCore({
    factory: {
      async createNode() {
        const n = new FakeNode({ now: () => NOW });
        nodes.push(n);
        return n.asHandle();
      },
      async startHttp() {
        return { close: async () => undefined };
      },
    },
    logger: silentLogger(),
    userDataDir: '/tmp/pb-monitor-glue',
    settings,
    ipcMain: state.ipcMain as never,
    getWindow: () => ({ isDestroyed: () => false, webContents: contents }) as never,
    policy: createAppUrlPolicy({ rendererIndexUrl: contents.mainFrame.url }),
    send: () => undefined,
    Notification: FakeNotification as never,
    tray: () => null,
    generateKey: () => 'k'.repeat(43),
    shell,
    ...(power ? { powerMonitor: power } : {}),
  });
  return { core: c, nodes, settings };
}

describe('desktop core: verdict events', () => {
  afterEach(() => {
    FakeNotification.shown = [];
  });

  it('raises one desktop notification per alert from the node events, none for a muted or not notifiable one', async () => {
    const { core: c, nodes, settings } = core();
    await c.host.start(settings.get());
    const emit = (e: PeerEvent) => nodes[0]!.events.emit('event', e);
    // the app's notifier reads the real clock: alerts committed just now
    const at = Date.now() - 1000;
    const down = alert(21, 'UP', 'DOWN', { at });
    emit({ type: 'verdict', alert: down });
    emit({ type: 'verdict', alert: structuredClone(down) }); // a repeat of the same alert
    emit({ type: 'verdict', alert: alert(22, 'UP', 'DOWN', { muted: true, at }) });
    emit({ type: 'verdict', alert: alert(23, 'UNKNOWN', 'UP', { at }) });
    expect(FakeNotification.shown).toEqual([{ title: '🔴 api (web-1) is DOWN — 2 of 3 locations', body: expect.any(String) }]);
    // a restarted node (new settings) replaying the same alert does not raise it again: the app remembers
    await c.host.applySettings({ ...settings.get(), clusterId: 'team-b' });
    expect(nodes).toHaveLength(2);
    nodes[1]!.events.emit('event', { type: 'verdict', alert: structuredClone(down) });
    expect(FakeNotification.shown).toHaveLength(1);
    // the next alert is raised
    nodes[1]!.events.emit('event', { type: 'verdict', alert: alert(24, 'DOWN', 'UP', { at }) });
    expect(FakeNotification.shown.map((n) => n.title)).toEqual(['🔴 api (web-1) is DOWN — 2 of 3 locations', '🟢 api (web-1) is UP — 1 of 3 locations']);
    await c.stop();
  });
});

describe('desktop core: battery', () => {
  it('pauses monitoring when started on battery, resumes on AC, pauses again on battery', async () => {
    const power = new FakePowerMonitor(true);
    const { core: c, nodes, settings } = core(power);
    await c.host.start(settings.get());
    expect(nodes[0]!.monitor.pauses).toEqual([true]);
    power.plugIn();
    power.plugIn(); // a repeated event changes nothing
    power.unplug();
    expect(nodes[0]!.monitor.pauses).toEqual([true, false, true]);
    expect(c.battery?.onBattery).toBe(true);
    await c.stop();
    power.plugIn(); // after stop the app no longer listens
    expect(nodes[0]!.monitor.pauses).toEqual([true, false, true]);
    expect(power.listenerCount('on-ac') + power.listenerCount('on-battery')).toBe(0);
  });

  it('a node restarted for new settings starts in the current power state', async () => {
    const power = new FakePowerMonitor(false);
    const { core: c, nodes, settings } = core(power);
    await c.host.start(settings.get());
    expect(nodes[0]!.monitor.pauses).toEqual([false]);
    power.unplug();
    await c.host.applySettings({ ...settings.get(), clusterId: 'team-c' });
    expect(nodes[1]!.monitor.pauses).toEqual([true]);
    await c.stop();
  });

  it('a node without monitoring (no monitor) is left alone', () => {
    const power = new FakePowerMonitor(true);
    const w = watchBattery(power, () => ({}), silentLogger());
    power.plugIn();
    power.unplug();
    expect(w.onBattery).toBe(true);
    w.dispose();
  });
});
