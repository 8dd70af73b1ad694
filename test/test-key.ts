// The one cluster key every multi-node test shares, so nothing in the suite depends on running
// keyless. Tests about keyless behaviour pass openCluster: true explicitly (withTestKey leaves those alone).

/** base64url, so an invite can carry it */
export const TEST_CLUSTER_KEY = 'pb-test-key-0123456789abcdefABCDEF_';

/** The config with TEST_CLUSTER_KEY added, unless it chose its own security: a clusterKey, an invite or openCluster. */
export function withTestKey<T extends object>(input: T): T & { clusterKey?: string } {
  const i = input as { clusterKey?: unknown; invite?: unknown; openCluster?: unknown };
  if (i.clusterKey !== undefined || i.invite !== undefined || i.openCluster === true) return input;
  return { ...input, clusterKey: TEST_CLUSTER_KEY };
}
