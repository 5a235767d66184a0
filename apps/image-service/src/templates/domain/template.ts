import type { Decider } from '@strata/kernel';
import type {
  Checksum,
  ErrorInfo,
  ImageFormat,
  TemplateCopied,
  TemplateCopyFailed,
  TemplateCopyRequested,
  TemplateDeleted,
  TemplateDeletionRequested,
  TemplateExportStepRequested,
  TemplateKind,
  TemplateRegistered,
  TemplateRegistrationFailed,
  TemplateRegistrationRequested,
  TemplateTransferProgressed,
  TemplateUpdated,
} from '@strata/contracts';
import { ImageStoreErrors } from '../../image-stores/domain/image-store.errors';
import { TemplateErrors } from './template.errors';

export const TEMPLATE_STREAM_PREFIX = 'template-';
export const templateStreamId = (templateId: string): string => `${TEMPLATE_STREAM_PREFIX}${templateId}`;

/** Where a template's file lives on any image store, relative to the store's path: the same on every store. */
export const templateFile = (templateId: string, format: ImageFormat): string => `templates/${templateId}.${format}`;

export type TemplateEvent =
  | { type: 'TemplateRegistrationRequested'; data: TemplateRegistrationRequested }
  | { type: 'TemplateTransferProgressed'; data: TemplateTransferProgressed }
  | { type: 'TemplateRegistered'; data: TemplateRegistered }
  | { type: 'TemplateRegistrationFailed'; data: TemplateRegistrationFailed }
  | { type: 'TemplateUpdated'; data: TemplateUpdated }
  | { type: 'TemplateCopyRequested'; data: TemplateCopyRequested }
  | { type: 'TemplateCopied'; data: TemplateCopied }
  | { type: 'TemplateCopyFailed'; data: TemplateCopyFailed }
  | { type: 'TemplateDeletionRequested'; data: TemplateDeletionRequested }
  | { type: 'TemplateDeleted'; data: TemplateDeleted }
  | { type: 'TemplateExportStepRequested'; data: TemplateExportStepRequested };

/**
 * Events after which background work is pending (download, copy, deletion). TemplateUpdated
 * and TemplateTransferProgressed are listed because either may be the newest event while a
 * download is still under way; recovery reads the state and finds nothing to do otherwise.
 */
export const TRANSITIONAL_TEMPLATE_EVENTS = [
  'TemplateRegistrationRequested',
  'TemplateTransferProgressed',
  'TemplateUpdated',
  'TemplateCopyRequested',
  'TemplateDeletionRequested',
  // A template made from a volume: the newest event while the storage service works, and after the export (verification pending).
  'TemplateExportStepRequested',
] as const;

/**
 * registering (download or upload under way) ends in ready or failed; deleting in deleted.
 * A copy to another zone happens while ready (`copying`), so the template stays usable.
 */
export type TemplateStatus = 'registering' | 'ready' | 'failed' | 'deleting' | 'deleted';

/** A verified file on an image store. */
export interface TemplateCopy {
  readonly imageStoreId: string;
  readonly zoneId: string;
  readonly file: string;
}

export interface TemplateFacts {
  readonly templateId: string;
  readonly name: string;
  readonly kind: TemplateKind;
  readonly format: ImageFormat;
  /** The zone and store it was registered in. */
  readonly zoneId: string;
  readonly imageStoreId: string;
  readonly source: TemplateRegistrationRequested['source'];
  readonly checksum: Checksum | null;
  readonly osType: string | null;
  readonly description: string | null;
  readonly public: boolean;
  readonly virtualSizeBytes: number | null;
  readonly physicalSizeBytes: number | null;
  readonly sha256: string | null;
  readonly copies: readonly TemplateCopy[];
  /** A copy to another zone under way. */
  readonly copying: TemplateCopyRequested | null;
  readonly bytesDone: number;
  readonly lastError: ErrorInfo | null;
  /** A template made from a volume or a snapshot (template-exports/): where its process is; null for any other source. */
  readonly export: TemplateExport | null;
}

/**
 * The storage side of a template made from a volume: the temporary clone (from a snapshot
 * only), the export into the store, its cleanup. `stage` follows the steps: 'pending' before
 * the first step is recorded, 'cloning', 'exporting', 'verifying' once the file is written
 * (TemplateTransferProgressed at 100 %).
 */
