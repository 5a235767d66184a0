export * from './manifest';
export * from './errors';
export * from './driver';
export * from './plugin';
export * from './naming';
export * from './config-schema';
