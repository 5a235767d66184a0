import type { VmSnapshotRow } from '../../read-model/domain/rows';
import { toVmSnapshotView } from './vm-snapshot.view';

const at = new Date('2026-11-21T07:00:00.000Z');

describe('GET /vm-snapshots/{id} answer', () => {
  it('shows the VM, the members with their pools, backend names and sizes, and no volume backend names or versions', () => {
    const row: VmSnapshotRow = {
      id: '00000000-0000-4000-8000-0000000000e1',
      vmId: 'vm-4711',
      name: 'before-upgrade',
      tenant: 'acme',
      status: 'ready',
      members: [{ volumeId: '00000000-0000-4000-8000-00000000aaa1', poolId: '00000000-0000-4000-8000-0000000000b1', volumeBackendName: 'vol-1', snapshotBackendName: 'vol-1@g', sizeBytes: 1024 }],
      lastError: { code: 'backend.busy', category: 'backend', message: 'busy' },
      version: 4,
      createdAt: at,
      updatedAt: at,
    };
    expect(toVmSnapshotView(row)).toEqual({
      id: row.id,
      vmId: 'vm-4711',
      name: 'before-upgrade',
      tenant: 'acme',
      status: 'ready',
      members: [{ volumeId: '00000000-0000-4000-8000-00000000aaa1', poolId: '00000000-0000-4000-8000-0000000000b1', snapshotBackendName: 'vol-1@g', sizeBytes: 1024 }],
      lastError: { code: 'backend.busy', category: 'backend', message: 'busy' },
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
    });
  });
});
