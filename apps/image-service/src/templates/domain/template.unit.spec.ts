import { deciderSpec, fold } from '@strata/kernel';
import {
  pendingWork,
  percentOf,
  storesHolding,
  storesTouched,
  templateDecider,
  templateFile,
  type PresentTemplate,
  type TemplateCommand,
  type TemplateEvent,
} from './template';

const templateId = '7d2e4f10-3a5b-4c6d-8e9f-0a1b2c3d4e5f';
const store1 = '11111111-1111-4111-8111-111111111111';
const store2 = '22222222-2222-4222-8222-222222222222';
const spec = deciderSpec(templateDecider);
const sha = 'a'.repeat(64);
const error = { code: 'image.download_failed', category: 'backend', message: 'HTTP 404' };

const register: Extract<TemplateCommand, { type: 'RegisterTemplate' }> = {
  type: 'RegisterTemplate',
  templateId,
  name: 'debian-12',
  kind: 'template',
  format: 'qcow2',
  zoneId: 'z1',
  url: 'http://images.example/debian.qcow2',
  checksum: { algorithm: 'sha256', value: 'ABCDEF'.padEnd(64, '0') },
  imageStoreId: store1,
};
const requested: TemplateEvent = {
  type: 'TemplateRegistrationRequested',
  data: {
    templateId,
    name: 'debian-12',
    kind: 'template',
    format: 'qcow2',
    zoneId: 'z1',
    imageStoreId: store1,
    source: { kind: 'url', url: 'http://images.example/debian.qcow2' },
    checksum: { algorithm: 'sha256', value: 'abcdef'.padEnd(64, '0') },
    osType: null,
    description: null,
    public: false,
  },
};
const registered: TemplateEvent = {
  type: 'TemplateRegistered',
  data: { templateId, imageStoreId: store1, zoneId: 'z1', file: `templates/${templateId}.qcow2`, format: 'qcow2', virtualSizeBytes: 4096, physicalSizeBytes: 1024, sha256: sha },
};
const failed: TemplateEvent = { type: 'TemplateRegistrationFailed', data: { templateId, imageStoreId: store1, error } };
const copyRequested: TemplateEvent = { type: 'TemplateCopyRequested', data: { templateId, fromImageStoreId: store1, toImageStoreId: store2, zoneId: 'z2' } };
const copied: TemplateEvent = { type: 'TemplateCopied', data: { templateId, imageStoreId: store2, zoneId: 'z2', file: `templates/${templateId}.qcow2` } };
const deletionRequested: TemplateEvent = { type: 'TemplateDeletionRequested', data: { templateId } };
const deleted: TemplateEvent = { type: 'TemplateDeleted', data: { templateId } };
const copy = (zoneId: string, imageStoreId: string | null): TemplateCommand => ({ type: 'CopyTemplate', templateId, zoneId, imageStoreId });

