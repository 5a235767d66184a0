import { uuidFromName, type Decider } from '@strata/kernel';
import type { ErrorInfo, TemplateExportStepRequested } from '@strata/contracts';
import { ImageStoreErrors } from '../../image-stores/domain/image-store.errors';
import { TemplateErrors } from '../../templates/domain/template.errors';
import { templateDecider, type PresentTemplate, type TemplateEvent, type TemplateState } from '../../templates/domain/template';
import { TemplateExportErrors } from './template-export.errors';

/**
 * A template made from a volume or a snapshot, as steps on the template's own stream: the
 * template aggregate keeps the process's state (TemplateFacts.export) and this decider
 * decides its steps. From a snapshot: a temporary volume cloned from it (clone), its export
 * into the image store (export), its deletion (cleanup, also on failure). From the volume
 * itself: the export alone. Every step's command is derived from the event that requests it
 * (commandsFor) and goes out through the outbox in the same transaction.
 */

export type ExportStep = TemplateExportStepRequested['step'];

/** Deterministic ids: a decision replayed after a crash sends the same commands, which the receivers' inboxes drop. */
export const exportIds = {
  temporaryVolume: (templateId: string) => uuidFromName(`template-export:${templateId}:volume`),
  export: (templateId: string) => uuidFromName(`template-export:${templateId}:export`),
  command: (templateId: string, step: ExportStep) => uuidFromName(`template-export:${templateId}:${step}`),
};

/** The temporary volume's name: readable in the volume list while it exists. */
export const temporaryVolumeName = (templateId: string) => `template-${templateId.slice(0, 8)}-export`;

export type TemplateExportCommand =
  | {
      readonly type: 'CreateTemplateFromVolume';
      readonly templateId: string;
      readonly name: string;
      readonly zoneId: string;
      readonly volumeId: string;
      readonly snapshotId: string | null;
      readonly osType?: string;
      readonly description?: string;
      readonly public?: boolean;
      /** The image store that serves the zone, found by the handler; null when the zone has none. */
      readonly imageStoreId: string | null;
      /** From a snapshot: the temporary volume's size (the snapshot's, else its volume's), from the image service's view; null when unknown. */
      readonly sourceSizeBytes: number | null;
    }
  /** Outcomes, as the storage service reports them; one that answers no step under way (a repeat, a stale one) decides nothing. */
  | { readonly type: 'RecordVolumeCreated'; readonly volumeId: string }
  | { readonly type: 'RecordVolumeCreationFailed'; readonly volumeId: string; readonly error: ErrorInfo }
  | { readonly type: 'RecordVolumeExported'; readonly exportId: string; readonly fileSizeBytes: number }
  | { readonly type: 'RecordVolumeExportFailed'; readonly exportId: string; readonly error: ErrorInfo }
  | { readonly type: 'RecordCommandRejected'; readonly commandId: string; readonly error: ErrorInfo };

type Exporting = PresentTemplate & { readonly export: NonNullable<PresentTemplate['export']> };

const step = (t: PresentTemplate, name: ExportStep): TemplateEvent => ({
  type: 'TemplateExportStepRequested',
  data: {
    templateId: t.templateId,
    step: name,
    commandId: exportIds.command(t.templateId, name),
    aggregateId: name === 'export' ? exportIds.export(t.templateId) : exportIds.temporaryVolume(t.templateId),
  },
});

/** The temporary volume's deletion, when there is one and it was not asked for yet. */
const cleanup = (t: Exporting): TemplateEvent[] => (t.export.snapshotId !== null && !t.export.steps.cleanup ? [step(t, 'cleanup')] : []);

const failed = (t: Exporting, error: ErrorInfo): TemplateEvent => ({
  type: 'TemplateRegistrationFailed',
  data: { templateId: t.templateId, imageStoreId: t.imageStoreId, error },
});

/** The step's outcome ends the registration with this error (and the temporary volume goes); after a deletion only the cleanup is left. */
const failure = (t: Exporting, error: ErrorInfo): TemplateEvent[] => (t.status === 'registering' ? [...cleanup(t), failed(t, error)] : cleanup(t));

const exporting = (state: TemplateState): Exporting | null => (state.status !== 'absent' && state.export ? (state as Exporting) : null);
/** The step under way when the outcome names its aggregate. */
const awaiting = (t: Exporting | null, name: 'clone' | 'export', aggregateId: string): t is Exporting =>
  t !== null && t.export.stage === (name === 'clone' ? 'cloning' : 'exporting') && t.export.steps[name]?.aggregateId === aggregateId;