export interface TemplateExport {
  readonly volumeId: string;
  readonly snapshotId: string | null;
  readonly stage: 'pending' | 'cloning' | 'exporting' | 'verifying';
  /** The step commands sent, by step: their ids, so a CommandRejected is matched to its step. */
  readonly steps: Readonly<Partial<Record<TemplateExportStepRequested['step'], { readonly commandId: string; readonly aggregateId: string }>>>;
}

export type TemplateState = { readonly status: 'absent' } | ({ readonly status: TemplateStatus } & TemplateFacts);
export type PresentTemplate = Exclude<TemplateState, { status: 'absent' }>;

export interface VerifiedFile {
  readonly format: ImageFormat;
  readonly virtualSizeBytes: number;
  readonly physicalSizeBytes: number;
  readonly sha256: string;
}

export type TemplateChanges = TemplateUpdated['changes'];

export type TemplateCommand =
  | {
      readonly type: 'RegisterTemplate';
      readonly templateId: string;
      readonly name: string;
      readonly kind: TemplateKind;
      readonly format: ImageFormat;
      readonly zoneId: string;
      readonly url?: string;
      readonly upload?: boolean;
      readonly checksum?: Checksum;
      readonly osType?: string;
      readonly description?: string;
      readonly public?: boolean;
      /** The image store that serves the zone, found by the handler; null when the zone has none. */
      readonly imageStoreId: string | null;
    }
  | { readonly type: 'RecordTransferProgress'; readonly bytesDone: number; readonly bytesTotal: number | null }
  | ({ readonly type: 'RecordRegistered' } & VerifiedFile)
  | { readonly type: 'RecordRegistrationFailed'; readonly error: ErrorInfo }
  | { readonly type: 'UpdateTemplate'; readonly templateId: string; readonly changes: TemplateChanges }
  | {
      readonly type: 'CopyTemplate';
      readonly templateId: string;
      readonly zoneId: string;
      /** The image store that serves the destination zone; null when the zone has none. */
      readonly imageStoreId: string | null;
    }
  | { readonly type: 'RecordCopied' }
  | { readonly type: 'RecordCopyFailed'; readonly error: ErrorInfo }
  | { readonly type: 'DeleteTemplate'; readonly templateId: string }
  | { readonly type: 'RecordDeleted' };

function requireTemplate(state: TemplateState, templateId: string): PresentTemplate {
  if (state.status === 'absent') throw TemplateErrors.notFound(templateId);
  return state;
}

function requireStatus(state: TemplateState, allowed: readonly TemplateStatus[], action: string, templateId = 'unknown'): PresentTemplate {
  const t = requireTemplate(state, templateId);
  if (!allowed.includes(t.status)) throw TemplateErrors.illegalState(t.templateId, t.status, action);
  return t;
}

/** Percent of a transfer, whole numbers, null without a known total. */
export function percentOf(bytesDone: number, bytesTotal: number | null): number | null {
  if (bytesTotal === null || bytesTotal <= 0) return null;
  return Math.min(100, Math.floor((bytesDone * 100) / bytesTotal));
}

const EDITABLE = ['name', 'osType', 'description', 'public'] as const;

