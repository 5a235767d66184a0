import type { TemplateRegistrationRequested } from '@strata/contracts';
import type { ErrorDetails, ImageStoreRow, TemplateBaseRow, TemplateCopyRow, TemplateRow, TemplateSourceRow } from '../../read-model/domain/rows';
import { imageEventKindOf, type ProjectedImageEventType } from './image-event';
import type { TypedEvent } from './storage-event';

export type ImageEvent = Extract<TypedEvent, { type: ProjectedImageEventType }>;
export type ImageStoreEvent = Extract<ImageEvent, { type: 'ImageStoreAdded' | 'ImageStoreRemoved' }>;
export type TemplateBaseEvent = Extract<
  ImageEvent,
  {
    type:
      | 'TemplateSpoolRequested'
      | 'TemplateSpoolJoined'
      | 'TemplateBaseVolumeCreated'
      | 'TemplateSpooled'
      | 'TemplateSpoolFailed'
      | 'TemplateBaseRetirementRequested'
      | 'TemplateBaseRetirementBlocked'
      | 'TemplateBaseRemoved';
  }
>;
export type TemplateEvent = Exclude<ImageEvent, ImageStoreEvent | TemplateBaseEvent>;

export const isImageStoreEvent = (e: TypedEvent): e is ImageStoreEvent => imageEventKindOf(e.type) === 'imageStore';
export const isTemplateEvent = (e: TypedEvent): e is TemplateEvent => imageEventKindOf(e.type) === 'template';
export const isTemplateBaseEvent = (e: TypedEvent): e is TemplateBaseEvent => imageEventKindOf(e.type) === 'templateBase';

export interface ImageEventMeta {
  readonly streamVersion: number;
  readonly occurredAt: Date;
  readonly tenant: string | null;
}

const errorDetails = (e: ErrorDetails): ErrorDetails => ({ code: e.code, category: e.category, message: e.message });

/** A redelivery or an older event (another message id for the same version) changes nothing. */
const stale = (current: { version: number } | null, meta: ImageEventMeta) => current !== null && meta.streamVersion <= current.version;

/** An image store's row after one of its events; undefined when it changes nothing. */
export function applyImageStoreEvent(current: ImageStoreRow | null, event: ImageStoreEvent, meta: ImageEventMeta): ImageStoreRow | undefined {
  if (stale(current, meta)) return undefined;
  if (event.type === 'ImageStoreAdded') {
    const d = event.data;
    return {
      id: d.imageStoreId,
      name: d.name,
      zoneId: d.zoneId,
      path: d.path,
      capacityBytes: d.capacityBytes,
      freeBytes: d.freeBytes,
      status: 'active',
      version: meta.streamVersion,
      createdAt: current?.createdAt ?? meta.occurredAt,
      updatedAt: meta.occurredAt,
    };
  }
  // A removal of a store never seen added has nothing to show.
  return current ? { ...current, status: 'removed', version: meta.streamVersion, updatedAt: meta.occurredAt } : undefined;
}

/** The copies with the one on `imageStoreId` replaced (or added). */
function withCopy(copies: readonly TemplateCopyRow[], copy: TemplateCopyRow): TemplateCopyRow[] {
  const others = copies.filter((c) => c.imageStoreId !== copy.imageStoreId);
  return [...others.map((c) => ({ ...c })), copy];
}

function copyOn(copies: readonly TemplateCopyRow[], imageStoreId: string): TemplateCopyRow | undefined {
  return copies.find((c) => c.imageStoreId === imageStoreId);
}

