export * from './errors';
export * from './event-store';
export * from './outbox-relay';
export * from './migrations';
export * from './data-source';
export { assertSchemaName } from './schema-name';
