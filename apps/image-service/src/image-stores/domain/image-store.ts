import type { Decider } from '@strata/kernel';
import type { ImageStoreAdded, ImageStoreRemoved } from '@strata/contracts';
import { ImageStoreErrors } from './image-store.errors';

export const IMAGE_STORE_STREAM_PREFIX = 'imagestore-';
export const imageStoreStreamId = (imageStoreId: string): string => `${IMAGE_STORE_STREAM_PREFIX}${imageStoreId}`;

export type ImageStoreEvent = { type: 'ImageStoreAdded'; data: ImageStoreAdded } | { type: 'ImageStoreRemoved'; data: ImageStoreRemoved };

export interface ImageStoreFacts {
  readonly imageStoreId: string;
  readonly name: string;
  readonly zoneId: string;
  readonly path: string;
}
export type ImageStoreState = { readonly status: 'absent' } | ({ readonly status: 'active' | 'removed' } & ImageStoreFacts);

export type ImageStoreCommand =
  | {
      readonly type: 'AddImageStore';
      readonly imageStoreId: string;
      readonly name: string;
      readonly zoneId: string;
      readonly path: string;
      /** What the handler found at the path: the file system's sizes, or why it cannot hold templates. */
      readonly probe: { readonly ok: true; readonly capacityBytes: number; readonly freeBytes: number } | { readonly ok: false; readonly reason: string };
    }
  | {
      readonly type: 'RemoveImageStore';
      readonly imageStoreId: string;
      /** Templates with a copy (or one under way) on the store, read from the log by the handler. */
      readonly templateIds: readonly string[];
    };

/** An image store is a directory for one zone; several stores may serve a zone (the oldest takes new templates). */
export const imageStoreDecider: Decider<ImageStoreState, ImageStoreCommand, ImageStoreEvent> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'AddImageStore': {
        // A removed store's id stays taken: its events are its history.
        if (state.status !== 'absent') throw ImageStoreErrors.alreadyExists(command.imageStoreId);
        if (!command.probe.ok) throw ImageStoreErrors.pathUnusable(command.path, command.probe.reason);
        const { imageStoreId, name, zoneId, path } = command;
        return [
          {
            type: 'ImageStoreAdded',
            data: { imageStoreId, name, zoneId, path, capacityBytes: command.probe.capacityBytes, freeBytes: command.probe.freeBytes },
          },
        ];
      }
      case 'RemoveImageStore': {
        if (state.status !== 'active') throw ImageStoreErrors.notFound(command.imageStoreId);
        if (command.templateIds.length > 0) throw ImageStoreErrors.inUse(state.imageStoreId, command.templateIds);
        return [{ type: 'ImageStoreRemoved', data: { imageStoreId: state.imageStoreId } }];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ImageStoreAdded': {
        const { imageStoreId, name, zoneId, path } = event.data;
        return { status: 'active', imageStoreId, name, zoneId, path };
      }
      case 'ImageStoreRemoved':
        return state.status === 'absent' ? state : { ...state, status: 'removed' };
    }
  },
};
