// Invites: round trips, every rejection with a clear message that never echoes the key, and
// random garbage (fast-check) that must only ever end in a ConfigError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../node-core/src/config.js';
import { ConfigError } from '../../../node-core/src/errors.js';
import { formatInvite, inviteInfoOf, looksLikeInvite, MAX_INVITE_CHARS, MAX_INVITE_PEERS, parseInvite } from '../../../node-core/src/security/invite.js';

const KEY = 'Zm9vYmFyYmF6cXV4cXV1eF9rZXktMDEyMzQ1Njc4OQ';

describe('formatInvite / parseInvite', () => {
  it('round-trips with and without peers; whitespace around is ignored', () => {
    const bare = formatInvite({ clusterId: 'team-a', key: KEY });
    expect(bare).toBe(`pb1:team-a:${KEY}`);
    expect(parseInvite(`  ${bare}\n`)).toEqual({ clusterId: 'team-a', key: KEY });
    const withPeers = formatInvite({ clusterId: 'lab.2_x', key: KEY, peers: ['10.0.0.5:8779', 'host-b.lan:9000'] });
    expect(withPeers).toBe(`pb1:lab.2_x:${KEY}@10.0.0.5:8779,host-b.lan:9000`);
    expect(parseInvite(withPeers)).toEqual({ clusterId: 'lab.2_x', key: KEY, peers: ['10.0.0.5:8779', 'host-b.lan:9000'] });
  });

  it('round-trips any valid invite (property)', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
    const key = fc.stringMatching(/^[A-Za-z0-9_-]{16,256}$/);
    const peer = fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([ip, port]) => `${ip}:${port}`);
    fc.assert(
      fc.property(id, key, fc.uniqueArray(peer, { maxLength: MAX_INVITE_PEERS }), (clusterId, k, peers) => {
        const text = formatInvite({ clusterId, key: k, peers });
        const back = parseInvite(text);
        expect(back.clusterId).toBe(clusterId);
        expect(back.key).toBe(k);
        expect(back.peers ?? []).toEqual(peers);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    [KEY, /must start with "pb1:"/],
    [`pb2:team:${KEY}`, /version "pb2" is not known/],
    [`pb1:team`, /expected pb1:<team>:<key>/],
    [`pb1:team:${KEY}:extra`, /expected pb1:<team>:<key>/],
    [`pb1::${KEY}`, /team name/],
    [`pb1:${'t'.repeat(65)}:${KEY}`, /team name/],
    [`pb1:te am:${KEY}`, /team name/],
    ['pb1:team:short', /16 to 256 base64url characters \(got 5 characters\)/],
    [`pb1:team:${'k'.repeat(257)}`, /16 to 256 base64url/],
    [`pb1:team:${KEY.slice(0, 20)}+/=`, /base64url/],
    [`pb1:team:${KEY}@`, /nothing after "@"/],
    [`pb1:team:${KEY}@10.0.0.1`, /is not ip:port/],
    [`pb1:team:${KEY}@10.0.0.1:0`, /port must be 1 to 65535/],
    [`pb1:team:${KEY}@10.0.0.1:70000`, /port must be 1 to 65535/],
    [`pb1:team:${KEY}@300.0.0.1:8779`, /bad IPv4/],
    [`pb1:team:${KEY}@[::1]:8779`, /is not ip:port|bad address/],
    [`pb1:team:${KEY}@a b:1`, /is not ip:port/],
    [`pb1:team:${KEY}@${Array.from({ length: MAX_INVITE_PEERS + 1 }, (_, i) => `10.0.0.${i}:1`).join(',')}`, /at most 16 peers/],
    [`pb1:team:${KEY}@${'a'.repeat(MAX_INVITE_CHARS)}:1`, /longer than 2048/],
  ])('refuses %j with a clear ConfigError', (text, message) => {
    let err: unknown;
    try {
      parseInvite(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_ERROR');
    expect((err as Error).message).toMatch(/^invalid invite: /);
    expect((err as Error).message).toMatch(message);
    // a message is shown and logged: it never carries the key
    expect((err as Error).message).not.toContain(KEY);
  });

  it('refuses a non-string without throwing anything but ConfigError', () => {
    expect(() => parseInvite(42 as unknown as string)).toThrow(ConfigError);
    expect(() => parseInvite(null as unknown as string)).toThrow(ConfigError);
  });

  it('random text, and random mutations of a valid invite, only ever give an invite or a ConfigError (fuzz)', () => {
    const valid = formatInvite({ clusterId: 'team', key: KEY, peers: ['10.1.2.3:8779'] });
    const mutated = fc.tuple(fc.nat({ max: valid.length }), fc.nat({ max: 8 }), fc.string({ maxLength: 8 })).map(([at, del, ins]) => valid.slice(0, at) + ins + valid.slice(at + del));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 3000 }), mutated), (text) => {
        try {
          const inv = parseInvite(text);
          // whatever parses formats back to an equivalent invite
          expect(parseInvite(formatInvite(inv))).toEqual(inv);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('formatInvite refuses what cannot travel in an invite', () => {
    expect(() => formatInvite({ clusterId: 'team', key: 'has spaces in it, sixteen+' })).toThrow(/base64url/);
    expect(() => formatInvite({ clusterId: 'te:am', key: KEY })).toThrow(/clusterId/);
    expect(() => formatInvite({ clusterId: 'team', key: KEY, peers: ['nope'] })).toThrow(/ip:port/);
  });

  it('looksLikeInvite tells an invite from a bare key', () => {
    expect(looksLikeInvite(` pb1:team:${KEY}`)).toBe(true);
    expect(looksLikeInvite(KEY)).toBe(false);
  });
});

describe('inviteInfoOf', () => {
  it('carries the node address and its static peers, deduplicated', () => {
    const config = parseConfig({ clusterId: 'team', staticPeers: ['10.0.0.9:8779', '127.0.0.1:9999'], dataDir: '/tmp/x' });
    const info = inviteInfoOf({ config, ip: '127.0.0.1', peerPort: 8780, discoveryPort: 9999 }, KEY);
    expect(info).toEqual({ clusterId: 'team', open: false, peers: ['127.0.0.1:9999', '10.0.0.9:8779'], invite: `pb1:team:${KEY}@127.0.0.1:9999,10.0.0.9:8779` });
    expect(parseInvite(info.invite!)).toMatchObject({ clusterId: 'team', key: KEY });
  });

  it('has no invite without a key; open only in an explicitly open cluster', () => {
    const open = parseConfig({ openCluster: true, dataDir: '/tmp/x' });
    expect(inviteInfoOf({ config: open, ip: '10.0.0.1', peerPort: 1 }, null)).toEqual({ clusterId: 'peerboard', open: true, invite: null, peers: ['10.0.0.1:8779'] });
    const pending = parseConfig({ dataDir: '/tmp/x' });
    expect(inviteInfoOf({ config: pending, ip: '10.0.0.1', peerPort: 1 }, null).open).toBe(false);
  });

  it('a hand-written key outside base64url has no invite (it is shared with --cluster-key instead)', () => {
    const config = parseConfig({ clusterKey: 'correct horse battery staple', dataDir: '/tmp/x' });
    expect(inviteInfoOf({ config, ip: '10.0.0.1', peerPort: 1 }, config.clusterKey!)).toMatchObject({ open: false, invite: null });
  });
});
