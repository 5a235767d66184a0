import { DomainError, ErrorCategory, type Decider } from '@strata/kernel';
import type { ErrorInfo, VolumeExported, VolumeExportFailed, VolumeExportRequested } from '@strata/contracts';
import { VolumeErrors, type VolumeState } from '../../volumes/domain/volume';

/**
 * An export of a volume's content to a disk image file (stream export-<exportId>): the
 * intent names the volume, the file and the data mover; the outcome the file's size or why
 * it failed. The volume's own stream is not touched: the export holds the volume
 * (VolumeHolds) while it reads it, so attach, resize or delete wait for it on the backend.
 */

export const EXPORT_STREAM_PREFIX = 'export-';
export const exportStreamId = (exportId: string): string => `${EXPORT_STREAM_PREFIX}${exportId}`;
export const TRANSITIONAL_EXPORT_EVENTS = ['VolumeExportRequested'] as const;

export type VolumeExportEvent =
  | { type: 'VolumeExportRequested'; data: VolumeExportRequested }
  | { type: 'VolumeExported'; data: VolumeExported }
  | { type: 'VolumeExportFailed'; data: VolumeExportFailed };

export type VolumeExportState =
  | { readonly status: 'absent' }
  | ({ readonly status: 'exporting' | 'exported' | 'failed' } & VolumeExportRequested & { readonly error: ErrorInfo | null });

export type VolumeExportCommand =
  | {
      readonly type: 'ExportVolume';
      readonly exportId: string;
      readonly volumeId: string;
      readonly path: string;
      readonly format: 'qcow2' | 'raw';
      /** The volume as its stream has it now. */
      readonly volume: VolumeState;
      /** The data mover, already judged against the volume's pool by the handler. */
      readonly dataMoverHostId: string;
    }
  | { readonly type: 'RecordVolumeExported'; readonly fileSizeBytes: number }
  | { readonly type: 'RecordVolumeExportFailed'; readonly error: ErrorInfo };

export const VolumeExportErrors = {
  alreadyExists: (exportId: string) =>
    new DomainError('volume_export.already_exists', ErrorCategory.Conflict, `export ${exportId} already exists`, { exportId }),
  volumeNotFound: (volumeId: string) =>
    new DomainError('volume.not_found', ErrorCategory.NotFound, `volume ${volumeId} does not exist`, {
      volumeId,
      violations: [{ field: 'data.volumeId', rule: 'exists', message: `volume ${volumeId} does not exist (or is deleted)` }],
    }),
  notExporting: (exportId: string, status: string) =>
    new DomainError('volume_export.illegal_state', ErrorCategory.IllegalState, `export ${exportId} is ${status}: it has no outcome to record`, { exportId, status }),
};

/** The volume's error, naming the command's volumeId as the field to fix. */
const onVolumeField = (error: DomainError, rule: string, message: string): DomainError =>
  new DomainError(error.code, error.category, error.message, { ...error.details, violations: [{ field: 'data.volumeId', rule, message }] });

/** Exported only when it exists, is made and detached (ready), and nothing else runs on it. */
export function checkExportable(volumeId: string, volume: VolumeState): Exclude<VolumeState, { status: 'absent' }> {
  if (volume.status === 'absent' || volume.status === 'deleted') throw VolumeExportErrors.volumeNotFound(volumeId);
  if (volume.status === 'attached') throw VolumeErrors.exportNeedsDetach(volumeId, volume.attachments.map((a) => a.hostId));
  if (volume.status !== 'ready') throw onVolumeField(VolumeErrors.illegalState(volumeId, volume.status, 'export it'), 'ready', `volume ${volumeId} is ${volume.status}, not ready`);
  if (volume.inFlight) throw onVolumeField(VolumeErrors.busy(volumeId, volume.inFlight), 'idle', `volume ${volumeId} is busy with a ${volume.inFlight.kind}`);
  return volume;
}

export const volumeExportDecider: Decider<VolumeExportState, VolumeExportCommand, VolumeExportEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'ExportVolume': {
        if (state.status !== 'absent') throw VolumeExportErrors.alreadyExists(command.exportId);
        const volume = checkExportable(command.volumeId, command.volume);
        return [
          {
            type: 'VolumeExportRequested',
            data: {
              exportId: command.exportId,
              volumeId: command.volumeId,
              poolId: volume.poolId,
              path: command.path,
              format: command.format,
              dataMoverHostId: command.dataMoverHostId,
            },
          },
        ];
      }
      case 'RecordVolumeExported': {
        if (state.status !== 'exporting') throw VolumeExportErrors.notExporting(state.status === 'absent' ? 'unknown' : state.exportId, state.status);
        return [{ type: 'VolumeExported', data: { exportId: state.exportId, volumeId: state.volumeId, path: state.path, fileSizeBytes: command.fileSizeBytes } }];
      }
      case 'RecordVolumeExportFailed': {
        if (state.status !== 'exporting') throw VolumeExportErrors.notExporting(state.status === 'absent' ? 'unknown' : state.exportId, state.status);
        return [{ type: 'VolumeExportFailed', data: { exportId: state.exportId, volumeId: state.volumeId, error: command.error } }];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'VolumeExportRequested':
        return { status: 'exporting', ...event.data, error: null };
      case 'VolumeExported':
        return state.status === 'absent' ? state : { ...state, status: 'exported' };
      case 'VolumeExportFailed':
        return state.status === 'absent' ? state : { ...state, status: 'failed', error: event.data.error };
    }
  },
};
