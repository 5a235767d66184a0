import { neverReconciled } from '../../projection/domain/drift-projection';
import { toPoolDriftView } from './pool-drift.view';

const POOL = '00000000-0000-4000-8000-0000000000b1';
const VOLUME = '00000000-0000-4000-8000-0000000000c1';

describe('GET /pools/{id}/drift answer', () => {
  it('is an empty record for a pool never reconciled', () => {
    expect(toPoolDriftView(neverReconciled(POOL, new Date('2026-11-21T07:00:00.000Z')))).toEqual({
      poolId: POOL, state: 'never_reconciled', orphans: [], missing: [], detectedAt: null, removals: [],
    });
  });

  it('shows each orphan with its removal, the missing volumes and when they were found', () => {
    const error = { code: 'backend.busy', category: 'backend', message: 'in use' };
    const view = toPoolDriftView({
      poolId: POOL,
      state: 'drift',
      orphans: [{ backendName: 'a', sizeBytes: 10 }, { backendName: 'b', sizeBytes: 20 }],
      missing: [{ volumeId: VOLUME, backendName: `vol-${VOLUME}` }],
      detectedAt: new Date('2026-11-21T07:00:00.000Z'),
      removals: [{ backendName: 'b', status: 'failed', error, updatedAt: '2026-11-21T07:01:00.000Z' }, { backendName: 'gone', status: 'removed', error: null, updatedAt: '2026-11-21T06:00:00.000Z' }],
      version: 3,
      updatedAt: new Date('2026-11-21T07:01:00.000Z'),
    });
    expect(view).toEqual({
      poolId: POOL,
      state: 'drift',
      orphans: [
        { backendName: 'a', sizeBytes: 10, removal: null },
        { backendName: 'b', sizeBytes: 20, removal: { status: 'failed', error, updatedAt: '2026-11-21T07:01:00.000Z' } },
      ],
      missing: [{ volumeId: VOLUME, backendName: `vol-${VOLUME}` }],
      detectedAt: '2026-11-21T07:00:00.000Z',
      removals: [
        { backendName: 'b', status: 'failed', error, updatedAt: '2026-11-21T07:01:00.000Z' },
        { backendName: 'gone', status: 'removed', error: null, updatedAt: '2026-11-21T06:00:00.000Z' },
      ],
    });
  });
});
