// NodeInfo's optional display name on the wire: carried when valid, absent from older nodes, and a
// message with a bad one (too long, control characters) is dropped as BadShape, never thrown.
import { describe, expect, it } from 'vitest';
import { Codec, DropReason } from '../../../node-core/src/protocol/codec.js';
import { Limits } from '../../../node-core/src/transport/transport.js';
import { CLUSTER, examples } from './message-examples.js';

const codec = new Codec({ clusterId: CLUSTER });
const join = examples.JoinRequest;
const withName = (name: unknown) => ({ ...join, node: { ...join.node, name } });
const decode = (msg: unknown) => codec.decode(Buffer.from(JSON.stringify(msg)), Limits.maxPacketBytes);

describe('NodeInfo.name', () => {
  it('round-trips a valid name and stays optional', () => {
    const msg = { ...join, node: { ...join.node, name: 'Zoë’s laptop' } };
    expect(codec.decode(codec.encode(msg), Limits.maxPacketBytes)).toEqual({ ok: true, msg });
    expect(decode(join)).toEqual({ ok: true, msg: join });
  });

  it('drops a message whose name is empty, too long, not text or has control characters', () => {
    for (const bad of ['', 'x'.repeat(65), 42, 'a\nb', 'a\u202eb']) {
      expect(decode(withName(bad)), JSON.stringify(bad)).toMatchObject({ ok: false, reason: DropReason.BadShape });
    }
  });
});
