import { deciderSpec, fold } from '@strata/kernel';
import { pendingWork, templateDecider, type TemplateEvent } from '../../templates/domain/template';
import { commandsFor, exportIds, membersOf, templateExportDecider, type TemplateExportCommand } from './template-export';

const templateId = '7d2e4f10-3a5b-4c6d-8e9f-0a1b2c3d4e5f';
const volumeId = '6f1d8a54-3c1e-4c55-9d35-0e7b7b7f4a11';
const snapshotId = '5a0c1b2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const store = '11111111-1111-4111-8111-111111111111';
const spec = deciderSpec(templateExportDecider);
const tempVolume = exportIds.temporaryVolume(templateId);
const exportId = exportIds.export(templateId);
const error = { code: 'volume.export_failed', category: 'backend', message: 'no space left' };
const FILE = '/store/templates/t.qcow2';

const create = (snapshot: string | null, over: Partial<TemplateExportCommand> = {}): TemplateExportCommand =>
  ({
    type: 'CreateTemplateFromVolume',
    templateId,
    name: 'golden',
    zoneId: 'z1',
    volumeId,
    snapshotId: snapshot,
    osType: 'debian',
    imageStoreId: store,
    sourceSizeBytes: snapshot ? 16 * 2 ** 20 : null,
    ...over,
  }) as TemplateExportCommand;
const requested = (snapshot: string | null): TemplateEvent => ({
  type: 'TemplateRegistrationRequested',
  data: {
    templateId,
    name: 'golden',
    kind: 'template',
    format: 'qcow2',
    zoneId: 'z1',
    imageStoreId: store,
    source: { kind: 'volume', volumeId, snapshotId: snapshot },
    checksum: null,
    osType: 'debian',
    description: null,
    public: false,
  },
});
const step = (name: 'clone' | 'export' | 'cleanup'): TemplateEvent => ({
  type: 'TemplateExportStepRequested',
  data: { templateId, step: name, commandId: exportIds.command(templateId, name), aggregateId: name === 'export' ? exportId : tempVolume },
});
const written = (bytes: number): TemplateEvent => ({ type: 'TemplateTransferProgressed', data: { templateId, imageStoreId: store, bytesDone: bytes, bytesTotal: bytes, percent: 100 } });
const failed: TemplateEvent = { type: 'TemplateRegistrationFailed', data: { templateId, imageStoreId: store, error } };
const deletion: TemplateEvent = { type: 'TemplateDeletionRequested', data: { templateId } };
const fromSnapshot = [requested(snapshotId), step('clone')];
const snapshotExporting = [...fromSnapshot, step('export')];
const volumeExporting = [requested(null), step('export')];

