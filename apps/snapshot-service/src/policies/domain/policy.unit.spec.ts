import { deciderSpec, fold } from '@strata/kernel';
import { runId } from '@strata/scheduling';
import { policyDecider, type PolicyEvent } from './policy';

const policyId = '2b7c9d1e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
const volumeId = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const spec = deciderSpec(policyDecider);
const daily = { kind: 'daily' as const, time: '02:30', timeZone: 'Europe/Berlin' };
const created: PolicyEvent = {
  type: 'SnapshotPolicyCreated',
  data: { policyId, volumeId, schedule: daily, retention: 3, createdAt: '2026-03-27T12:00:00.000Z' },
};
const create = {
  type: 'CreateSnapshotPolicy' as const,
  policyId,
  volumeId,
  schedule: daily,
  retention: 3,
  now: new Date('2026-03-27T12:00:00.000Z'),
  volumeStatus: 'ready',
};
const ran = (dueAt: string): PolicyEvent => ({
  type: 'SnapshotPolicyRunTaken',
  data: { policyId, volumeId, dueAt, snapshotId: runId(policyId, new Date(dueAt)) },
});

describe('snapshot policy decider', () => {
  it('records a policy with its schedule checked and its creation time', () => {
    spec.given([]).when(create).then([created]);
  });
  it('refuses a bad schedule and retention at once, naming each field', () => {
    let caught: { code?: string; details?: { violations?: { field: string }[] } } | undefined;
    try {
      policyDecider.decide({ ...create, schedule: { kind: 'daily', time: '25:00', timeZone: 'Mars/Olympus' }, retention: 0 }, { status: 'absent' });
    } catch (error) {
      caught = error as typeof caught;
    }
    expect(caught?.code).toBe('policy.invalid_schedule');
    expect(caught?.details?.violations?.map((v) => v.field)).toEqual(expect.arrayContaining(['data.schedule.time', 'data.schedule.timeZone', 'data.retention']));
  });
  it('refuses a volume it does not know, and a second policy of the same id', () => {
    spec.given([]).when({ ...create, volumeStatus: null }).thenThrows('policy.volume_not_found');
    spec.given([created]).when(create).thenThrows('policy.already_exists');
  });
  it('takes no run before the first due time', () => {
    spec.given([created]).when({ type: 'TakeDueRun', now: new Date('2026-03-28T00:00:00.000Z') }).then([]);
  });
  it('takes the due run with the snapshot id derived from policy and due time, once', () => {
    // 28 March 02:30 in Berlin is 01:30 UTC (winter time).
    spec.given([created]).when({ type: 'TakeDueRun', now: new Date('2026-03-28T01:31:00.000Z') }).then([ran('2026-03-28T01:30:00.000Z')]);
    spec.given([created, ran('2026-03-28T01:30:00.000Z')]).when({ type: 'TakeDueRun', now: new Date('2026-03-28T05:00:00.000Z') }).then([]);
  });
  it('after downtime takes the newest missed run once, not one per missed day', () => {
    // Down from the 28th to the 31st: three slots passed (the 29th's 02:30 does not exist: 03:00 CEST).
    spec
      .given([created, ran('2026-03-28T01:30:00.000Z')])
      .when({ type: 'TakeDueRun', now: new Date('2026-03-31T09:00:00.000Z') })
      .then([ran('2026-03-31T00:30:00.000Z')]);
  });
  it('takes nothing once deleted, and keeps where it was', () => {
    const deleted: PolicyEvent = { type: 'SnapshotPolicyDeleted', data: { policyId, volumeId } };
    spec.given([created, deleted]).when({ type: 'TakeDueRun', now: new Date('2026-04-30T09:00:00.000Z') }).then([]);
    spec.given([created, deleted]).when({ type: 'DeleteSnapshotPolicy', policyId }).thenThrows('policy.deleted');
    expect(fold(policyDecider, [created, ran('2026-03-28T01:30:00.000Z'), deleted])).toMatchObject({
      status: 'deleted',
      lastRunDueAt: '2026-03-28T01:30:00.000Z',
      lastSnapshotId: runId(policyId, new Date('2026-03-28T01:30:00.000Z')),
    });
  });
});
