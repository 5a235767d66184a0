export * from './infra';
export * from './messages';
