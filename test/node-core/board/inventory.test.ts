// Board inventory and registries: server-add/update/remove, servers-import, maintenance, and the
// seed 001/002 registries (user-register, cluster-register, serving).
import { beforeEach, describe, expect, it } from 'vitest';
import { Driver, T0, T0_SEC, expectError, expectOk, stateOf } from './driver.js';

let d: Driver;
beforeEach(() => {
  d = new Driver();
});

describe('server-add', () => {
  it('adds a server in seed 000 shape with since 0', () => {
    expectOk(d.run({ type: 'server-add', server: { host: 'server-01', app: 'Mid', ip: '192.168.0.10', env: 'preprod' } }));
    expect(d.board.serversData()).toEqual({
      lastUpdate: T0_SEC,
      serversList: [
        {
          host: 'server-01',
          app: 'Mid',
          ip: '192.168.0.10',
          env: 'preprod',
          available: true,
          action: 'Available',
          since: 0,
          comment: '',
          holder: null,
          until: null,
          maintenance: false,
          queue: [],
          holderNode: null,
        },
      ],
    });
  });

  it('adds a server straight into maintenance', () => {
    expectOk(d.run({ type: 'server-add', server: { host: 'm1', maintenance: true } }));
    expect(d.board.server('m1')).toMatchObject({ available: false, action: 'Maintenance', since: 0 });
  });

  it('refuses a duplicate host (CONFLICT) and a bad host name (BAD_REQUEST)', () => {
    d.addServers('server-01');
    expectError(d.run({ type: 'server-add', server: { host: 'server-01' } }), 'CONFLICT');
    for (const host of ['', 'has space', 'a/b', 'x'.repeat(129), 'é']) {
      expect(expectError(d.run({ type: 'server-add', server: { host } }), 'BAD_REQUEST').message).toMatch(/server\.host/);
    }
    expect(d.board.serversData().serversList).toHaveLength(1);
  });
});

describe('server-update and maintenance', () => {
  beforeEach(() => d.addServers('server-01'));

  it('patches inventory fields only', () => {
    expectOk(d.run({ type: 'server-update', host: 'server-01', patch: { app: 'Back', comment: 'rack 4' } }));
    expect(d.board.server('server-01')).toMatchObject({ app: 'Back', ip: '127.0.0.10', comment: 'rack 4', since: 0 });
  });

  it('refuses an unknown host, an empty patch and a patch with host or unknown fields', () => {
    expectError(d.run({ type: 'server-update', host: 'ghost', patch: { app: 'x' } }), 'NOT_FOUND');
    expectError(d.run({ type: 'server-update', host: 'server-01', patch: {} }), 'BAD_REQUEST');
    expect(expectError(d.run({ type: 'server-update', host: 'server-01', patch: { host: 'x' } }), 'BAD_REQUEST').message).toMatch(
      /patch\.host/,
    );
  });

  it('maintenance on a held server keeps the hold, shows Maintenance and refuses new reserves', () => {
    expectOk(d.run({ type: 'reserve', host: 'server-01', user: 'alice', until: T0_SEC + 3600 }));
    d.advance(20);
    expect(expectOk(d.run({ type: 'maintenance', host: 'server-01', on: true }))).toMatchObject({ changed: true });
    expect(d.board.server('server-01')).toMatchObject({ holder: 'alice', maintenance: true, action: 'Maintenance', available: false, since: T0_SEC + 20 });
    expectError(d.run({ type: 'reserve', host: 'server-01', user: 'bob', until: T0_SEC + 3600 }), 'CONFLICT');
    expectOk(d.run({ type: 'release', host: 'server-01', user: 'alice' })); // the holder may still release
    expect(d.board.server('server-01')).toMatchObject({ holder: null, action: 'Maintenance', available: false });
    expect(expectError(d.run({ type: 'reserve', host: 'server-01', user: 'bob', until: T0_SEC + 3600 }), 'CONFLICT').details).toEqual({
      maintenance: true,
    });
    expect(expectOk(d.run({ type: 'maintenance', host: 'server-01', on: true }))).toMatchObject({ changed: false });
    expectOk(d.run({ type: 'maintenance', host: 'server-01', on: false }));
    expect(d.board.server('server-01')).toMatchObject({ action: 'Available', available: true });
    expectError(d.run({ type: 'maintenance', host: 'ghost', on: true }), 'NOT_FOUND');
  });
});

describe('server-remove', () => {
  beforeEach(() => d.addServers('server-01', 'server-02'));

  it('removes a free server, refuses a held one and an unknown one', () => {
    expectOk(d.run({ type: 'reserve', host: 'server-01', user: 'alice', until: T0_SEC + 600 }));
    expect(expectError(d.run({ type: 'server-remove', host: 'server-01' }), 'CONFLICT').details).toMatchObject({ holder: 'alice' });
    expectOk(d.run({ type: 'server-remove', host: 'server-02' }));
    expectError(d.run({ type: 'server-remove', host: 'server-02' }), 'NOT_FOUND');
    expect(d.board.serversData().serversList.map((s) => s.host)).toEqual(['server-01']);
  });
});