/** A template's row after one of its events; undefined when it changes nothing. */
export function applyTemplateEvent(current: TemplateRow | null, event: TemplateEvent, meta: ImageEventMeta): TemplateRow | undefined {
  if (stale(current, meta)) return undefined;
  if (event.type === 'TemplateRegistrationRequested') {
    const d = event.data;
    return {
      id: d.templateId,
      name: d.name,
      kind: d.kind,
      declaredFormat: d.format,
      detectedFormat: null,
      status: 'registering',
      copies: [{ imageStoreId: d.imageStoreId, zoneId: d.zoneId, status: 'transferring', file: null, error: null }],
      virtualSizeBytes: null,
      physicalSizeBytes: null,
      sha256: null,
      checksumDeclared: d.checksum ? { algorithm: d.checksum.algorithm, value: d.checksum.value } : null,
      transferPercent: null,
      osType: d.osType ?? null,
      description: d.description ?? null,
      public: d.public ?? false,
      error: null,
      source: sourceRow(d.source),
      // The RegisterTemplate's owner.
      tenant: meta.tenant,
      version: meta.streamVersion,
      createdAt: current?.createdAt ?? meta.occurredAt,
      updatedAt: meta.occurredAt,
    };
  }
  // Every other event changes a template registered before it; one never seen has no row to change.
  if (!current) return undefined;
  const next = { ...current, copies: current.copies.map((c) => ({ ...c })), version: meta.streamVersion, updatedAt: meta.occurredAt };
  switch (event.type) {
    case 'TemplateTransferProgressed':
      // Progress of a copy to another zone is not the registration's.
      return current.status === 'registering' ? { ...next, transferPercent: event.data.percent ?? current.transferPercent } : next;
    case 'TemplateRegistered': {
      const d = event.data;
      const copy: TemplateCopyRow = { imageStoreId: d.imageStoreId, zoneId: d.zoneId, status: 'ready', file: d.file, error: null };
      return {
        ...next,
        status: 'ready',
        detectedFormat: d.format,
        virtualSizeBytes: d.virtualSizeBytes,
        physicalSizeBytes: d.physicalSizeBytes,
        sha256: d.sha256,
        transferPercent: 100,
        error: null,
        copies: withCopy(current.copies, copy),
      };
    }
    case 'TemplateRegistrationFailed': {
      const d = event.data;
      const on = copyOn(current.copies, d.imageStoreId);
      const copy: TemplateCopyRow = { imageStoreId: d.imageStoreId, zoneId: on?.zoneId ?? '', status: 'failed', file: null, error: errorDetails(d.error) };
      return { ...next, status: 'failed', error: errorDetails(d.error), copies: withCopy(current.copies, copy) };
    }
    case 'TemplateUpdated': {
      const c = event.data.changes;
      return {
        ...next,
        ...(c.name !== undefined ? { name: c.name } : {}),
        ...(c.osType !== undefined ? { osType: c.osType } : {}),
        ...(c.description !== undefined ? { description: c.description } : {}),
        ...(c.public !== undefined ? { public: c.public } : {}),
      };
    }
    case 'TemplateCopyRequested': {
      const d = event.data;
      return { ...next, copies: withCopy(current.copies, { imageStoreId: d.toImageStoreId, zoneId: d.zoneId, status: 'transferring', file: null, error: null }) };
    }
    case 'TemplateCopied': {
      const d = event.data;
      return { ...next, copies: withCopy(current.copies, { imageStoreId: d.imageStoreId, zoneId: d.zoneId, status: 'ready', file: d.file, error: null }) };
    }
    case 'TemplateCopyFailed': {
      const d = event.data;
      const on = copyOn(current.copies, d.imageStoreId);
      return {
        ...next,
        copies: withCopy(current.copies, { imageStoreId: d.imageStoreId, zoneId: on?.zoneId ?? '', status: 'failed', file: null, error: errorDetails(d.error) }),
      };
    }
    case 'TemplateDeletionRequested':
      return { ...next, status: 'deleting' };
    case 'TemplateDeleted':
      return { ...next, status: 'deleted', copies: [] };
    case 'TemplateExportStepRequested':
      // A step of a template made from a volume: in its history; the row moves with the registration's events.
      return next;
  }
}

/** A volume source names the snapshot when there is one: kind snapshot, so a listing tells the two apart. */
function sourceRow(source: TemplateRegistrationRequested['source']): TemplateSourceRow {
  switch (source.kind) {
    case 'url':
      return { kind: 'url', url: source.url };
    case 'upload':
      return { kind: 'upload' };
    case 'volume':
      return source.snapshotId ? { kind: 'snapshot', volumeId: source.volumeId, snapshotId: source.snapshotId } : { kind: 'volume', volumeId: source.volumeId };
  }
}

type BaseState = Pick<TemplateBaseRow, 'volumeId' | 'snapshotId' | 'status' | 'attempt' | 'error'>;

/** The whole row from an event that names the base (template and pool): the spool's request, its success or its failure. */
const baseRow = (
  d: { baseId: string; templateId: string; poolId: string },
  state: BaseState,
  current: TemplateBaseRow | null,
  meta: ImageEventMeta,
): TemplateBaseRow => ({
  id: d.baseId,
  templateId: d.templateId,
  poolId: d.poolId,
  ...state,
  version: meta.streamVersion,
  createdAt: current?.createdAt ?? meta.occurredAt,
  updatedAt: meta.occurredAt,
});

/** A cached base's row after one of its events; undefined when it changes nothing. */
export function applyTemplateBaseEvent(current: TemplateBaseRow | null, event: TemplateBaseEvent, meta: ImageEventMeta): TemplateBaseRow | undefined {
  if (stale(current, meta)) return undefined;
  const at = meta.occurredAt;
  switch (event.type) {
    case 'TemplateSpoolRequested': {
      const d = event.data;
      return baseRow(d, { volumeId: d.volumeId, snapshotId: d.snapshotId, status: 'spooling', attempt: d.attempt, error: null }, current, meta);
    }
    case 'TemplateSpooled': {
      // Complete in itself: a base first seen here (its request not projected) is shown too.
      const d = event.data;
      return baseRow(d, { volumeId: d.volumeId, snapshotId: d.snapshotId, status: 'ready', attempt: current?.attempt ?? 1, error: null }, current, meta);
    }
    case 'TemplateSpoolFailed': {
      const d = event.data;
      const state: BaseState = { volumeId: current?.volumeId ?? null, snapshotId: current?.snapshotId ?? null, status: 'failed', attempt: current?.attempt ?? 1, error: errorDetails(d.error) };
      return baseRow(d, state, current, meta);
    }
    default:
      break;
  }
  if (!current) return undefined;
  const next = { ...current, version: meta.streamVersion, updatedAt: at };
  switch (event.type) {
    case 'TemplateSpoolJoined':
    case 'TemplateBaseVolumeCreated':
      return next;
    case 'TemplateBaseRetirementRequested':
      return { ...next, status: 'retiring' };
    case 'TemplateBaseRetirementBlocked':
      return { ...next, status: 'retiring', error: { code: 'template_base.retirement_blocked', category: 'conflict', message: event.data.reason } };
    case 'TemplateBaseRemoved':
      return { ...next, status: 'removed' };
  }
}
