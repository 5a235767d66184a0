export * from './envelope';
export * from './topics';
export * from './jobs';
export * from './validation';
export * from './storage/commands';
export * from './storage/events';
export * from './storage/validate';
