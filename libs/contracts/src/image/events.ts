import { createHmac, timingSafeEqual } from 'node:crypto';
import { uuidFromName } from '@strata/kernel';
import type { ErrorInfo } from '../storage/events';
import type { ChecksumAlgorithm, ImageFormat, TemplateKind } from './commands';

/** Payloads of the events the image service publishes on the image events topic. */

export interface ImageStoreAdded {
  readonly imageStoreId: string;
  readonly name: string;
  readonly zoneId: string;
  readonly path: string;
  /** Of the file system holding the directory, when it was added. */
  readonly capacityBytes: number;
  readonly freeBytes: number;
}
export interface ImageStoreRemoved {
  readonly imageStoreId: string;
}

export interface Checksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly value: string;
}

/** Intent: fetch (or wait for the upload of) a new template's file into the zone's image store. */
export interface TemplateRegistrationRequested {
  readonly templateId: string;
  readonly name: string;
  readonly kind: TemplateKind;
  /** As declared; the file's real format must match it. */
  readonly format: ImageFormat;
  readonly zoneId: string;
  readonly imageStoreId: string;
  readonly source:
    | { readonly kind: 'url'; readonly url: string }
    | { readonly kind: 'upload' }
    /** Exported from a volume (snapshotId null) or from a snapshot of it, through the storage service (CreateTemplateFromVolume). */
    | { readonly kind: 'volume'; readonly volumeId: string; readonly snapshotId: string | null };
  /** The checksum to verify, as declared (lower-case hex); null when none was given. */
  readonly checksum: Checksum | null;
  readonly osType: string | null;
  readonly description: string | null;
  readonly public: boolean;
}
/** Bytes received so far (download or upload); published at most every tenth and at the end. */
export interface TemplateTransferProgressed {
  readonly templateId: string;
  readonly imageStoreId: string;
  readonly bytesDone: number;
  /** Null when the server did not say the length. */
  readonly bytesTotal: number | null;
  /** 0-100, null with no known total. */
  readonly percent: number | null;
}
/** The file verified and in place: its real format, virtual size and checksum. */
export interface TemplateRegistered {
  readonly templateId: string;
  readonly imageStoreId: string;
  readonly zoneId: string;
  /** Relative to the image store's path. */
  readonly file: string;
  readonly format: ImageFormat;
  /** The guest-visible size (qemu-img's virtual-size; an ISO's file size). */
  readonly virtualSizeBytes: number;
  /** Bytes the file takes. */
  readonly physicalSizeBytes: number;
  /** Always sha256 of the stored file, whatever was declared. */
  readonly sha256: string;
}
/** Codes: image.checksum_mismatch, image.format_mismatch, image.download_failed, image.unreadable, image.store_unavailable. */
export interface TemplateRegistrationFailed {
  readonly templateId: string;
  readonly imageStoreId: string;
  readonly error: ErrorInfo;
}
/**
 * A step of a template made from a volume: the storage or snapshot command sent for it (through
 * the outbox, in the same transaction). step 'clone': a temporary volume from the snapshot;
 * 'export': ExportVolume into the image store; 'cleanup': the temporary volume's deletion.
 */
export interface TemplateExportStepRequested {
  readonly templateId: string;
  readonly step: 'clone' | 'export' | 'cleanup';
  /** The command's id and its aggregate (the temporary volume, or the export). */
  readonly commandId: string;
  readonly aggregateId: string;
}
export interface TemplateUpdated {
  readonly templateId: string;
  /** Only what changed, with the new values. */
  readonly changes: { readonly name?: string; readonly osType?: string; readonly description?: string; readonly public?: boolean };
}
export interface TemplateCopyRequested {
  readonly templateId: string;
  readonly fromImageStoreId: string;
  readonly toImageStoreId: string;
  readonly zoneId: string;
}
export interface TemplateCopied {
  readonly templateId: string;
  readonly imageStoreId: string;
  readonly zoneId: string;
  readonly file: string;
}
export interface TemplateCopyFailed {
  readonly templateId: string;
  readonly imageStoreId: string;
  readonly error: ErrorInfo;
}
export interface TemplateDeletionRequested {
  readonly templateId: string;
}
/** Every copy's file is gone; cached bases are retired on their own (TemplateBaseRetirementRequested). */
export interface TemplateDeleted {
  readonly templateId: string;
}

/** A template's cached base on one pool: a RAW volume made from it, and a snapshot of that volume that ROOT volumes are cloned from. */
export interface TemplateSpoolRequested {
  readonly baseId: string;
  readonly templateId: string;
  readonly poolId: string;
  /** The storage volume the template is converted into (made with CreateVolume fromImage). */
  readonly volumeId: string;
  /** The snapshot of that volume, once converted; ROOT volumes are clones of it. */
  readonly snapshotId: string;
  readonly sizeBytes: number;
  /** 1 for the first spool of this template on this pool; a spool after a failure counts up. */
  readonly attempt: number;
}
/** A SpoolTemplate that found a spool under way on the same template and pool: no second copy is made. */
export interface TemplateSpoolJoined {
  readonly baseId: string;
  readonly templateId: string;
  readonly poolId: string;
}
export interface TemplateBaseVolumeCreated {
  readonly baseId: string;
  readonly volumeId: string;
}
/** The base is ready on the pool (also answered to a SpoolTemplate that finds it ready). */
export interface TemplateSpooled {
  readonly baseId: string;
  readonly templateId: string;
  readonly poolId: string;
  readonly volumeId: string;
  readonly snapshotId: string;
  readonly sizeBytes: number;
}
/** The spool failed; what it made is being removed (compensation) and a later request starts again. */
export interface TemplateSpoolFailed {
  readonly baseId: string;
  readonly templateId: string;
  readonly poolId: string;
  readonly error: ErrorInfo;
}
/** The template is gone: delete the base's volume (with its snapshot) once no volume is cloned from it. */
export interface TemplateBaseRetirementRequested {
  readonly baseId: string;
  readonly volumeId: string;
}
/** Volumes still depend on the base; retirement is tried again later. */
export interface TemplateBaseRetirementBlocked {
  readonly baseId: string;
  readonly reason: string;
}
export interface TemplateBaseRemoved {
  readonly baseId: string;
  readonly volumeId: string;
}

/** The id of a template's cached base on a pool: the same for every request, so concurrent spools meet on one stream. */
export function templateBaseId(templateId: string, poolId: string): string {
  return uuidFromName(`template-base:${templateId}:${poolId}`);
}

/**
 * The token that lets its holder upload one template's bytes to the image service
 * (PUT /uploads/:templateId?token=...). Both the orchestrator, which hands it out, and the image
 * service compute it from STRATA_SECRET_KEY, so nothing is stored.
 */
export function uploadToken(secretKeyBase64: string, templateId: string): string {
  return createHmac('sha256', Buffer.from(secretKeyBase64, 'base64')).update(`template-upload:${templateId}`).digest('base64url');
}

export function isUploadToken(secretKeyBase64: string, templateId: string, token: string): boolean {
  const expected = Buffer.from(uploadToken(secretKeyBase64, templateId));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
