import type { SnapshotPolicyCreated } from '@strata/contracts';
import { assertUnreachable } from '@strata/kernel';
import type { SnapshotPolicyRow, SnapshotPolicyScheduleRow } from '../../read-model/domain/rows';
import type { ProjectedSnapshotPolicyEventType, TypedEvent } from './storage-event';

const policyEventTypes: { readonly [K in ProjectedSnapshotPolicyEventType]: true } = {
  SnapshotPolicyCreated: true,
  SnapshotPolicyDeleted: true,
  SnapshotPolicyRunTaken: true,
};

export type SnapshotPolicyEvent = Extract<TypedEvent, { type: ProjectedSnapshotPolicyEventType }>;

export function isSnapshotPolicyEvent(event: TypedEvent): event is SnapshotPolicyEvent {
  return Object.prototype.hasOwnProperty.call(policyEventTypes, event.type);
}

export interface SnapshotPolicyEventMeta {
  readonly streamVersion: number;
  readonly occurredAt: Date;
  readonly tenant: string | null;
}

/** The schedule as recorded, only its known fields (the event is the snapshot service's checked copy). */
function scheduleOf(s: SnapshotPolicyCreated['schedule']): SnapshotPolicyScheduleRow {
  const fields = ['minute', 'time', 'dayOfWeek', 'dayOfMonth'] as const;
  const extra = Object.fromEntries(fields.filter((f) => s[f] !== undefined).map((f) => [f, s[f]]));
  return { kind: s.kind, ...extra, timeZone: s.timeZone } as SnapshotPolicyScheduleRow;
}

function created(d: SnapshotPolicyCreated, meta: SnapshotPolicyEventMeta): SnapshotPolicyRow {
  return {
    id: d.policyId,
    volumeId: d.volumeId,
    // The CreateSnapshotPolicy's owner: its volume's tenant.
    tenant: meta.tenant,
    schedule: scheduleOf(d.schedule),
    retention: d.retention,
    status: 'active',
    lastRunDueAt: null,
    lastSnapshotId: null,
    version: meta.streamVersion,
    createdAt: new Date(d.createdAt),
    updatedAt: meta.occurredAt,
  };
}

function moved(current: SnapshotPolicyRow, meta: SnapshotPolicyEventMeta, change: Partial<SnapshotPolicyRow>): SnapshotPolicyRow {
  return {
    ...current,
    ...change,
    version: meta.streamVersion,
    updatedAt: meta.occurredAt > current.updatedAt ? meta.occurredAt : current.updatedAt,
  };
}

/**
 * The policy after one of its events; undefined when this (or a later) version is already
 * projected, or for an event of a policy never seen created (its schedule and retention come
 * with SnapshotPolicyCreated, the first event of its stream). The tenant stays the one of
 * the creation: the scheduler's runs, and a policy ended because its volume went, are the
 * snapshot service's own work and carry no tenant.
 */
export function applySnapshotPolicyEvent(
  current: SnapshotPolicyRow | null,
  event: SnapshotPolicyEvent,
  meta: SnapshotPolicyEventMeta,
): SnapshotPolicyRow | undefined {
  if (current && current.version >= meta.streamVersion) return undefined;
  if (event.type === 'SnapshotPolicyCreated') return created(event.data, meta);
  if (!current) return undefined;
  switch (event.type) {
    case 'SnapshotPolicyDeleted':
      return moved(current, meta, { status: 'deleted' });
    case 'SnapshotPolicyRunTaken':
      return moved(current, meta, { lastRunDueAt: new Date(event.data.dueAt), lastSnapshotId: event.data.snapshotId });
    default:
      return assertUnreachable(event);
  }
}
