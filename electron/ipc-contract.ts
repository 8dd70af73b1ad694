// The one IPC contract shared by main, preload and renderer: every channel with its argument and
// result types, and the pushed events. Channel names are `domain:verb-noun`. Results are plain
// JSON; errors are values ({ ok: false, error: { code, message } }).
import type {
  Alert,
  BoardView,
  CheckInput,
  CheckSeries,
  CheckView,
  ExtendRequest,
  HistoryFilter,
  HistoryPage,
  InviteInfo,
  LoansView,
  NotificationInput,
  NotificationTargetView,
  PeerApi,
  PeerEvent,
  QueueRequest,
  ReleaseRequest,
  ReserveRequest,
  Result,
  Server,
  ServerInput,
} from '../node-core/src/api/peer-api.js';

/** Settings kept by electron-store (the first-run screen writes them). */
export interface DesktopSettings {
  user: string;
  clusterId: string;
  /** empty string: no key (then the node's own cluster.key, or an open team with openCluster) */
  clusterKey: string;
  /** an open team, chosen explicitly: no key, anyone on the network can change the board */
  openCluster: boolean;
  /** discovery addresses "ip:port" of members, from an invite (networks without broadcast) */
  staticPeers: string[];
  apiPort: number;
  uiPort: number;
  discoveryPort: number;
  peerPort: number;
  dataDir: string;
  startAtLogin: boolean;
  startMinimized: boolean;
  /** false until the first-run screen was completed */
  onboarded: boolean;
  /** run monitoring checks on this computer, as a location (issue 12; paused on battery). Absent: off */
  monitor?: boolean;
}

export interface JoinTeamRequest {
  /** what the teammate sent: an invite pb1:<team>:<key>[@ip:port,...] or a bare key (older teams) */
  invite: string;
  user: string;
}

/** invoke channels: [argument tuple, result] */
export interface InvokeChannels {
  'board:get-state': [[], Result<BoardView>];
  'board:reserve-server': [[ReserveRequest], Result<Server>];
  'board:release-server': [[ReleaseRequest], Result<Server>];
  'board:extend-reservation': [[ExtendRequest], Result<Server>];
  'board:queue-server': [[QueueRequest], Result<Server>];
  'board:leave-queue': [[{ host: string; user: string }], Result<Server>];
  'inventory:add-server': [[ServerInput], Result<Server>];
  'inventory:update-server': [[string, Omit<ServerInput, 'host'>], Result<Server>];
  'inventory:remove-server': [[string], Result<{ host: string }>];
  'inventory:import-servers': [[{ serversList: ServerInput[]; replace?: boolean }], Result<{ count: number }>];
  'inventory:set-maintenance': [[string, boolean, string?], Result<Server>];
  'history:list-requests': [[HistoryFilter], Result<HistoryPage>];
  'cluster:promote-node': [[string], Result<{ leaderId: string }>];
  'settings:get-settings': [[], Result<DesktopSettings>];
  /** saves and restarts the node with the new settings */
  'settings:save-settings': [[Partial<DesktopSettings>], Result<DesktopSettings>];
  /** generates a fresh random cluster key and its invite (first run: "create a team") */
  'settings:generate-key': [[], Result<{ clusterKey: string; invite: string }>];
  /** first run "join a team": an invite (or an old bare key) and the user's name; saves and restarts the node */
  'settings:join-team': [[JoinTeamRequest], Result<DesktopSettings>];
  /** how teammates join this node's team (the invite carries the key) */
  'cluster:get-invite': [[], Result<InviteInfo>];
  'app:open-external': [[string], Result<null>];
  // -- monitoring (issue 12): MonitorService over the node's monitorReader()
  'monitor:list-checks': [[], Result<CheckView[]>];
  'monitor:add-check': [[CheckInput], Result<CheckView>];
  'monitor:update-check': [[number, Partial<CheckInput>], Result<CheckView>];
  'monitor:remove-check': [[number], Result<{ id: number }>];
  /** check id, hours back */
  'monitor:get-series': [[number, number], Result<CheckSeries>];
  /** at most this many, newest first */
  'monitor:list-alerts': [[number?], Result<Alert[]>];
  'monitor:list-notifications': [[], Result<NotificationTargetView[]>];
  'monitor:add-notification': [[NotificationInput], Result<NotificationTargetView>];
  'monitor:remove-notification': [[number], Result<{ id: number }>];
  // -- worker loans (issue 13): the node's LoansControl
  'loans:get-loans': [[], Result<LoansView>];
  /** loan id: take a lent worker back (an `out` loan) */
  'loans:recall-loan': [[string], Result<{ id: string }>];
  /** loan id: give a borrowed worker back (an `in` loan) */
  'loans:return-loan': [[string], Result<{ id: string }>];
}
export type InvokeChannel = keyof InvokeChannels;

/** pushed from main to the renderer */
export interface PushChannels {
  'peer:event': PeerEvent;
}
export const PUSH_EVENT_CHANNEL = 'peer:event' as const;

export const INVOKE_CHANNELS = [
  'board:get-state',
  'board:reserve-server',
  'board:release-server',
  'board:extend-reservation',
  'board:queue-server',
  'board:leave-queue',
  'inventory:add-server',
  'inventory:update-server',
  'inventory:remove-server',
  'inventory:import-servers',
  'inventory:set-maintenance',
  'history:list-requests',
  'cluster:promote-node',
  'settings:get-settings',
  'settings:save-settings',
  'settings:generate-key',
  'settings:join-team',
  'cluster:get-invite',
  'app:open-external',
  'monitor:list-checks',
  'monitor:add-check',
  'monitor:update-check',
  'monitor:remove-check',
  'monitor:get-series',
  'monitor:list-alerts',
  'monitor:list-notifications',
  'monitor:add-notification',
  'monitor:remove-notification',
  'loans:get-loans',
  'loans:recall-loan',
  'loans:return-loan',
] as const satisfies readonly InvokeChannel[];

/** What the preload exposes as window.peerboard: PeerApi plus the desktop-only calls. */
export interface DesktopApi extends PeerApi {
  readonly kind: 'desktop';
  getSettings(): Promise<Result<DesktopSettings>>;
  saveSettings(patch: Partial<DesktopSettings>): Promise<Result<DesktopSettings>>;
  generateKey(): Promise<Result<{ clusterKey: string; invite: string }>>;
  joinTeam(req: JoinTeamRequest): Promise<Result<DesktopSettings>>;
  openExternal(url: string): Promise<Result<null>>;
}