describe('servers-import', () => {
  beforeEach(() => d.addServers('server-01', 'server-02', 'server-03'));

  it('upserts inventory fields and keeps holds', () => {
    expectOk(d.run({ type: 'reserve', host: 'server-01', user: 'alice', until: T0_SEC + 600 }));
    const v = expectOk(
      d.run({ type: 'servers-import', servers: [{ host: 'server-01', env: 'prod' }, { host: 'server-09', app: 'New' }, { host: 'server-02' }] }),
    );
    expect(v).toEqual({ added: 1, updated: 1, removed: 0 });
    expect(d.board.server('server-01')).toMatchObject({ env: 'prod', app: 'Mid', holder: 'alice' });
    expect(d.board.server('server-09')).toMatchObject({ app: 'New', available: true });
    expect(d.board.serversData().serversList).toHaveLength(4);
  });

  it('replace removes unlisted servers, but refuses without any change if one of them is held', () => {
    expectOk(d.run({ type: 'reserve', host: 'server-02', user: 'alice', until: T0_SEC + 600 }));
    const before = stateOf(d.board);
    const err = expectError(d.run({ type: 'servers-import', replace: true, servers: [{ host: 'server-01', app: 'X' }, { host: 'new' }] }), 'CONFLICT');
    expect(err.details).toEqual({ held: ['server-02'] });
    expect(stateOf(d.board)).toEqual(before);
    expectOk(d.run({ type: 'release', host: 'server-02', user: 'alice' }));
    expect(expectOk(d.run({ type: 'servers-import', replace: true, servers: [{ host: 'server-01', app: 'X' }, { host: 'new' }] }))).toEqual({
      added: 1,
      updated: 1,
      removed: 2,
    });
    expect(d.board.serversData().serversList.map((s) => s.host)).toEqual(['server-01', 'new']);
  });

  it('refuses a host listed twice and a bad entry, changing nothing', () => {
    const before = stateOf(d.board);
    expect(expectError(d.run({ type: 'servers-import', servers: [{ host: 'a' }, { host: 'a' }] }), 'BAD_REQUEST').details).toMatchObject({
      field: 'servers.1.host',
    });
    expect(expectError(d.run({ type: 'servers-import', servers: [{ host: 'a' }, { host: 'b', ip: 7 }] }), 'BAD_REQUEST').message).toMatch(
      /servers\.1\.ip/,
    );
    expect(stateOf(d.board)).toEqual(before);
  });
});

describe('user-register (seed 001)', () => {
  it('registers a user once, refusing a taken username or user id', () => {
    d.advance(3);
    const v = expectOk(d.run({ type: 'user-register', username: 'alice', addr: '127.0.0.1:9000', userId: 'u-1' }));
    expect(v.user).toEqual({ user_id: 'u-1', username: 'alice', addr: '127.0.0.1:9000', registeredAt: T0_SEC + 3 });
    expectError(d.run({ type: 'user-register', username: 'alice', addr: '127.0.0.1:9001', userId: 'u-2' }), 'CONFLICT');
    expectError(d.run({ type: 'user-register', username: 'bob', addr: '127.0.0.1:9001', userId: 'u-1' }), 'CONFLICT');
    expectOk(d.run({ type: 'user-register', username: 'bob', addr: '[::1]:9001', userId: 'u-2' }));
    expect(d.board.users().map((u) => u.username)).toEqual(['alice', 'bob']);
  });

  it('refuses an addr that is not host:port', () => {
    for (const addr of ['127.0.0.1', '127.0.0.1:', ':80', 'host:0', 'host:65536', 'a b:80', 'host:80:90']) {
      const err = expectError(d.run({ type: 'user-register', username: 'alice', addr, userId: 'u-1' }), 'BAD_REQUEST');
      expect(err.message).toMatch(/addr/);
    }
    expect(d.board.users()).toEqual([]);
  });
});

describe('cluster-register and serving (seed 002)', () => {
  const node = {
    id: 'a51c132e-4b71-409c-bf6d-98b5bbc2d2a9',
    url: 'http://127.0.0.1:4402',
    clusterId: 'default-cluster',
    role: 'worker',
    capabilities: {},
    tags: [],
    metadata: { autoRegistered: true, platform: 'linux' },
  };

  it('upserts by id, keeping createdAt and serving from the first registration', () => {
    const first = expectOk(d.run({ type: 'cluster-register', node }));
    expect(first).toMatchObject({ created: true, node: { ...node, createdAt: new Date(T0).toISOString(), serving: true } });
    d.advance(60);
    expectOk(d.run({ type: 'serving', nodeId: node.id, enabled: false }));
    d.advance(60);
    const again = expectOk(d.run({ type: 'cluster-register', node: { ...node, url: 'http://127.0.0.1:4403' } }));
    expect(again.created).toBe(false);
    expect(d.board.clusterNodes()).toEqual([
      {
        ...node,
        url: 'http://127.0.0.1:4403',
        createdAt: new Date(T0).toISOString(),
        serving: false,
        servingChangedAt: new Date(T0 + 60_000).toISOString(),
      },
    ]);
  });

  it('serving refuses an unknown node id; oversized metadata is refused', () => {
    expectError(d.run({ type: 'serving', nodeId: 'nobody', enabled: true }), 'NOT_FOUND');
    const huge = { ...node, metadata: { blob: 'x'.repeat(20_000) } };
    expect(expectError(d.run({ type: 'cluster-register', node: huge }), 'BAD_REQUEST').message).toMatch(/node\.metadata/);
    expectError(d.run({ type: 'cluster-register', node: { ...node, extra: 1 } }), 'BAD_REQUEST');
    expect(d.board.clusterNodes()).toEqual([]);
  });
});
