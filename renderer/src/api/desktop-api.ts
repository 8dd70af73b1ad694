// PeerApi in the desktop app: a thin wrapper over window.peerboard (the Electron preload, IPC).
// IPC never drops like a socket, so the link is open while the window lives.
import { ApiKind, Code, errorResult, LinkState, type DesktopApi, type LinkListener, type PeerEvent, type RendererApi, type Result } from './api-types.js';

/** Guards an IPC call: a rejected promise (Electron keeps only the message) becomes an error value. */
async function guard<T>(call: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    const r = await call();
    if (r && typeof r === 'object' && 'ok' in r) return r;
    return errorResult(Code.Internal, 'The desktop app sent an unexpected answer.');
  } catch (err) {
    return errorResult(Code.Unavailable, `The desktop node did not answer (${err instanceof Error ? err.message : String(err)}).`);
  }
}

export function createDesktopApi(bridge: DesktopApi): RendererApi {
  return {
    kind: ApiKind.desktop,
    desktop: {
      getSettings: () => guard(() => bridge.getSettings()),
      saveSettings: (patch) => guard(() => bridge.saveSettings(patch)),
      generateKey: () => guard(() => bridge.generateKey()),
      joinTeam: (req) => guard(() => bridge.joinTeam(req)),
    },
    getState: () => guard(() => bridge.getState()),
    reserve: (req) => guard(() => bridge.reserve(req)),
    release: (req) => guard(() => bridge.release(req)),
    extend: (req) => guard(() => bridge.extend(req)),
    queue: (req) => guard(() => bridge.queue(req)),
    leaveQueue: (req) => guard(() => bridge.leaveQueue(req)),
    addServer: (s) => guard(() => bridge.addServer(s)),
    updateServer: (host, patch) => guard(() => bridge.updateServer(host, patch)),
    removeServer: (host) => guard(() => bridge.removeServer(host)),
    importServers: (data) => guard(() => bridge.importServers(data)),
    setMaintenance: (host, on, reason) => guard(() => bridge.setMaintenance(host, on, reason)),
    history: (f) => guard(() => bridge.history(f)),
    promote: (nodeId) => guard(() => bridge.promote(nodeId)),
    invite: () => guard(() => bridge.invite()),
    listChecks: () => guard(() => bridge.listChecks()),
    addCheck: (input) => guard(() => bridge.addCheck(input)),
    updateCheck: (id, patch) => guard(() => bridge.updateCheck(id, patch)),
    removeCheck: (id) => guard(() => bridge.removeCheck(id)),
    checkSeries: (id, hours) => guard(() => bridge.checkSeries(id, hours)),
    listAlerts: (limit) => guard(() => bridge.listAlerts(limit)),
    listNotifications: () => guard(() => bridge.listNotifications()),
    addNotification: (input) => guard(() => bridge.addNotification(input)),
    removeNotification: (id) => guard(() => bridge.removeNotification(id)),
    loans: () => guard(() => bridge.loans()),
    recallLoan: (id) => guard(() => bridge.recallLoan(id)),
    returnLoan: (id) => guard(() => bridge.returnLoan(id)),
    subscribe: (listener: (e: PeerEvent) => void) => bridge.subscribe(listener),
    onLink(listener: LinkListener) {
      queueMicrotask(() => listener(LinkState.open));
      return () => undefined;
    },
  };
}
