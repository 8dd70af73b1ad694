// The renderer's view of the node API: PeerApi (type-only, from node-core) plus what a client
// knows about its own link to the node (connection state, the fresh view a stream opens with).
import type { BoardView, ErrorValue, PeerApi, Result } from '../../../node-core/src/api/peer-api.js';
import type { DesktopSettings, JoinTeamRequest } from '../../../electron/ipc-contract.js';

export type {
  Alert,
  BoardView,
  ChangeEvent,
  CheckInput,
  CheckSeries,
  CheckView,
  ClusterViewEntry,
  ErrorValue,
  ExtendRequest,
  HistoryFilter,
  HistoryPage,
  InviteInfo,
  LeaderInfo,
  LocationResult,
  LoansView,
  LoanView,
  NeighbourView,
  FarmLoadView,
  NotificationInput,
  NotificationTargetView,
  PeerApi,
  PeerEvent,
  QueueRequest,
  ReleaseRequest,
  ReserveRequest,
  Result,
  Role,
  SelfInfo,
  Server,
  ServerInput,
  ServersData,
  UserRequest,
  Verdict,
  WakeInfo,
} from '../../../node-core/src/api/peer-api.js';
export type { QueueEntry } from '../../../node-core/src/board/types.js';
export type { DesktopApi, DesktopSettings, JoinTeamRequest } from '../../../electron/ipc-contract.js';

/** Error codes the renderer reacts to (mirrors node-core's ErrorCode values; strings only). */
export const Code = {
  BadRequest: 'BAD_REQUEST',
  Unauthorized: 'UNAUTHORIZED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  Conflict: 'CONFLICT',
  NoQuorum: 'NO_QUORUM',
  NotLeader: 'NOT_LEADER',
  Timeout: 'TIMEOUT',
  Unavailable: 'SERVICE_UNAVAILABLE',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  Internal: 'INTERNAL_ERROR',
} as const;

/** History operations that are cluster bookkeeping (mirrors node-core's SYSTEM_OPERATIONS). */
export const SYSTEM_OPERATIONS: ReadonlySet<string> = new Set(['user-register', 'cluster-register', 'serving']);

/** The link between this window and its node. */
export const LinkState = { connecting: 'connecting', open: 'open', closed: 'closed' } as const;
export type LinkState = (typeof LinkState)[keyof typeof LinkState];

export type LinkListener = (state: LinkState, hello?: BoardView) => void;

export const ApiKind = { http: 'http', desktop: 'desktop', fake: 'fake' } as const;
export type ApiKind = (typeof ApiKind)[keyof typeof ApiKind];

/** Desktop-only calls, present when the window runs inside the Electron app (or a fake of it). */
export interface DesktopExtras {
  getSettings(): Promise<Result<DesktopSettings>>;
  saveSettings(patch: Partial<DesktopSettings>): Promise<Result<DesktopSettings>>;
  /** a new team key and the invite that carries it */
  generateKey(): Promise<Result<{ clusterKey: string; invite: string }>>;
  /** joins the team of a pasted invite (or an older bare key): saves the settings and restarts the node */
  joinTeam(req: JoinTeamRequest): Promise<Result<DesktopSettings>>;
}

export interface RendererApi extends PeerApi {
  readonly kind: ApiKind;
  /** link state changes; `hello` carries a full view when a (re)opened stream starts with one */
  onLink(listener: LinkListener): () => void;
  /** present in the desktop app only */
  readonly desktop: DesktopExtras | null;
}

/** A failed Result built in the renderer (the code is one of node-core's ErrorCode strings). */
export function errorResult(code: string, message: string, details?: Record<string, unknown>): { ok: false; error: ErrorValue } {
  return { ok: false, error: { code: code as ErrorValue['code'], message, ...(details ? { details } : {}) } };
}
