import { assertUnreachable, type Decider } from '@strata/kernel';
import type { SnapshotPolicyCreated, SnapshotPolicyDeleted, SnapshotPolicyRunTaken } from '@strata/contracts';
import { checkRetention, checkSchedule, dueRun, runId, type Schedule as PolicySchedule } from '@strata/scheduling';
import { PolicyErrors } from './policy.errors';

export type PolicyEvent =
  | { type: 'SnapshotPolicyCreated'; data: SnapshotPolicyCreated }
  | { type: 'SnapshotPolicyDeleted'; data: SnapshotPolicyDeleted }
  | { type: 'SnapshotPolicyRunTaken'; data: SnapshotPolicyRunTaken };

export type PolicyState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'active' | 'deleted';
      readonly policyId: string;
      readonly volumeId: string;
      readonly schedule: PolicySchedule;
      readonly retention: number;
      readonly createdAt: string;
      /** The due time of the newest run taken, null before the first. */
      readonly lastRunDueAt: string | null;
      readonly lastSnapshotId: string | null;
    };

export type PolicyCommand =
  | {
      readonly type: 'CreateSnapshotPolicy';
      readonly policyId: string;
      readonly volumeId: string;
      /** Untrusted: the decider checks it. */
      readonly schedule: unknown;
      readonly retention: unknown;
      /** The handler's clock: runs are due only after it. */
      readonly now: Date;
      /** The volume as the service's view knows it; null when unknown or deleted. */
      readonly volumeStatus: string | null;
    }
  | { readonly type: 'DeleteSnapshotPolicy'; readonly policyId: string }
  /** The scheduler's tick: records the run due now, if one is. */
  | { readonly type: 'TakeDueRun'; readonly now: Date };

/**
 * A snapshot policy: a schedule in a time zone and a retention count for one volume. Each
 * run it takes is recorded with the id of the snapshot it asks for, derived from the
 * policy and the due time, so that whoever takes it (another instance, a restart) asks for
 * the same snapshot, and a run already taken is never taken again. After downtime the
 * newest missed slot is taken once, not each missed one.
 */
export const policyDecider: Decider<PolicyState, PolicyCommand, PolicyEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateSnapshotPolicy': {
        if (state.status !== 'absent') throw PolicyErrors.alreadyExists(command.policyId);
        const checked = checkSchedule(command.schedule, 'data.schedule');
        const retentionViolations = checkRetention(command.retention, 'data.retention');
        const violations = [...(checked.ok ? [] : checked.violations), ...retentionViolations];
        if (violations.length > 0) throw PolicyErrors.invalidSchedule(violations);
        if (command.volumeStatus === null || command.volumeStatus === 'deleted' || command.volumeStatus === 'deleting') {
          throw PolicyErrors.volumeUnknown(command.volumeId);
        }
        return [
          {
            type: 'SnapshotPolicyCreated',
            data: {
              policyId: command.policyId,
              volumeId: command.volumeId,
              schedule: (checked as { schedule: PolicySchedule }).schedule,
              retention: command.retention as number,
              createdAt: command.now.toISOString(),
            },
          },
        ];
      }
      case 'DeleteSnapshotPolicy': {
        if (state.status === 'absent') throw PolicyErrors.notFound(command.policyId);
        if (state.status === 'deleted') throw PolicyErrors.deleted(state.policyId);
        return [{ type: 'SnapshotPolicyDeleted', data: { policyId: state.policyId, volumeId: state.volumeId } }];
      }
      case 'TakeDueRun': {
        if (state.status !== 'active') return [];
        const last = state.lastRunDueAt === null ? null : new Date(state.lastRunDueAt);
        const due = dueRun(state.schedule, last, new Date(state.createdAt), command.now);
        if (!due) return [];
        return [
          {
            type: 'SnapshotPolicyRunTaken',
            data: { policyId: state.policyId, volumeId: state.volumeId, dueAt: due.toISOString(), snapshotId: runId(state.policyId, due) },
          },
        ];
      }
      default:
        return assertUnreachable(command);
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'SnapshotPolicyCreated': {
        const d = event.data;
        return {
          status: 'active',
          policyId: d.policyId,
          volumeId: d.volumeId,
          schedule: d.schedule as PolicySchedule,
          retention: d.retention,
          createdAt: d.createdAt,
          lastRunDueAt: null,
          lastSnapshotId: null,
        };
      }
      case 'SnapshotPolicyDeleted':
        return state.status === 'absent' ? state : { ...state, status: 'deleted' };
      case 'SnapshotPolicyRunTaken':
        return state.status === 'absent' ? state : { ...state, lastRunDueAt: event.data.dueAt, lastSnapshotId: event.data.snapshotId };
      default:
        return assertUnreachable(event);
    }
  },
};

export const POLICY_STREAM_PREFIX = 'policy-';
export const policyStreamId = (policyId: string) => `${POLICY_STREAM_PREFIX}${policyId}`;