export const templateExportDecider: Decider<TemplateState, TemplateExportCommand, TemplateEvent> = {
  initialState: templateDecider.initialState,
  evolve: templateDecider.evolve,

  decide(command, state) {
    switch (command.type) {
      case 'CreateTemplateFromVolume': {
        if (state.status !== 'absent') throw TemplateErrors.alreadyExists(command.templateId);
        if (command.imageStoreId === null) throw ImageStoreErrors.noneInZone(command.zoneId);
        if (command.snapshotId !== null && command.sourceSizeBytes === null) throw TemplateExportErrors.sourceUnknown(command.volumeId, command.snapshotId);
        const requested: TemplateEvent = {
          type: 'TemplateRegistrationRequested',
          data: {
            templateId: command.templateId,
            name: command.name,
            kind: 'template',
            // qemu-img writes QCOW2: compact (holes are not stored) and what deployments convert from.
            format: 'qcow2',
            zoneId: command.zoneId,
            imageStoreId: command.imageStoreId,
            source: { kind: 'volume', volumeId: command.volumeId, snapshotId: command.snapshotId },
            checksum: null,
            osType: command.osType ?? null,
            description: command.description ?? null,
            public: command.public ?? false,
          },
        };
        const t = templateDecider.evolve(state, requested) as PresentTemplate;
        return [requested, step(t, command.snapshotId !== null ? 'clone' : 'export')];
      }
      case 'RecordVolumeCreated': {
        const t = exporting(state);
        if (!awaiting(t, 'clone', command.volumeId)) return [];
        // Deleted (or failed) meanwhile: the clone is not wanted any more.
        return t.status === 'registering' ? [step(t, 'export')] : cleanup(t);
      }
      case 'RecordVolumeCreationFailed': {
        const t = exporting(state);
        // The storage service recorded the volume (in error): it is deleted too.
        return awaiting(t, 'clone', command.volumeId) ? failure(t, command.error) : [];
      }
      case 'RecordVolumeExported': {
        const t = exporting(state);
        if (!awaiting(t, 'export', command.exportId)) return [];
        if (t.status !== 'registering') return cleanup(t);
        const bytes = command.fileSizeBytes;
        return [{ type: 'TemplateTransferProgressed', data: { templateId: t.templateId, imageStoreId: t.imageStoreId, bytesDone: bytes, bytesTotal: bytes, percent: 100 } }, ...cleanup(t)];
      }
      case 'RecordVolumeExportFailed': {
        const t = exporting(state);
        return awaiting(t, 'export', command.exportId) ? failure(t, command.error) : [];
      }
      case 'RecordCommandRejected': {
        const t = exporting(state);
        if (!t) return [];
        const { clone, export: exported } = t.export.steps;
        // A refused clone made nothing; a refused export leaves the clone to delete.
        if (t.export.stage === 'cloning' && clone?.commandId === command.commandId) return t.status === 'registering' ? [failed(t, command.error)] : [];
        if (t.export.stage === 'exporting' && exported?.commandId === command.commandId) return failure(t, command.error);
        return [];
      }
    }
  },
};

/** A command to the storage service that a step calls for; the application wraps it in an envelope. */
export interface ExportCommand {
  readonly route: 'storage';
  readonly type: 'CreateVolume' | 'ExportVolume' | 'DeleteVolume';
  readonly commandId: string;
  readonly aggregateId: string;
  readonly data: Record<string, unknown>;
}

/**
 * What a newly decided step sends, given the template after it (the process's volume and
 * snapshot), the command that decided it (CreateTemplateFromVolume carries the clone's size)
 * and the file's path on the template's image store.
 */
export function commandsFor(after: TemplateState, event: TemplateEvent, cause: TemplateExportCommand, exportPath: string): ExportCommand[] {
  if (event.type !== 'TemplateExportStepRequested') return [];
  const t = exporting(after);
  if (!t) return [];
  const { commandId, aggregateId } = event.data;
  const { volumeId, snapshotId } = t.export;
  switch (event.data.step) {
    case 'clone': {
      if (cause.type !== 'CreateTemplateFromVolume' || snapshotId === null || cause.sourceSizeBytes === null) throw new Error(`clone step of template ${t.templateId} needs the snapshot's size`);
      const data = { name: temporaryVolumeName(t.templateId), sizeBytes: cause.sourceSizeBytes, fromSnapshot: { snapshotId, volumeId } };
      return [{ route: 'storage', type: 'CreateVolume', commandId, aggregateId, data }];
    }
    case 'export': {
      const source = snapshotId !== null ? exportIds.temporaryVolume(t.templateId) : volumeId;
      return [{ route: 'storage', type: 'ExportVolume', commandId, aggregateId, data: { volumeId: source, path: exportPath, format: 'qcow2' } }];
    }
    case 'cleanup':
      return [{ route: 'storage', type: 'DeleteVolume', commandId, aggregateId, data: {} }];
  }
}

/** The storage volumes and exports whose events answer the template's steps (what the outcomes consumer looks up). */
export function membersOf(templateId: string, snapshotId: string | null): string[] {
  return snapshotId !== null ? [exportIds.temporaryVolume(templateId), exportIds.export(templateId)] : [exportIds.export(templateId)];
}