describe('template decider', () => {
  describe('RegisterTemplate', () => {
    it('records the intent with the zone store, the source and the checksum in lower case', () => {
      spec.given([]).when(register).then([requested]);
    });
    it('records an upload as a source without URL, with the optional settings', () => {
      spec
        .given([])
        .when({ ...register, url: undefined, upload: true, checksum: undefined, osType: 'debian', description: 'd', public: true })
        .then([{ type: 'TemplateRegistrationRequested', data: { ...requested.data, source: { kind: 'upload' }, checksum: null, osType: 'debian', description: 'd', public: true } } as TemplateEvent]);
    });
    it('refuses a zone without image store, naming data.zoneId', () => {
      spec.given([]).when({ ...register, imageStoreId: null }).thenThrows('imagestore.none_in_zone', /zone z1 has no image store/);
    });
    it('refuses a second registration with the same id (redelivery)', () => {
      spec.given([requested]).when(register).thenThrows('template.already_exists');
    });
  });

  describe('transfer and its outcome', () => {
    it('records progress with the percentage', () => {
      spec
        .given([requested])
        .when({ type: 'RecordTransferProgress', bytesDone: 50, bytesTotal: 200 })
        .then([{ type: 'TemplateTransferProgressed', data: { templateId, imageStoreId: store1, bytesDone: 50, bytesTotal: 200, percent: 25 } }]);
      expect(percentOf(10, null)).toBeNull();
      expect(percentOf(199, 200)).toBe(99);
    });
    it('records the verified file under its deterministic name', () => {
      spec.given([requested]).when({ type: 'RecordRegistered', format: 'qcow2', virtualSizeBytes: 4096, physicalSizeBytes: 1024, sha256: sha }).then([registered]);
      expect(templateFile(templateId, 'iso')).toBe(`templates/${templateId}.iso`);
    });
    it('records a failure', () => {
      spec.given([requested]).when({ type: 'RecordRegistrationFailed', error }).then([failed]);
    });
    it('refuses an outcome once recorded (a second worker came first)', () => {
      spec.given([requested, registered]).when({ type: 'RecordRegistrationFailed', error }).thenThrows('template.illegal_state', /is ready/);
      spec.given([requested, deletionRequested]).when({ type: 'RecordRegistered', format: 'qcow2', virtualSizeBytes: 1, physicalSizeBytes: 1, sha256: sha }).thenThrows('template.illegal_state', /is deleting/);
      spec.given([requested, failed]).when({ type: 'RecordTransferProgress', bytesDone: 1, bytesTotal: null }).thenThrows('template.illegal_state');
    });
  });

  describe('UpdateTemplate', () => {
    it('records only the fields that change', () => {
      spec
        .given([requested, registered])
        .when({ type: 'UpdateTemplate', templateId, changes: { name: 'debian-12', description: 'new', public: true } })
        .then([{ type: 'TemplateUpdated', data: { templateId, changes: { description: 'new', public: true } } }]);
    });
    it('refuses an update that changes nothing (template.unchanged), so its job ends', () => {
      spec.given([requested, registered]).when({ type: 'UpdateTemplate', templateId, changes: { name: 'debian-12', public: false } }).thenThrows('template.unchanged', /changes nothing/);
    });
    it('refuses an unknown, deleting or deleted template', () => {
      spec.given([]).when({ type: 'UpdateTemplate', templateId, changes: { name: 'x' } }).thenThrows('template.not_found', new RegExp(templateId));
      spec.given([requested, deletionRequested]).when({ type: 'UpdateTemplate', templateId, changes: { name: 'x' } }).thenThrows('template.illegal_state', /is deleting/);
      spec.given([requested, deletionRequested, deleted]).when({ type: 'UpdateTemplate', templateId, changes: { name: 'x' } }).thenThrows('template.illegal_state', /is deleted/);
    });
    it('folds the new values in', () => {
      const state = fold(templateDecider, [requested, { type: 'TemplateUpdated', data: { templateId, changes: { osType: 'linux' } } }]);
      expect(state).toMatchObject({ osType: 'linux', name: 'debian-12' });
    });
  });

  describe('CopyTemplate', () => {
    it('records the copy from the registered store to the other zone store', () => {
      spec.given([requested, registered]).when(copy('z2', store2)).then([copyRequested]);
    });
    it('refuses a template that is not ready', () => {
      spec.given([requested]).when(copy('z2', store2)).thenThrows('template.not_ready', /is registering/);
      spec.given([requested, failed]).when(copy('z2', store2)).thenThrows('template.not_ready', /is failed/);
      spec.given([]).when(copy('z2', store2)).thenThrows('template.not_found');
    });
    it('refuses a zone it is already in (or being copied to)', () => {
      spec.given([requested, registered]).when(copy('z1', store1)).thenThrows('template.already_in_zone', /zone z1/);
      spec.given([requested, registered, copyRequested]).when(copy('z2', store2)).thenThrows('template.already_in_zone');
      spec.given([requested, registered, copyRequested, copied]).when(copy('z2', store2)).thenThrows('template.already_in_zone');
    });
    it('refuses a zone without image store', () => {
      spec.given([requested, registered]).when(copy('z3', null)).thenThrows('imagestore.none_in_zone', /z3/);
    });
    it('refuses a second copy while one runs', () => {
      spec.given([requested, registered, copyRequested]).when(copy('z3', store1)).thenThrows('template.operation_in_progress', /zone z2/);
    });
    it('records the outcome of the copy, and allows a new attempt after a failure', () => {
      spec.given([requested, registered, copyRequested]).when({ type: 'RecordCopied' }).then([copied]);
      const copyFailed: TemplateEvent = { type: 'TemplateCopyFailed', data: { templateId, imageStoreId: store2, error } };
      spec.given([requested, registered, copyRequested]).when({ type: 'RecordCopyFailed', error }).then([copyFailed]);
      spec.given([requested, registered, copyRequested, copyFailed]).when(copy('z2', store2)).then([copyRequested]);
      spec.given([requested, registered]).when({ type: 'RecordCopied' }).thenThrows('template.illegal_state', /none under way/);
    });
  });

  describe('DeleteTemplate', () => {
    it.each([
      ['registering', [requested]],
      ['ready', [requested, registered]],
      ['failed', [requested, failed]],
      ['ready and copying', [requested, registered, copyRequested]],
    ])('records the intent for a %s template', (_, given) => {
      spec.given(given as TemplateEvent[]).when({ type: 'DeleteTemplate', templateId }).then([deletionRequested]);
    });
    it('answers a second delete while one runs, and refuses a deleted or unknown one', () => {
      spec.given([requested, deletionRequested]).when({ type: 'DeleteTemplate', templateId }).thenThrows('template.deletion_in_progress');
      spec.given([requested, deletionRequested, deleted]).when({ type: 'DeleteTemplate', templateId }).thenThrows('template.illegal_state', /is deleted/);
      spec.given([]).when({ type: 'DeleteTemplate', templateId }).thenThrows('template.not_found');
    });
    it('records the end of the deletion once', () => {
      spec.given([requested, registered, deletionRequested]).when({ type: 'RecordDeleted' }).then([deleted]);
      spec.given([requested, registered, deletionRequested, deleted]).when({ type: 'RecordDeleted' }).thenThrows('template.illegal_state');
    });
  });

  describe('what is pending and where files are', () => {
    const at = (events: TemplateEvent[]) => fold(templateDecider, events);
    it('says which background work each state calls for', () => {
      expect(pendingWork(at([]))).toBeNull();
      expect(pendingWork(at([requested]))).toBe('download');
      expect(pendingWork(at([{ ...requested, data: { ...requested.data, source: { kind: 'upload' } } } as TemplateEvent]))).toBe('await-upload');
      expect(pendingWork(at([requested, registered]))).toBeNull();
      expect(pendingWork(at([requested, registered, copyRequested]))).toBe('copy');
      expect(pendingWork(at([requested, registered, copyRequested, deletionRequested]))).toBe('delete');
      expect(pendingWork(at([requested, registered, deletionRequested, deleted]))).toBeNull();
    });
    it('counts the stores holding files: copies, a download, a copy under way; not a failed registration', () => {
      expect(storesHolding(at([requested]) as PresentTemplate)).toEqual([store1]);
      expect(storesHolding(at([requested, failed]) as PresentTemplate)).toEqual([]);
      expect(storesHolding(at([requested, registered, copyRequested]) as PresentTemplate).sort()).toEqual([store1, store2]);
      expect(storesHolding(at([requested, registered, copyRequested, copied, deletionRequested, deleted]) as PresentTemplate)).toEqual([]);
      expect(storesTouched(at([requested, registered, copyRequested, deletionRequested]) as PresentTemplate).sort()).toEqual([store1, store2]);
    });
  });
});