export const templateDecider: Decider<TemplateState, TemplateCommand, TemplateEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterTemplate': {
        if (state.status !== 'absent') throw TemplateErrors.alreadyExists(command.templateId);
        if (command.imageStoreId === null) throw ImageStoreErrors.noneInZone(command.zoneId);
        const source: TemplateRegistrationRequested['source'] = command.upload ? { kind: 'upload' } : { kind: 'url', url: command.url ?? '' };
        return [
          {
            type: 'TemplateRegistrationRequested',
            data: {
              templateId: command.templateId,
              name: command.name,
              kind: command.kind,
              format: command.format,
              zoneId: command.zoneId,
              imageStoreId: command.imageStoreId,
              source,
              checksum: command.checksum ? { algorithm: command.checksum.algorithm, value: command.checksum.value.toLowerCase() } : null,
              osType: command.osType ?? null,
              description: command.description ?? null,
              public: command.public ?? false,
            },
          },
        ];
      }
      case 'RecordTransferProgress': {
        const t = requireStatus(state, ['registering'], 'record transfer progress');
        const { bytesDone, bytesTotal } = command;
        return [
          { type: 'TemplateTransferProgressed', data: { templateId: t.templateId, imageStoreId: t.imageStoreId, bytesDone, bytesTotal, percent: percentOf(bytesDone, bytesTotal) } },
        ];
      }
      case 'RecordRegistered': {
        const t = requireStatus(state, ['registering'], 'record its registration');
        return [
          {
            type: 'TemplateRegistered',
            data: {
              templateId: t.templateId,
              imageStoreId: t.imageStoreId,
              zoneId: t.zoneId,
              file: templateFile(t.templateId, t.format),
              format: command.format,
              virtualSizeBytes: command.virtualSizeBytes,
              physicalSizeBytes: command.physicalSizeBytes,
              sha256: command.sha256,
            },
          },
        ];
      }
      case 'RecordRegistrationFailed': {
        const t = requireStatus(state, ['registering'], 'record a failed registration');
        return [{ type: 'TemplateRegistrationFailed', data: { templateId: t.templateId, imageStoreId: t.imageStoreId, error: command.error } }];
      }
      case 'UpdateTemplate': {
        const t = requireStatus(state, ['registering', 'ready', 'failed'], 'update it', command.templateId);
        const changes: Record<string, string | boolean> = {};
        for (const key of EDITABLE) {
          const value = command.changes[key];
          if (value !== undefined && value !== t[key]) changes[key] = value;
        }
        if (Object.keys(changes).length === 0) throw TemplateErrors.unchanged(t.templateId);
        return [{ type: 'TemplateUpdated', data: { templateId: t.templateId, changes } }];
      }
      case 'CopyTemplate': {
        const t = requireTemplate(state, command.templateId);
        if (t.status !== 'ready') throw TemplateErrors.notReady(t.templateId, t.status);
        if (t.copies.some((c) => c.zoneId === command.zoneId) || t.copying?.zoneId === command.zoneId) {
          throw TemplateErrors.alreadyInZone(t.templateId, command.zoneId);
        }
        if (command.imageStoreId === null) throw ImageStoreErrors.noneInZone(command.zoneId);
        if (t.copying) throw TemplateErrors.operationInProgress(t.templateId, `copy to zone ${t.copying.zoneId}`);
        const from = t.copies.find((c) => c.imageStoreId === t.imageStoreId) ?? t.copies[0];
        return [
          {
            type: 'TemplateCopyRequested',
            data: { templateId: t.templateId, fromImageStoreId: from.imageStoreId, toImageStoreId: command.imageStoreId, zoneId: command.zoneId },
          },
        ];
      }
      case 'RecordCopied': {
        const t = requireStatus(state, ['ready'], 'record a copy');
        if (!t.copying) throw TemplateErrors.illegalState(t.templateId, t.status, 'record a copy (none under way)');
        const { toImageStoreId, zoneId } = t.copying;
        return [{ type: 'TemplateCopied', data: { templateId: t.templateId, imageStoreId: toImageStoreId, zoneId, file: templateFile(t.templateId, t.format) } }];
      }
      case 'RecordCopyFailed': {
        const t = requireStatus(state, ['ready'], 'record a failed copy');
        if (!t.copying) throw TemplateErrors.illegalState(t.templateId, t.status, 'record a failed copy (none under way)');
        return [{ type: 'TemplateCopyFailed', data: { templateId: t.templateId, imageStoreId: t.copying.toImageStoreId, error: command.error } }];
      }
      case 'DeleteTemplate': {
        // A second request while one runs is answered, not swallowed: its job must end too.
        if (state.status === 'deleting') throw TemplateErrors.deletionInProgress(state.templateId);
        // A download or copy under way is stopped by the deletion; its outcome is then refused.
        const t = requireStatus(state, ['registering', 'ready', 'failed'], 'delete it', command.templateId);
        return [{ type: 'TemplateDeletionRequested', data: { templateId: t.templateId } }];
      }
      case 'RecordDeleted': {
        const t = requireStatus(state, ['deleting'], 'record its deletion');
        return [{ type: 'TemplateDeleted', data: { templateId: t.templateId } }];
      }
    }
  },

  evolve(state, event) {
    if (event.type === 'TemplateRegistrationRequested') {
      const d = event.data;
      return {
        status: 'registering',
        templateId: d.templateId,
        name: d.name,
        kind: d.kind,
        format: d.format,
        zoneId: d.zoneId,
        imageStoreId: d.imageStoreId,
        source: d.source,
        checksum: d.checksum,
        osType: d.osType,
        description: d.description,
        public: d.public,
        virtualSizeBytes: null,
        physicalSizeBytes: null,
        sha256: null,
        copies: [],
        copying: null,
        bytesDone: 0,
        lastError: null,
        export: d.source.kind === 'volume' ? { volumeId: d.source.volumeId, snapshotId: d.source.snapshotId, stage: 'pending', steps: {} } : null,
      };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'TemplateTransferProgressed':
        // For an export, the one progress event is recorded when the storage service has written the whole file.
        return { ...state, bytesDone: event.data.bytesDone, export: state.export ? { ...state.export, stage: 'verifying' } : null };
      case 'TemplateExportStepRequested': {
        if (!state.export) return state;
        const { step, commandId, aggregateId } = event.data;
        const stage = step === 'clone' ? 'cloning' : step === 'export' ? 'exporting' : state.export.stage;
        return { ...state, export: { ...state.export, stage, steps: { ...state.export.steps, [step]: { commandId, aggregateId } } } };
      }
      case 'TemplateRegistered': {
        const d = event.data;
        return {
          ...state,
          status: 'ready',
          format: d.format,
          virtualSizeBytes: d.virtualSizeBytes,
          physicalSizeBytes: d.physicalSizeBytes,
          sha256: d.sha256,
          bytesDone: d.physicalSizeBytes,
          copies: [{ imageStoreId: d.imageStoreId, zoneId: d.zoneId, file: d.file }],
        };
      }
      case 'TemplateRegistrationFailed':
        return { ...state, status: 'failed', lastError: event.data.error };
      case 'TemplateUpdated':
        return { ...state, ...event.data.changes };
      case 'TemplateCopyRequested':
        return { ...state, copying: event.data };
      case 'TemplateCopied': {
        const { imageStoreId, zoneId, file } = event.data;
        return { ...state, copying: null, copies: [...state.copies, { imageStoreId, zoneId, file }] };
      }
      case 'TemplateCopyFailed':
        return { ...state, copying: null, lastError: event.data.error };
      case 'TemplateDeletionRequested':
        return { ...state, status: 'deleting' };
      case 'TemplateDeleted':
        return { ...state, status: 'deleted', copies: [], copying: null };
    }
  },
};

