// The codec: the only place that turns bytes into messages. It checks size, JSON, the HMAC
// (when a cluster key is set), the protocol version, the cluster id and the shape, and says why
// it refused. Handlers never see raw bytes.
//
// Wire format: UTF-8 JSON of the message object. With a cluster key the sender appends
// `,"mac":"<hex HMAC-SHA256 of the JSON without the mac>"` before the closing brace, so the MAC
// covers the exact bytes sent and no canonical form is needed.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { jsonDepth } from '../board/commands.js';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, messageSchema, type Message } from './messages.js';

/** deepest JSON a peer message may hold (a log entry's command is bounded far below this) */
export const MAX_MESSAGE_DEPTH = 32;

export const DropReason = {
  TooLarge: 'too_large',
  BadJson: 'bad_json',
  MissingMac: 'missing_mac',
  BadMac: 'bad_mac',
  UnknownType: 'unknown_type',
  BadShape: 'bad_shape',
  Version: 'version',
  OtherCluster: 'other_cluster',
  /** a node without a key got a message with a MAC: a cluster with a key is on the network */
  KeyedMessage: 'keyed_message',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

export type Decoded = { ok: true; msg: Message } | { ok: false; reason: DropReason; detail: string };

export interface CodecOptions {
  clusterId: string;
  /** shared secret; when set every message must carry a valid MAC */
  key?: string | undefined;
  /** older keys still accepted on receive during a key rotation (never used to send) */
  previousKeys?: readonly string[] | undefined;
}

const MAC_SUFFIX_LEN = ',"mac":"'.length + 64 + '"}'.length;
const MAC_RE = /,"mac":"([0-9a-f]{64})"\}$/;

function mac(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

export class Codec {
  private key: string | undefined;
  private previousKeys: readonly string[];

  constructor(private readonly opts: CodecOptions) {
    this.key = opts.key;
    this.previousKeys = opts.previousKeys ?? [];
  }

  /** true when messages are authenticated (a key is set) */
  get keyed(): boolean {
    return Boolean(this.key);
  }

  /** starts authenticating with a key (a node that founded a cluster and generated its key) */
  setKey(key: string): void {
    this.key = key;
  }

  encode(msg: Message): Buffer {
    const json = JSON.stringify(msg);
    if (!this.key) return Buffer.from(json, 'utf8');
    return Buffer.from(`${json.slice(0, -1)},"mac":"${mac(this.key, json)}"}`, 'utf8');
  }

  decode(data: Buffer, maxBytes: number): Decoded {
    if (data.length > maxBytes) return { ok: false, reason: DropReason.TooLarge, detail: `${data.length} bytes > limit ${maxBytes}` };
    let text = data.toString('utf8');
    const m = text.length > MAC_SUFFIX_LEN ? MAC_RE.exec(text.slice(-MAC_SUFFIX_LEN)) : null;
    if (this.key) {
      if (!m) return { ok: false, reason: DropReason.MissingMac, detail: 'message has no MAC but a cluster key is set' };
      const body = `${text.slice(0, -MAC_SUFFIX_LEN)}}`;
      const got = Buffer.from(m[1]!, 'hex');
      const matches = [this.key, ...this.previousKeys].some((k) => timingSafeEqual(Buffer.from(mac(k, body), 'hex'), got));
      if (!matches) return { ok: false, reason: DropReason.BadMac, detail: 'MAC does not match: wrong cluster key?' };
      text = body;
    } else if (m) {
      return { ok: false, reason: DropReason.KeyedMessage, detail: 'message carries a MAC: a cluster with a key is on this network (join it with its invite)' };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return { ok: false, reason: DropReason.BadJson, detail: (err as Error).message.slice(0, 200) };
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return { ok: false, reason: DropReason.BadShape, detail: 'not a JSON object' };
    }
    const obj = raw as Record<string, unknown>;
    if (typeof obj.v === 'number' && (obj.v < MIN_PROTOCOL_VERSION || obj.v > PROTOCOL_VERSION)) {
      return { ok: false, reason: DropReason.Version, detail: `protocol version ${obj.v} not in [${MIN_PROTOCOL_VERSION}, ${PROTOCOL_VERSION}]` };
    }
    if (typeof obj.clusterId === 'string' && obj.clusterId !== this.opts.clusterId) {
      return { ok: false, reason: DropReason.OtherCluster, detail: `cluster ${obj.clusterId.slice(0, 64)}` };
    }
    // deep nesting is refused before any schema walks it (a schema may recurse)
    const depth = jsonDepth(raw, MAX_MESSAGE_DEPTH);
    if (depth > MAX_MESSAGE_DEPTH) return { ok: false, reason: DropReason.BadShape, detail: `nested deeper than ${MAX_MESSAGE_DEPTH} levels` };
    let parsed: ReturnType<typeof messageSchema.safeParse>;
    try {
      parsed = messageSchema.safeParse(raw);
    } catch (err) {
      return { ok: false, reason: DropReason.BadShape, detail: `cannot be checked: ${(err as Error).message.slice(0, 200)}` };
    }
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      if (issue?.path.length === 1 && issue.path[0] === 'type') {
        return { ok: false, reason: DropReason.UnknownType, detail: `type ${JSON.stringify(obj.type)?.slice(0, 64)}` };
      }
      return { ok: false, reason: DropReason.BadShape, detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
    }
    return { ok: true, msg: parsed.data };
  }
}

export { PROTOCOL_VERSION };
