// The codec at the edge: every message type survives a round trip (with and without a cluster
// key), and each kind of bad input is refused with its own DropReason instead of throwing.
import { describe, expect, it } from 'vitest';
import { Codec, DropReason, type Decoded } from '../../../node-core/src/protocol/codec.js';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, type Message } from '../../../node-core/src/protocol/messages.js';
import { Limits } from '../../../node-core/src/transport/transport.js';
import { CLUSTER, allTypes, examples } from './message-examples.js';

const KEY = 'correct horse battery staple';
const plain = new Codec({ clusterId: CLUSTER });
const keyed = new Codec({ clusterId: CLUSTER, key: KEY });
const MAX = Limits.maxPacketBytes;

const reasonOf = (d: Decoded) => (d.ok ? 'ok' : d.reason);
const json = (o: unknown) => Buffer.from(JSON.stringify(o));
/** a message object with one key replaced or removed (undefined) */
function edit(msg: Message, key: string, value: unknown): Record<string, unknown> {
  const o: Record<string, unknown> = { ...msg };
  if (value === undefined) delete o[key];
  else o[key] = value;
  return o;
}

describe('Codec', () => {
  it('has an example for every message type', () => {
    expect(Object.keys(examples).sort()).toEqual([...allTypes].sort());
  });

  for (const [name, codec] of [
    ['without a key', plain],
    ['with a cluster key', keyed],
  ] as const) {
    it.each(allTypes)(`round-trips %s ${name}`, (type) => {
      const msg = examples[type];
      const bytes = codec.encode(msg);
      const back = codec.decode(bytes, Limits.maxFrameBytes);
      expect(back).toEqual({ ok: true, msg });
    });
  }

  it('puts the MAC at the end of the JSON, which stays plain JSON', () => {
    const text = keyed.encode(examples.Heartbeat).toString();
    expect(text).toMatch(/,"mac":"[0-9a-f]{64}"\}$/);
    expect(JSON.parse(text).type).toBe('Heartbeat');
  });

  it('refuses a message over the size limit before parsing it', () => {
    const bytes = plain.encode(examples.Heartbeat);
    expect(reasonOf(plain.decode(bytes, bytes.length))).toBe('ok');
    const d = plain.decode(bytes, bytes.length - 1);
    expect(d).toMatchObject({ ok: false, reason: DropReason.TooLarge });
  });

  it('refuses bytes that are not JSON', () => {
    expect(reasonOf(plain.decode(Buffer.from('{"type":'), MAX))).toBe(DropReason.BadJson);
    expect(reasonOf(plain.decode(Buffer.from([0xff, 0xfe, 0x00]), MAX))).toBe(DropReason.BadJson);
    expect(reasonOf(plain.decode(Buffer.alloc(0), MAX))).toBe(DropReason.BadJson);
  });

  it('refuses JSON that is not an object', () => {
    for (const text of ['[1,2]', '42', '"Heartbeat"', 'null', 'true']) {
      expect(reasonOf(plain.decode(Buffer.from(text), MAX)), text).toBe(DropReason.BadShape);
    }
  });

  it('with a key set, refuses a message without a MAC', () => {
    const unsigned = plain.encode(examples.VoteRequest);
    expect(reasonOf(keyed.decode(unsigned, MAX))).toBe(DropReason.MissingMac);
    expect(reasonOf(keyed.decode(Buffer.from('{}'), MAX))).toBe(DropReason.MissingMac);
    expect(reasonOf(keyed.decode(Buffer.alloc(0), MAX))).toBe(DropReason.MissingMac);
  });

  it('refuses a MAC made with another key', () => {
    const other = new Codec({ clusterId: CLUSTER, key: 'another key' });
    expect(reasonOf(keyed.decode(other.encode(examples.VoteRequest), MAX))).toBe(DropReason.BadMac);
  });

  it('refuses a tampered body or a tampered MAC', () => {
    const text = keyed.encode(examples.VoteResponse).toString();
    const forged = text.replace('"granted":true', '"granted":false');
    expect(forged).not.toBe(text);
    expect(reasonOf(keyed.decode(Buffer.from(forged), MAX))).toBe(DropReason.BadMac);
    const last = text.at(-3) === '0' ? '1' : '0';
    const badMac = `${text.slice(0, -3)}${last}"}`;
    expect(reasonOf(keyed.decode(Buffer.from(badMac), MAX))).toBe(DropReason.BadMac);
  });

  it('without a key, refuses a message with a MAC as keyed_message (a keyed team is on the network: wait for its invite)', () => {
    const d = plain.decode(keyed.encode(examples.TimeoutNow), MAX);
    expect(d).toMatchObject({ ok: false, reason: 'keyed_message' });
  });

  it('accepts a previous key during a rotation, and never sends with it', () => {
    const rotated = new Codec({ clusterId: CLUSTER, key: 'the new key, 16+ chars', previousKeys: [KEY] });
    expect(rotated.decode(keyed.encode(examples.TimeoutNow), MAX)).toEqual({ ok: true, msg: examples.TimeoutNow });
    expect(keyed.decode(rotated.encode(examples.TimeoutNow), MAX)).toMatchObject({ ok: false, reason: 'bad_mac' });
  });

  it('refuses a message nested 5,000 levels deep as bad_shape without throwing', () => {
    // written as text: JSON.stringify itself may overflow a worker's stack at this depth
    const cmd = `${'{"type":"server-add","n":'.repeat(5000)}{}${'}'.repeat(5000)}`;
    const text = `{"v":1,"clusterId":"${CLUSTER}","nodeId":"x","term":1,"ts":1,"type":"ForwardRequest","cmd":${cmd},"meta":{"user":"u","nodeId":"x","nodeIP":"1.2.3.4","reqId":"r"}}`;
    const d = plain.decode(Buffer.from(text), 1024 * 1024);
    expect(d.ok).toBe(false);
    expect(['bad_shape', 'bad_json']).toContain((d as { reason: string }).reason);
  });

  it('refuses a term beyond MAX_TERM (one forged number must not exhaust the term space)', () => {
    const d = plain.decode(Buffer.from(JSON.stringify({ ...examples.TimeoutNow, term: 2 ** 53 - 1 })), MAX);
    expect(d).toMatchObject({ ok: false, reason: 'bad_shape' });
  });

  it('refuses an unknown or missing type', () => {
    expect(reasonOf(plain.decode(json({ ...examples.TimeoutNow, type: 'Gossip' }), MAX))).toBe(DropReason.UnknownType);
    expect(reasonOf(plain.decode(json(edit(examples.TimeoutNow, 'type', undefined)), MAX))).toBe(DropReason.UnknownType);
    expect(reasonOf(plain.decode(json({ ...examples.TimeoutNow, type: 7 }), MAX))).toBe(DropReason.UnknownType);
  });

  it('refuses a missing field, naming it', () => {
    const d = plain.decode(json(edit(examples.Heartbeat, 'commitIndex', undefined)), MAX);
    expect(d).toMatchObject({ ok: false, reason: DropReason.BadShape });
    expect(!d.ok && d.detail).toMatch(/commitIndex/);
    const noNodeId = plain.decode(json(edit(examples.Heartbeat, 'nodeId', undefined)), MAX);
    expect(reasonOf(noNodeId)).toBe(DropReason.BadShape);
  });

  it('refuses a field of the wrong type, including nested ones', () => {
    expect(reasonOf(plain.decode(json({ ...examples.VoteRequest, lastIndex: '10' }), MAX))).toBe(DropReason.BadShape);
    expect(reasonOf(plain.decode(json({ ...examples.VoteRequest, term: -1 }), MAX))).toBe(DropReason.BadShape);
    expect(reasonOf(plain.decode(json({ ...examples.VoteRequest, term: 1.5 }), MAX))).toBe(DropReason.BadShape);
    expect(reasonOf(plain.decode(json({ ...examples.VoteRequest, v: '1' }), MAX))).toBe(DropReason.BadShape);
    const badNode = { ...examples.JoinRequest, node: { ...examples.JoinRequest.node, peerPort: 70_000 } };
    const d = plain.decode(json(badNode), MAX);
    expect(d).toMatchObject({ ok: false, reason: DropReason.BadShape });
    expect(!d.ok && d.detail).toMatch(/node\.peerPort/);
  });

  it('refuses a message of another cluster, keyed or not', () => {
    const other = { ...examples.Heartbeat, clusterId: 'someone-else' };
    expect(reasonOf(plain.decode(json(other), MAX))).toBe(DropReason.OtherCluster);
    const otherKeyed = new Codec({ clusterId: 'someone-else', key: KEY });
    expect(reasonOf(keyed.decode(otherKeyed.encode(other), MAX))).toBe(DropReason.OtherCluster);
  });

  it('refuses a protocol version outside [MIN, CURRENT]', () => {
    for (const v of [MIN_PROTOCOL_VERSION - 1, PROTOCOL_VERSION + 1, 999]) {
      expect(reasonOf(plain.decode(json({ ...examples.Heartbeat, v }), MAX)), `v=${v}`).toBe(DropReason.Version);
    }
  });

  it('accepts unknown extra fields (a newer peer may add optional ones) and drops them from the message', () => {
    const newer = { ...examples.FetchState, futureField: { x: 1 }, node: { ...examples.FetchState.node, gpu: 'A100' } };
    expect(plain.decode(json(newer), MAX)).toEqual({ ok: true, msg: examples.FetchState });
    const signed = keyed.decode(Buffer.from(keyed.encode(newer as unknown as Message).toString()), MAX);
    expect(signed).toEqual({ ok: true, msg: examples.FetchState });
  });

  it('keeps unknown fields inside board commands, which are validated when applied', () => {
    const d = plain.decode(json(examples.ForwardRequest), MAX);
    expect(d.ok && d.msg.type === 'ForwardRequest' && d.msg.cmd).toEqual({ type: 'release', serverId: 's1' });
  });

  it('never throws, whatever the bytes', () => {
    const samples = ['{"v":1}', '{"__proto__":{"x":1}}', '{"type":"Heartbeat","clusterView":"x"}', 'x'.repeat(1000), '{"a":' + '['.repeat(5000)];
    for (const s of samples) {
      expect(() => plain.decode(Buffer.from(s), MAX)).not.toThrow();
      expect(() => keyed.decode(Buffer.from(s), MAX)).not.toThrow();
      expect(plain.decode(Buffer.from(s), MAX).ok).toBe(false);
    }
  });
});
