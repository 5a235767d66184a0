import { deciderSpec, fold } from '@strata/kernel';
import { volumeDecider, type VolumeEvent } from '../../volumes/domain/volume';
import { volumeExportDecider, type VolumeExportEvent } from './volume-export';

const volumeId = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const poolId = '0b5e7b1e-9a4b-4c3e-8f1a-2d6c9e8b7a66';
const exportId = 'a3c1b2d4-1111-4c55-9d35-0e7b7b7f4a22';
const hostId = '2c0c6a43-5f0e-4d8e-9a0c-3b0f6a1e2d11';
const spec = deciderSpec(volumeExportDecider);

const made: VolumeEvent[] = [
  {
    type: 'VolumeCreationRequested',
    data: { volumeId, name: 'v', poolId, sizeBytes: 1048576, volumeType: 'DATA', backendName: `vol-${volumeId}`, provisioning: 'thin', qos: null, allocation: null },
  },
  { type: 'VolumeCreated', data: { volumeId, poolId, backendName: `vol-${volumeId}`, sizeBytes: 1048576, path: '/p/x.raw' } },
];
const attach: VolumeEvent[] = [
  { type: 'VolumeAttachRequested', data: { volumeId, hostId, backendHost: hostId } },
  { type: 'VolumeAttached', data: { volumeId, hostId, devicePath: '/dev/x' } },
] as VolumeEvent[];
const volume = (events: VolumeEvent[]) => fold(volumeDecider, events);
const exportOf = (events: VolumeEvent[]) =>
  ({ type: 'ExportVolume', exportId, volumeId, path: '/store/templates/t.qcow2', format: 'qcow2', volume: volume(events), dataMoverHostId: hostId }) as const;
const requested: VolumeExportEvent = {
  type: 'VolumeExportRequested',
  data: { exportId, volumeId, poolId, path: '/store/templates/t.qcow2', format: 'qcow2', dataMoverHostId: hostId },
};

describe('volume export decider', () => {
  it('records the intent for a ready, idle volume, on its pool', () => {
    spec.given([]).when(exportOf(made)).then([requested]);
  });

  it('refuses an attached volume (detach first), an absent or deleted one, one not ready and one busy', () => {
    spec.given([]).when(exportOf([...made, ...attach])).thenThrows('volume.export_needs_detach');
    spec.given([]).when(exportOf([])).thenThrows('volume.not_found');
    spec.given([]).when(exportOf([made[0]])).thenThrows('volume.illegal_state', /creating/);
    spec
      .given([])
      .when(exportOf([...made, { type: 'VolumeResizeRequested', data: { volumeId, fromBytes: 1048576, toBytes: 2097152, allowShrink: false } } as VolumeEvent]))
      .thenThrows('volume.illegal_state', /resizing/);
    // An attach in flight leaves it ready, but busy.
    spec.given([]).when(exportOf([...made, attach[0]])).thenThrows('volume.operation_in_progress');
  });

  it('refuses a second export under the same id', () => {
    spec.given([requested]).when(exportOf(made)).thenThrows('volume_export.already_exists');
  });

  it('records the outcome once: the file size, or the reason', () => {
    spec.given([requested]).when({ type: 'RecordVolumeExported', fileSizeBytes: 4096 }).then([
      { type: 'VolumeExported', data: { exportId, volumeId, path: '/store/templates/t.qcow2', fileSizeBytes: 4096 } },
    ]);
    const error = { code: 'volume.export_failed', category: 'backend', message: 'no space' };
    spec.given([requested]).when({ type: 'RecordVolumeExportFailed', error }).then([{ type: 'VolumeExportFailed', data: { exportId, volumeId, error } }]);
    const done: VolumeExportEvent = { type: 'VolumeExported', data: { exportId, volumeId, path: '/x', fileSizeBytes: 1 } };
    spec.given([requested, done]).when({ type: 'RecordVolumeExported', fileSizeBytes: 1 }).thenThrows('volume_export.illegal_state');
    spec.given([]).when({ type: 'RecordVolumeExportFailed', error }).thenThrows('volume_export.illegal_state');
  });
});
