// The token proof on forwarded writes (issue 9): what a slave signs for each caller, and what a
// master with tokens accepts, against the access each command needs.
import { describe, expect, it } from 'vitest';
import { commandNeed, signForward, verifyForward } from '../../../node-core/src/security/forward-auth.js';

const tokens = { adminToken: 'admin-token-123456', userToken: 'user-token-1234567' };
const reserve = { type: 'reserve', host: 's1', user: 'alice', until: 1 };
const wipe = { type: 'servers-import', servers: [], replace: true };
const ts = 1_800_000_000_000;

describe('forward-auth', () => {
  it('names the access every command needs, as the HTTP routes do', () => {
    expect(commandNeed(reserve)).toBe('user');
    expect(commandNeed({ type: 'release', force: false })).toBe('user');
    expect(commandNeed({ type: 'release', force: true })).toBe('admin');
    for (const t of ['server-add', 'server-update', 'server-remove', 'servers-import', 'maintenance', 'serving', 'promote', 'add-voter', 'remove-voter']) expect(commandNeed({ type: t })).toBe('admin');
  });

  it('accepts a proof of the right token for the command, and nothing else', () => {
    const user = signForward(tokens, 'user', ts, 'r1', 'alice', reserve)!;
    const admin = signForward(tokens, 'admin', ts, 'r2', 'root', wipe)!;
    expect(user.role).toBe('user');
    expect(admin.role).toBe('admin');
    expect(() => verifyForward(tokens, 'user', user, ts, 'r1', 'alice', reserve)).not.toThrow();
    expect(() => verifyForward(tokens, 'admin', admin, ts, 'r2', 'root', wipe)).not.toThrow();
    // a user proof cannot do an admin's work
    const userWipe = signForward(tokens, 'user', ts, 'r3', 'alice', wipe)!;
    expect(() => verifyForward(tokens, 'admin', userWipe, ts, 'r3', 'alice', wipe)).toThrow(/admin rights/);
    // a proof binds time, request id, user and command
    expect(() => verifyForward(tokens, 'user', user, ts + 1, 'r1', 'alice', reserve)).toThrow(/does not match/);
    expect(() => verifyForward(tokens, 'user', user, ts, 'r9', 'alice', reserve)).toThrow(/does not match/);
    expect(() => verifyForward(tokens, 'user', user, ts, 'r1', 'mallory', reserve)).toThrow(/does not match/);
    expect(() => verifyForward(tokens, 'user', user, ts, 'r1', 'alice', { ...reserve, host: 's2' })).toThrow(/does not match/);
    // no proof, or a proof by other tokens
    expect(() => verifyForward(tokens, 'user', undefined, ts, 'r1', 'alice', reserve)).toThrow(/no token proof/);
    const other = signForward({ userToken: 'another-user-token' }, 'user', ts, 'r1', 'alice', reserve)!;
    expect(() => verifyForward(tokens, 'user', other, ts, 'r1', 'alice', reserve)).toThrow(/tokens differ/);
    expect(() => verifyForward(tokens, 'user', { role: 'admin', proof: 'f'.repeat(64) }, ts, 'r1', 'alice', reserve)).toThrow(/does not match/);
  });

  it('an open caller signs nothing; a master without tokens needs nothing', () => {
    expect(signForward(tokens, 'open', ts, 'r', 'a', reserve)).toBeUndefined();
    expect(signForward({}, 'admin', ts, 'r', 'a', wipe)).toBeUndefined();
    expect(() => verifyForward({}, 'admin', undefined, ts, 'r', 'a', wipe)).not.toThrow();
    // the node's own writes use the strongest token it has
    expect(signForward(tokens, 'system', ts, 'r', 'system', wipe)?.role).toBe('admin');
    expect(signForward({ userToken: tokens.userToken }, 'system', ts, 'r', 'system', reserve)?.role).toBe('user');
  });
});
