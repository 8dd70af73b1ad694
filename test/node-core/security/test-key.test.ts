// The test suite runs keyed: every multi-node helper gives its nodes TEST_CLUSTER_KEY unless a test
// chose its own key, an invite or an explicitly open cluster.
import { afterEach, describe, expect, it } from 'vitest';
import { TestCluster } from '../../cluster/cluster-helpers.js';
import { TEST_CLUSTER_KEY, withTestKey } from '../../test-key.js';
import { Sim } from '../consensus/sim.js';

describe('TEST_CLUSTER_KEY', () => {
  let c: TestCluster | undefined;
  let sim: Sim | undefined;
  afterEach(async () => {
    await c?.close();
    await sim?.stopAll();
    c = undefined;
    sim = undefined;
  });

  it('withTestKey adds the key unless the config chose a key, an invite or openCluster', () => {
    expect(withTestKey({ clusterId: 'x' })).toEqual({ clusterId: 'x', clusterKey: TEST_CLUSTER_KEY });
    expect(withTestKey({ clusterKey: 'own-key-0123456789' }).clusterKey).toBe('own-key-0123456789');
    expect(withTestKey({ openCluster: true })).toEqual({ openCluster: true });
    expect(withTestKey({ invite: 'pb1:t:kkkkkkkkkkkkkkkk' })).not.toHaveProperty('clusterKey');
  });

  it('loopback TestCluster and the simulated cluster nodes run with it; openCluster opts out', async () => {
    c = await TestCluster.create();
    const keyed = await c.add('k1');
    expect(keyed.node.config.clusterKey).toBe(TEST_CLUSTER_KEY);
    const open = await c.add('o1', { openCluster: true });
    expect(open.node.config.clusterKey).toBeUndefined();
    sim = new Sim(1);
    expect((await sim.add('s1')).config.clusterKey).toBe(TEST_CLUSTER_KEY);
  });
});
