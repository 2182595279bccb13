// The snapshot orders (revoke a lease, copy a shared chunk) for master tests that take no
// snapshot: each fails loudly, so a test that reaches one by mistake says so.

import type { CopyLocalCaller } from '../../../master/leases/copy-on-write.js';
import type { RevokeCaller } from '../../../master/snapshots/fence.js';
import { GfsError } from '../../../shared/errors.js';

export const noSnapshotOrders: { revoke: RevokeCaller; copyLocal: CopyLocalCaller } = {
  revoke: async (address) => {
    throw new GfsError('INTERNAL', 'no lease revoke expected in these tests', address);
  },
  copyLocal: async (address) => {
    throw new GfsError('INTERNAL', 'no copy-local expected in these tests', address);
  },
};