describe('templates made from volumes: the export decider', () => {
  describe('CreateTemplateFromVolume', () => {
    it('from the volume: a QCOW2 template registering from the volume, and the export step', () => {
      spec.given([]).when(create(null)).then(volumeExporting);
    });
    it('from a snapshot: the clone step first', () => {
      spec.given([]).when(create(snapshotId)).then(fromSnapshot);
    });
    it('refuses an existing template, a zone without an image store and a snapshot whose size is unknown', () => {
      spec.given(volumeExporting).when(create(null)).thenThrows('template.already_exists');
      spec.given([]).when(create(null, { imageStoreId: null })).thenThrows('imagestore.none_in_zone');
      spec.given([]).when(create(snapshotId, { sourceSizeBytes: null })).thenThrows('template.source_unknown');
    });
  });

  describe('from a snapshot', () => {
    it('VolumeCreated of the temporary volume: the export step; a repeat or another volume decides nothing', () => {
      spec.given(fromSnapshot).when({ type: 'RecordVolumeCreated', volumeId: tempVolume }).then([step('export')]);
      spec.given(snapshotExporting).when({ type: 'RecordVolumeCreated', volumeId: tempVolume }).then([]);
      spec.given(fromSnapshot).when({ type: 'RecordVolumeCreated', volumeId }).then([]);
    });
    it('VolumeExported: the file is written (100 %), and the temporary volume is deleted', () => {
      spec.given(snapshotExporting).when({ type: 'RecordVolumeExported', exportId, fileSizeBytes: 4096 }).then([written(4096), step('cleanup')]);
      // A redelivered outcome (after the cleanup was asked for) decides nothing.
      spec.given([...snapshotExporting, written(4096), step('cleanup')]).when({ type: 'RecordVolumeExported', exportId, fileSizeBytes: 4096 }).then([]);
    });
    it('compensation: a failed clone or export fails the template with the storage reason and deletes the temporary volume', () => {
      spec.given(fromSnapshot).when({ type: 'RecordVolumeCreationFailed', volumeId: tempVolume, error }).then([step('cleanup'), failed]);
      spec.given(snapshotExporting).when({ type: 'RecordVolumeExportFailed', exportId, error }).then([step('cleanup'), failed]);
      spec.given(snapshotExporting).when({ type: 'RecordCommandRejected', commandId: exportIds.command(templateId, 'export'), error }).then([step('cleanup'), failed]);
    });
    it('a refused clone made nothing: only the failure', () => {
      spec.given(fromSnapshot).when({ type: 'RecordCommandRejected', commandId: exportIds.command(templateId, 'clone'), error }).then([failed]);
      // A refusal of another step, or of a step no longer under way, decides nothing.
      spec.given(snapshotExporting).when({ type: 'RecordCommandRejected', commandId: exportIds.command(templateId, 'clone'), error }).then([]);
      spec.given([...snapshotExporting, written(1), step('cleanup')]).when({ type: 'RecordCommandRejected', commandId: exportIds.command(templateId, 'cleanup'), error }).then([]);
    });
    it('deleted while cloning: the clone, once made, is deleted and not exported', () => {
      spec.given([...fromSnapshot, deletion]).when({ type: 'RecordVolumeCreated', volumeId: tempVolume }).then([step('cleanup')]);
      spec.given([...snapshotExporting, deletion]).when({ type: 'RecordVolumeExported', exportId, fileSizeBytes: 1 }).then([step('cleanup')]);
    });
  });

  describe('from the volume', () => {
    it('VolumeExported: written, no cleanup; then the file is to be verified', () => {
      spec.given(volumeExporting).when({ type: 'RecordVolumeExported', exportId, fileSizeBytes: 8192 }).then([written(8192)]);
      expect(pendingWork(fold(templateDecider, volumeExporting))).toBe('await-export');
      expect(pendingWork(fold(templateDecider, [...volumeExporting, written(8192)]))).toBe('verify-export');
    });
    it('a failed or refused export fails the template, nothing to delete; a stale export id decides nothing', () => {
      spec.given(volumeExporting).when({ type: 'RecordVolumeExportFailed', exportId, error }).then([failed]);
      spec.given(volumeExporting).when({ type: 'RecordCommandRejected', commandId: exportIds.command(templateId, 'export'), error }).then([failed]);
      spec.given(volumeExporting).when({ type: 'RecordVolumeExportFailed', exportId: volumeId, error }).then([]);
      spec.given([...volumeExporting, failed]).when({ type: 'RecordVolumeExported', exportId, fileSizeBytes: 1 }).then([]);
    });
    it('the template recorder (verification) registers it as any downloaded template', () => {
      const ready = templateDecider.decide({ type: 'RecordRegistered', format: 'qcow2', virtualSizeBytes: 1, physicalSizeBytes: 2, sha256: 'a'.repeat(64) }, fold(templateDecider, [...volumeExporting, written(2)]));
      expect(ready).toMatchObject([{ type: 'TemplateRegistered', data: { file: `templates/${templateId}.qcow2`, format: 'qcow2' } }]);
    });
  });

  describe('commands sent', () => {
    const after = (events: TemplateEvent[]) => fold(templateDecider, events);
    it('clone: CreateVolume fromSnapshot of the snapshot size; export: ExportVolume of the temporary volume; cleanup: DeleteVolume', () => {
      expect(commandsFor(after(fromSnapshot), step('clone'), create(snapshotId), '')).toEqual([
        {
          route: 'storage',
          type: 'CreateVolume',
          commandId: exportIds.command(templateId, 'clone'),
          aggregateId: tempVolume,
          data: { name: `template-${templateId.slice(0, 8)}-export`, sizeBytes: 16 * 2 ** 20, fromSnapshot: { snapshotId, volumeId } },
        },
      ]);
      expect(commandsFor(after(snapshotExporting), step('export'), { type: 'RecordVolumeCreated', volumeId: tempVolume }, FILE)).toEqual([
        { route: 'storage', type: 'ExportVolume', commandId: exportIds.command(templateId, 'export'), aggregateId: exportId, data: { volumeId: tempVolume, path: FILE, format: 'qcow2' } },
      ]);
      expect(commandsFor(after([...snapshotExporting, step('cleanup')]), step('cleanup'), { type: 'RecordVolumeExported', exportId, fileSizeBytes: 1 }, '')).toEqual([
        { route: 'storage', type: 'DeleteVolume', commandId: exportIds.command(templateId, 'cleanup'), aggregateId: tempVolume, data: {} },
      ]);
    });
    it('from the volume: ExportVolume of the volume itself; members are the export (and the temporary volume)', () => {
      expect(commandsFor(after(volumeExporting), step('export'), create(null), FILE)[0]).toMatchObject({ type: 'ExportVolume', data: { volumeId, path: FILE } });
      expect(membersOf(templateId, null)).toEqual([exportId]);
      expect(membersOf(templateId, snapshotId)).toEqual([tempVolume, exportId]);
    });
  });
});
