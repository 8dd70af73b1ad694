// IpcMainManager: one ipcMain.handle per invoke channel. Every call is checked for its sender (the
// main window's own frame showing the app) and its arguments, then reaches the node; errors are values.
import type { IpcMain, IpcMainInvokeEvent, Shell, WebContents } from 'electron';
import type { NodeHandle } from '../node-core/src/api/node-handle.js';
import type { Result } from '../node-core/src/api/peer-api.js';
import { BoardService } from '../node-core/src/board/service.js';
import { ErrorCode, PeerboardError, toPeerboardError } from '../node-core/src/errors.js';
import { endLoanAt, requireLoans } from '../node-core/src/loans/loans-edge.js';
import { MonitorService, type MonitorReader } from '../node-core/src/monitoring/monitor-service.js';
import { formatInvite, looksLikeInvite, parseInvite } from '../node-core/src/security/invite.js';
import { nodeInviteInfo } from '../node-core/src/security/node-invite.js';
import type { Logger } from '../node-core/src/log.js';
import { argSchemas, describeIssue } from './ipc-arg-schemas.js';
import { INVOKE_CHANNELS, type DesktopSettings, type InvokeChannel, type InvokeChannels } from './ipc-contract.js';
import { isExternalUrlAllowed, type AppUrlPolicy } from './security.js';
import type { SettingsStore } from './settings.js';

/** The parts of a BrowserWindow the sender check needs. */
export interface WindowLike {
  isDestroyed(): boolean;
  readonly webContents: Pick<WebContents, 'id' | 'mainFrame'>;
}

export interface IpcMainDeps {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  /** the main window, or null while there is none */
  getWindow(): WindowLike | null;
  policy: AppUrlPolicy;
  /** the running node; throws SERVICE_UNAVAILABLE (with why) when there is none */
  node(): NodeHandle;
  settings: SettingsStore;
  /** after a save: restart the node if needed, apply the login item */
  onSettingsSaved(settings: DesktopSettings): Promise<void>;
  generateKey(): string;
  shell: Pick<Shell, 'openExternal'>;
  logger: Logger;
  /** epoch milliseconds (tests pass a fixed clock) */
  now?: () => number;
}

type Args<C extends InvokeChannel> = InvokeChannels[C][0];
type Value<C extends InvokeChannel> = InvokeChannels[C][1] extends { ok: true; value: infer T } | { ok: false } ? T : never;
type Handlers = { [C in InvokeChannel]: (args: Args<C>) => Promise<Value<C>> | Value<C> };

const forbidden = (message: string) => ({ ok: false as const, error: { code: ErrorCode.Forbidden, message } });

export class IpcMainManager {
  readonly #deps: IpcMainDeps;
  readonly #handlers: Handlers;
  /** the board service over whichever node is running now (deps.node() throws when there is none) */
  readonly #board: BoardService;
  /** monitoring's service over whichever node is running now (its monitorReader(), read at each call) */
  readonly #monitor: MonitorService;
  #registered = false;