/** The image stores the template keeps files on (or is writing one to): what stops a store's removal. */
export function storesHolding(t: PresentTemplate): string[] {
  if (t.status === 'deleted') return [];
  const ids = new Set<string>(t.copies.map((c) => c.imageStoreId));
  // A failed registration's file was removed; one under way (or a deletion not yet done) still has one.
  if (t.status === 'registering' || t.status === 'deleting') ids.add(t.imageStoreId);
  if (t.copying) ids.add(t.copying.toImageStoreId);
  return [...ids];
}

/** Every store a template ever had a file (or half a file) on: what its deletion cleans. */
export function storesTouched(t: PresentTemplate): string[] {
  const ids = new Set<string>([t.imageStoreId, ...t.copies.map((c) => c.imageStoreId)]);
  if (t.copying) ids.add(t.copying.toImageStoreId);
  return [...ids];
}

/** What background work the template's state calls for, if any. */
export type PendingWork = 'download' | 'await-upload' | 'await-export' | 'verify-export' | 'copy' | 'delete' | null;
export function pendingWork(state: TemplateState): PendingWork {
  if (state.status === 'registering') {
    switch (state.source.kind) {
      case 'url':
        return 'download';
      case 'upload':
        return 'await-upload';
      case 'volume':
        // Nothing to download: the storage service writes the file; it is verified once written.
        return state.export?.stage === 'verifying' ? 'verify-export' : 'await-export';
    }
  }
  if (state.status === 'deleting') return 'delete';
  if (state.status === 'ready' && state.copying) return 'copy';
  return null;
}
