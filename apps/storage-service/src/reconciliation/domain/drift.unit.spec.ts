import { deciderSpec } from '@strata/kernel';
import { driftDecider, type DriftEvent } from './drift';

const poolId = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';
const orphanA = { backendName: 'vol-aaaa', sizeBytes: 4096 };
const orphanB = { backendName: 'vol-bbbb', sizeBytes: 8192 };
const gone = { volumeId: 'v-1', backendName: 'vol-v-1' };
const spec = deciderSpec(driftDecider);

const detected = (orphans = [orphanA], missing = [gone]): DriftEvent => ({ type: 'PoolDriftDetected', data: { poolId, orphans, missing } });
const cleared: DriftEvent = { type: 'PoolDriftCleared', data: { poolId } };
const removalRequested = (backendName = orphanA.backendName): DriftEvent => ({ type: 'OrphanRemovalRequested', data: { poolId, backendName } });
const removed = (backendName = orphanA.backendName): DriftEvent => ({ type: 'OrphanRemoved', data: { poolId, backendName } });
const error = { code: 'backend.unavailable', category: 'backend.transient', message: 'gateway down' };

const reconcile = (orphans: (typeof orphanA)[], missing: (typeof gone)[], onDemand = false) =>
  ({ type: 'RecordReconciliation', poolId, orphans, missing, onDemand }) as const;
const removeOrphan = (over: Partial<{ backendName: string; orphanKnown: boolean; ownerVolumeId: string | null }> = {}) =>
  ({ type: 'RemoveOrphan', poolId, backendName: orphanA.backendName, orphanKnown: true, ownerVolumeId: null, ...over }) as const;

describe('drift decider', () => {
  describe('RecordReconciliation', () => {
    it('records drift found for the first time, both directions, in name order', () => {
      spec.given([]).when(reconcile([orphanB, orphanA], [gone])).then([detected([orphanA, orphanB], [gone])]);
    });
    it('records nothing when a periodic round finds the drift already recorded, whatever the order', () => {
      spec.given([detected([orphanA, orphanB])]).when(reconcile([orphanB, orphanA], [gone])).then([]);
    });
    it('records drift that differs from the last record', () => {
      spec.given([detected()]).when(reconcile([orphanA, orphanB], [gone])).then([detected([orphanA, orphanB], [gone])]);
      spec.given([detected()]).when(reconcile([orphanA], [])).then([detected([orphanA], [])]);
    });
    it('clears drift recorded before once the pool and the log agree', () => {
      spec.given([detected()]).when(reconcile([], [])).then([cleared]);
    });
    it('records nothing when a periodic round finds no drift and none was recorded', () => {
      spec.given([]).when(reconcile([], [])).then([]);
      spec.given([detected(), cleared]).when(reconcile([], [])).then([]);
    });
    it('always records an on-demand reconciliation, so the ReconcilePool job ends', () => {
      spec.given([detected()]).when(reconcile([orphanA], [gone], true)).then([detected()]);
      spec.given([]).when(reconcile([], [], true)).then([cleared]);
    });
    it('reports again after a removal emptied the report: the clearing is news', () => {
      spec.given([detected([orphanA], []), removalRequested(), removed()]).when(reconcile([], [])).then([cleared]);
    });
  });

  describe('RemoveOrphan', () => {
    it('records the intent for an orphan last reported and still orphaned', () => {
      spec.given([detected()]).when(removeOrphan()).then([removalRequested()]);
    });
    it('refuses a name a volume owns, naming the volume', () => {
      spec.given([detected()]).when(removeOrphan({ ownerVolumeId: 'v-9', orphanKnown: false })).thenThrows('drift.orphan_owned', /volume v-9/);
    });
    it('refuses a name no reconciliation reported', () => {
      spec.given([]).when(removeOrphan()).thenThrows('drift.orphan_unknown', /reconcile the pool first/);
      spec.given([detected()]).when(removeOrphan({ backendName: 'vol-other' })).thenThrows('drift.orphan_unknown', /vol-other/);
      spec.given([detected(), cleared]).when(removeOrphan()).thenThrows('drift.orphan_unknown');
    });
    it('refuses a reported orphan the backend no longer lists', () => {
      spec.given([detected()]).when(removeOrphan({ orphanKnown: false })).thenThrows('drift.orphan_gone', /vol-aaaa/);
    });
    it('refuses a second removal while one is under way, and one already done', () => {
      spec.given([detected(), removalRequested()]).when(removeOrphan()).thenThrows('drift.orphan_removal_in_progress');
      spec.given([detected(), removalRequested(), removed()]).when(removeOrphan()).thenThrows('drift.orphan_unknown');
    });
    it('allows another try after a failed removal', () => {
      const failed: DriftEvent = { type: 'OrphanRemovalFailed', data: { poolId, backendName: orphanA.backendName, error } };
      spec.given([detected(), removalRequested(), failed]).when(removeOrphan()).then([removalRequested()]);
    });
  });

  describe('removal outcomes', () => {
    it('records the removal or its failure of a pending intent', () => {
      spec
        .given([detected(), removalRequested()])
        .when({ type: 'RecordOrphanRemoved', poolId, backendName: orphanA.backendName })
        .then([removed()]);
      spec
        .given([detected(), removalRequested()])
        .when({ type: 'RecordOrphanRemovalFailed', poolId, backendName: orphanA.backendName, error })
        .then([{ type: 'OrphanRemovalFailed', data: { poolId, backendName: orphanA.backendName, error } }]);
    });
    it('refuses an outcome without an intent, so a repeated outcome is not recorded twice', () => {
      spec
        .given([detected()])
        .when({ type: 'RecordOrphanRemoved', poolId, backendName: orphanA.backendName })
        .thenThrows('drift.no_removal_pending');
      spec
        .given([detected(), removalRequested(), removed()])
        .when({ type: 'RecordOrphanRemovalFailed', poolId, backendName: orphanA.backendName, error })
        .thenThrows('drift.no_removal_pending');
    });
  });
});
