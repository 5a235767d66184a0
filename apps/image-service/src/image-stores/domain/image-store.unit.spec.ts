import { deciderSpec } from '@strata/kernel';
import { imageStoreDecider, type ImageStoreCommand, type ImageStoreEvent } from './image-store';

const imageStoreId = '3b1f6c2e-0d4a-4e8b-9f7c-5a2d1e0b9c88';
const spec = deciderSpec(imageStoreDecider);

const add: Extract<ImageStoreCommand, { type: 'AddImageStore' }> = {
  type: 'AddImageStore',
  imageStoreId,
  name: 'secondary-z1',
  zoneId: 'z1',
  path: '/srv/images',
  probe: { ok: true, capacityBytes: 100, freeBytes: 40 },
};
const added: ImageStoreEvent = {
  type: 'ImageStoreAdded',
  data: { imageStoreId, name: 'secondary-z1', zoneId: 'z1', path: '/srv/images', capacityBytes: 100, freeBytes: 40 },
};
const removed: ImageStoreEvent = { type: 'ImageStoreRemoved', data: { imageStoreId } };

describe('image store decider', () => {
  describe('AddImageStore', () => {
    it('records the store with the file system sizes the handler measured', () => {
      spec.given([]).when(add).then([added]);
    });
    it('refuses a second add with the same id (a redelivered command is answered, not repeated)', () => {
      spec.given([added]).when(add).thenThrows('imagestore.already_exists', new RegExp(imageStoreId));
    });
    it('keeps a removed store id taken', () => {
      spec.given([added, removed]).when(add).thenThrows('imagestore.already_exists');
    });
    it('refuses a path that cannot hold templates, naming data.path and the reason', () => {
      let caught: { code?: string; details?: { violations?: { field: string }[] } } | undefined;
      try {
        imageStoreDecider.decide({ ...add, probe: { ok: false, reason: 'is not writable' } }, imageStoreDecider.initialState());
      } catch (e) {
        caught = e as typeof caught;
      }
      expect(caught?.code).toBe('imagestore.path_unusable');
      expect(caught?.details?.violations).toEqual([expect.objectContaining({ field: 'data.path' })]);
      spec.given([]).when({ ...add, probe: { ok: false, reason: 'does not exist' } }).thenThrows('imagestore.path_unusable', /\/srv\/images is unusable: does not exist/);
    });
  });

  describe('RemoveImageStore', () => {
    it('removes a store that holds no template', () => {
      spec.given([added]).when({ type: 'RemoveImageStore', imageStoreId, templateIds: [] }).then([removed]);
    });
    it('refuses while templates have copies on it, listing them', () => {
      spec
        .given([added])
        .when({ type: 'RemoveImageStore', imageStoreId, templateIds: ['t-1', 't-2'] })
        .thenThrows('imagestore.in_use', /holds 2 template\(s\) \(t-1, t-2\)/);
    });
    it('refuses an unknown or already removed store', () => {
      spec.given([]).when({ type: 'RemoveImageStore', imageStoreId, templateIds: [] }).thenThrows('imagestore.not_found');
      spec.given([added, removed]).when({ type: 'RemoveImageStore', imageStoreId, templateIds: [] }).thenThrows('imagestore.not_found');
    });
  });

  it('folds to the removed state', () => {
    expect([added, removed].reduce(imageStoreDecider.evolve, imageStoreDecider.initialState())).toMatchObject({ status: 'removed', zoneId: 'z1' });
  });
});
