import type { ReceivedEvent } from '../../projection/domain/storage-event';
import type { DeploymentSignal } from './deployment';

/** The saga-relevant reading of a projected event; undefined for every event no saga waits on. */
export function signalOf(event: ReceivedEvent): DeploymentSignal | undefined {
  const typed = event.typed;
  if (!typed) return undefined;
  const occurredAt = event.occurredAt.toISOString();
  switch (typed.type) {
    case 'TemplateSpooled':
      return { type: 'TemplateSpooled', baseId: typed.data.baseId, volumeId: typed.data.volumeId, snapshotId: typed.data.snapshotId, causationId: event.causationId, occurredAt };
    case 'TemplateSpoolJoined':
      return { type: 'TemplateSpoolJoined', baseId: typed.data.baseId };
    case 'TemplateSpoolFailed':
      return { type: 'TemplateSpoolFailed', baseId: typed.data.baseId, error: errorOf(typed.data.error), causationId: event.causationId, occurredAt };
    case 'CommandRejected':
      return { type: 'CommandRejected', commandId: typed.data.commandId, error: errorOf(typed.data.error) };
    case 'VolumeCreated':
      return { type: 'VolumeCreated', volumeId: typed.data.volumeId, sizeBytes: typed.data.sizeBytes };
    case 'VolumeCreationFailed':
      return { type: 'VolumeCreationFailed', volumeId: typed.data.volumeId, error: errorOf(typed.data.error) };
    case 'VolumeDeleted':
      return { type: 'VolumeDeleted', volumeId: typed.data.volumeId };
    case 'VolumeDeletionFailed':
      return { type: 'VolumeDeletionFailed', volumeId: typed.data.volumeId, error: errorOf(typed.data.error) };
    default:
      return undefined;
  }
}

const errorOf = (e: { code: string; category: string; message: string }) => ({ code: e.code, category: e.category, message: e.message });

/** Which sagas a signal may be for: those waiting on a base, on a volume, or on a command's answer. */
export type SagaLookup = { readonly baseId: string } | { readonly volumeId: string } | { readonly awaitingCommandId: string };

export function lookupOf(signal: DeploymentSignal): SagaLookup {
  switch (signal.type) {
    case 'TemplateSpooled':
    case 'TemplateSpoolJoined':
    case 'TemplateSpoolFailed':
      return { baseId: signal.baseId };
    case 'CommandRejected':
      return { awaitingCommandId: signal.commandId };
    default:
      return { volumeId: signal.volumeId };
  }
}
