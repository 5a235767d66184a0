import type {
  ImageStoreAdded,
  ImageStoreRemoved,
  TemplateBaseRemoved,
  TemplateBaseRetirementBlocked,
  TemplateBaseRetirementRequested,
  TemplateBaseVolumeCreated,
  TemplateCopied,
  TemplateCopyFailed,
  TemplateCopyRequested,
  TemplateDeleted,
  TemplateDeletionRequested,
  TemplateExportStepRequested,
  TemplateRegistered,
  TemplateRegistrationFailed,
  TemplateRegistrationRequested,
  TemplateSpooled,
  TemplateSpoolFailed,
  TemplateSpoolJoined,
  TemplateSpoolRequested,
  TemplateTransferProgressed,
  TemplateUpdated,
} from '@strata/contracts';
import { type Check, count, error, isCount, isObject, isPercent, isString, isUuid, text, uuid } from './event-field-checks';

/**
 * The image service's events this version projects (the contracts name their payloads but
 * keep no type map; this is it). Image stores are their own aggregates, templates theirs,
 * and a template's cached base on a pool its own (baseId).
 */
export interface ImageEventDataMap {
  ImageStoreAdded: ImageStoreAdded;
  ImageStoreRemoved: ImageStoreRemoved;
  TemplateRegistrationRequested: TemplateRegistrationRequested;
  TemplateTransferProgressed: TemplateTransferProgressed;
  TemplateRegistered: TemplateRegistered;
  TemplateRegistrationFailed: TemplateRegistrationFailed;
  TemplateUpdated: TemplateUpdated;
  TemplateCopyRequested: TemplateCopyRequested;
  TemplateCopied: TemplateCopied;
  TemplateCopyFailed: TemplateCopyFailed;
  TemplateDeletionRequested: TemplateDeletionRequested;
  TemplateDeleted: TemplateDeleted;
  TemplateExportStepRequested: TemplateExportStepRequested;
  TemplateSpoolRequested: TemplateSpoolRequested;
  TemplateSpoolJoined: TemplateSpoolJoined;
  TemplateBaseVolumeCreated: TemplateBaseVolumeCreated;
  TemplateSpooled: TemplateSpooled;
  TemplateSpoolFailed: TemplateSpoolFailed;
  TemplateBaseRetirementRequested: TemplateBaseRetirementRequested;
  TemplateBaseRetirementBlocked: TemplateBaseRetirementBlocked;
  TemplateBaseRemoved: TemplateBaseRemoved;
}
export type ProjectedImageEventType = keyof ImageEventDataMap;

const orNull = (check: (v: unknown) => boolean) => (v: unknown) => v === null || v === undefined || check(v);

const bytes = count;
const optionalText: Check = [orNull(isString), 'a string or null'];
const isChanges = (v: unknown) =>
  isObject(v) &&
  orNull(isString)(v.name) &&
  orNull(isString)(v.osType) &&
  orNull(isString)(v.description) &&
  orNull((p) => typeof p === 'boolean')(v.public);
const isSource = (v: unknown) =>
  isObject(v) && (v.kind === 'upload' || (v.kind === 'url' && isString(v.url)) || (v.kind === 'volume' && isUuid(v.volumeId) && orNull(isUuid)(v.snapshotId)));
const isChecksum = (v: unknown) => isObject(v) && isString(v.algorithm) && isString(v.value);

const base: Readonly<Record<string, Check>> = { baseId: uuid, templateId: uuid, poolId: uuid };

/** Per image event type: the fields the projection (and the deploy saga) read, and what each must be. */
export const imageEventFields: { readonly [K in ProjectedImageEventType]: Readonly<Record<string, Check>> } = {
  ImageStoreAdded: { imageStoreId: uuid, name: text, zoneId: text, path: text, capacityBytes: bytes, freeBytes: bytes },
  ImageStoreRemoved: { imageStoreId: uuid },
  TemplateRegistrationRequested: {
    templateId: uuid,
    name: text,
    kind: text,
    format: text,
    zoneId: text,
    imageStoreId: uuid,
    source: [isSource, 'a source {kind: url, url}, {kind: upload} or {kind: volume, volumeId, snapshotId}'],
    checksum: [orNull(isChecksum), 'a checksum {algorithm, value} or null'],
    osType: optionalText,
    description: optionalText,
    public: [(v) => v === undefined || typeof v === 'boolean', 'a boolean'],
  },
  TemplateTransferProgressed: {
    templateId: uuid,
    imageStoreId: uuid,
    bytesDone: bytes,
    bytesTotal: [orNull(isCount), 'a non-negative integer or null'],
    percent: [orNull(isPercent), 'a number 0-100 or null'],
  },
  TemplateRegistered: {
    templateId: uuid,
    imageStoreId: uuid,
    zoneId: text,
    file: text,
    format: text,
    virtualSizeBytes: bytes,
    physicalSizeBytes: bytes,
    sha256: text,
  },
  TemplateRegistrationFailed: { templateId: uuid, imageStoreId: uuid, error },
  TemplateUpdated: { templateId: uuid, changes: [isChanges, 'an object of template settings (name, osType, description strings, public a boolean)'] },
  TemplateCopyRequested: { templateId: uuid, fromImageStoreId: uuid, toImageStoreId: uuid, zoneId: text },
  TemplateCopied: { templateId: uuid, imageStoreId: uuid, zoneId: text, file: text },
  TemplateCopyFailed: { templateId: uuid, imageStoreId: uuid, error },
  TemplateDeletionRequested: { templateId: uuid },
  TemplateDeleted: { templateId: uuid },
  TemplateExportStepRequested: { templateId: uuid, step: [(v) => v === 'clone' || v === 'export' || v === 'cleanup', 'clone, export or cleanup'], commandId: uuid, aggregateId: uuid },
  TemplateSpoolRequested: { ...base, volumeId: uuid, snapshotId: uuid, sizeBytes: bytes, attempt: [(v) => Number.isSafeInteger(v) && (v as number) >= 1, 'a positive integer'] },
  TemplateSpoolJoined: base,
  TemplateBaseVolumeCreated: { baseId: uuid, volumeId: uuid },
  TemplateSpooled: { ...base, volumeId: uuid, snapshotId: uuid, sizeBytes: bytes },
  TemplateSpoolFailed: { ...base, error },
  TemplateBaseRetirementRequested: { baseId: uuid, volumeId: uuid },
  TemplateBaseRetirementBlocked: { baseId: uuid, reason: text },
  TemplateBaseRemoved: { baseId: uuid, volumeId: uuid },
};

const imageStoreTypes: ReadonlySet<string> = new Set(['ImageStoreAdded', 'ImageStoreRemoved']);
const baseTypes: ReadonlySet<string> = new Set([
  'TemplateSpoolRequested',
  'TemplateSpoolJoined',
  'TemplateBaseVolumeCreated',
  'TemplateSpooled',
  'TemplateSpoolFailed',
  'TemplateBaseRetirementRequested',
  'TemplateBaseRetirementBlocked',
  'TemplateBaseRemoved',
]);

export type ImageEventKind = 'imageStore' | 'template' | 'templateBase';

/** Which read model an image event type changes; undefined for any other type. */
export function imageEventKindOf(type: string): ImageEventKind | undefined {
  if (!Object.prototype.hasOwnProperty.call(imageEventFields, type)) return undefined;
  if (imageStoreTypes.has(type)) return 'imageStore';
  return baseTypes.has(type) ? 'templateBase' : 'template';
}