  constructor(deps: IpcMainDeps) {
    this.#deps = deps;
    this.#board = new BoardService(
      { submit: (cmd, opts) => deps.node().submit(cmd, opts) },
      { onInternalError: (err, what) => deps.logger.error({ what, err: err instanceof Error ? err.message : String(err) }, 'IPC board request failed') },
    );
    this.#monitor = new MonitorService(
      { submit: (cmd, opts) => deps.node().submit(cmd, opts) },
      currentReader(() => deps.node()),
      { onInternalError: (err, what) => deps.logger.error({ what, err: err instanceof Error ? err.message : String(err) }, 'IPC monitoring request failed') },
    );
    this.#handlers = this.#createHandlers();
  }

  /** Registers a handler for every channel of the contract. */
  register(): this {
    if (this.#registered) return this;
    for (const channel of INVOKE_CHANNELS) {
      this.#deps.ipcMain.handle(channel, (event, ...args: unknown[]) => this.call(channel, event, args));
    }
    this.#registered = true;
    return this;
  }

  dispose(): void {
    if (!this.#registered) return;
    for (const channel of INVOKE_CHANNELS) this.#deps.ipcMain.removeHandler(channel);
    this.#registered = false;
  }

  /** One checked call. Never throws: every failure is a Result value. */
  async call<C extends InvokeChannel>(channel: C, event: IpcMainInvokeEvent, args: unknown[]): Promise<InvokeChannels[C][1]> {
    const refusal = this.#checkSender(event);
    if (refusal) {
      this.#deps.logger.warn({ channel, reason: refusal }, 'refused an IPC call from a foreign sender');
      return forbidden(`refused: ${refusal}`) as InvokeChannels[C][1];
    }
    const parsed = argSchemas[channel].safeParse(args);
    if (!parsed.success) {
      const { field, message } = describeIssue(channel, parsed.error.issues[0]);
      const err = new PeerboardError(ErrorCode.BadRequest, `${channel}: ${field}: ${message}`, { channel, field });
      return { ok: false, error: err.toValue() } as InvokeChannels[C][1];
    }
    try {
      const handler = this.#handlers[channel] as (a: unknown) => Promise<Value<C>> | Value<C>;
      const value = await handler(parsed.data);
      return { ok: true, value } as InvokeChannels[C][1];
    } catch (err) {
      const e = toPeerboardError(err);
      if (e.code === ErrorCode.Internal) this.#deps.logger.error({ channel, err: e.message }, 'IPC handler failed');
      return { ok: false, error: e.toValue() } as InvokeChannels[C][1];
    }
  }

  /** null when the sender is the main window's main frame showing the app; otherwise why not. */
  #checkSender(event: IpcMainInvokeEvent): string | null {
    const win = this.#deps.getWindow();
    if (!win || win.isDestroyed()) return 'no main window';
    const frame = event?.senderFrame;
    if (!frame) return 'the sending frame is gone';
    const main = win.webContents.mainFrame;
    const sameFrame = frame === main || (frame.processId === main.processId && frame.frameToken === main.frameToken);
    if (event.sender?.id !== win.webContents.id || !sameFrame) return 'not the main window';
    if (!this.#deps.policy.isAppUrl(frame.url)) return `not the app's page (${frame.url.slice(0, 200)})`;
    return null;
  }

  /** Saves a settings patch, then restarts the node with it; a node that cannot start says so. */
  async #saveAndApply(patch: Partial<DesktopSettings>): Promise<DesktopSettings> {
    const saved = this.#deps.settings.save(patch);
    try {
      await this.#deps.onSettingsSaved(saved);
    } catch (err) {
      const e = toPeerboardError(err);
      throw new PeerboardError(e.code, `settings saved, but the node could not start with them: ${e.message}`, e.details, { cause: err });
    }
    return saved;
  }

  #admin(): string {
    return this.#deps.settings.get().user;
  }

  #createHandlers(): Handlers {
    const d = this.#deps;
    const m = this.#monitor;
    const by = () => ({ user: this.#admin() });
    return {
      'board:get-state': () => d.node().view(),
      // the board service builds the command: a duration travels as a duration and the state
      // machine adds it when the entry applies (issue 11: the end computed here from now was refused)
      'board:reserve-server': async ([r]) => valueOf(await this.#board.reserve(r)),
      'board:release-server': async ([r]) => valueOf(await this.#board.release(r)),
      'board:extend-reservation': async ([r]) => valueOf(await this.#board.extend(r)),
      'board:queue-server': async ([r]) => valueOf(await this.#board.queue(r)),
      'board:leave-queue': async ([r]) => valueOf(await this.#board.leaveQueue(r)),
      'inventory:add-server': async ([server]) => valueOf(await this.#board.addServer(server, { user: this.#admin() })),
      'inventory:update-server': async ([host, patch]) => valueOf(await this.#board.updateServer(host, patch, { user: this.#admin() })),
      'inventory:remove-server': async ([host]) => valueOf(await this.#board.removeServer(host, { user: this.#admin() })),
      'inventory:import-servers': async ([data]) => valueOf(await this.#board.importServers(data, { user: this.#admin() })),
      'inventory:set-maintenance': async ([host, on, reason]) => valueOf(await this.#board.setMaintenance(host, on, { user: this.#admin() }, reason)),
      'history:list-requests': ([filter]) => d.node().history(filter),
      'cluster:promote-node': ([nodeId]) => d.node().promote({ nodeId }),
      'settings:get-settings': () => d.settings.get(),
      'settings:save-settings': ([patch]) => this.#saveAndApply(patch),
      'settings:generate-key': () => {
        const clusterKey = d.generateKey();
        return { clusterKey, invite: formatInvite({ clusterId: d.settings.get().clusterId, key: clusterKey }) };
      },
      'settings:join-team': ([req]) => this.#saveAndApply({ ...teamOf(req.invite), user: req.user, openCluster: false, onboarded: true }),
      'cluster:get-invite': () => nodeInviteInfo(d.node()),
      'app:open-external': async ([url]) => {
        if (!isExternalUrlAllowed(url)) throw new PeerboardError(ErrorCode.BadRequest, 'url: only http: and https: links can be opened', { field: 'url' });
        await d.shell.openExternal(url);
        return null;
      },
      // the desktop user is the admin of their own node, as for the inventory channels
      'monitor:list-checks': () => m.listChecks(),
      'monitor:add-check': async ([check]) => valueOf(await m.addCheck(check, by())),
      'monitor:update-check': async ([id, patch]) => valueOf(await m.updateCheck(id, patch, by())),
      'monitor:remove-check': async ([id]) => valueOf(await m.removeCheck(id, by())),
      'monitor:get-series': ([id, hours]) => valueOf(m.series(id, hours)),
      'monitor:list-alerts': ([limit]) => m.alerts(limit ?? 50),
      'monitor:list-notifications': () => m.listNotifications(),
      'monitor:add-notification': async ([target]) => valueOf(await m.addNotification(target, by())),
      'monitor:remove-notification': async ([id]) => valueOf(await m.removeNotification(id, by())),
      // worker loans: the desktop user acts as the admin of their own node; only the master negotiates
      'loans:get-loans': () => requireLoans(d.node().loans).view(),
      'loans:recall-loan': ([id]) => endLoanAt(requireLoans(d.node().loans), 'recall', id, this.#admin()),
      'loans:return-loan': ([id]) => endLoanAt(requireLoans(d.node().loans), 'return', id, this.#admin()),
    };
  }
}

/** The settings a pasted invite (or an older team's bare key) stands for. Throws BAD_REQUEST saying what is wrong. */
function teamOf(text: string): Pick<DesktopSettings, 'clusterKey'> & Partial<Pick<DesktopSettings, 'clusterId' | 'staticPeers'>> {
  const t = text.trim();
  if (looksLikeInvite(t)) {
    try {
      const inv = parseInvite(t);
      return { clusterId: inv.clusterId, clusterKey: inv.key, staticPeers: inv.peers ?? [] };
    } catch (err) {
      throw new PeerboardError(ErrorCode.BadRequest, (err as Error).message, { field: 'invite' });
    }
  }
  if (/^\S{16,256}$/.test(t)) return { clusterKey: t };
  throw new PeerboardError(ErrorCode.BadRequest, 'invite: paste the whole invite you were sent (pb1:<team>:<key>), or an older team key (16 to 256 characters without spaces)', {
    field: 'invite',
  });
}

/**
 * A MonitorReader that reads the node running at each call (the node restarts on a settings change).
 * A node without monitoring answers SERVICE_UNAVAILABLE.
 */
function currentReader(node: () => NodeHandle): MonitorReader {
  const reader = (): MonitorReader => {
    const r = node().monitorReader?.();
    if (!r) throw new PeerboardError(ErrorCode.Unavailable, 'this node was started without monitoring');
    return r;
  };
  return {
    monitoring: () => reader().monitoring(),
    now: () => reader().now(),
    liveLocations: (check) => reader().liveLocations?.(check) ?? null,
    series: (checkId, sinceMs, maxPoints) => reader().series?.(checkId, sinceMs, maxPoints) ?? null,
  };
}

/** A service answer's value; a refusal is thrown and call() turns it back into the same error value. */
function valueOf<T>(r: Result<T>): T {
  if (!r.ok) throw PeerboardError.fromValue(r.error);
  return r.value;
}
