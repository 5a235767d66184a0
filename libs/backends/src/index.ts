export { backendPlugins, findPlugin } from './registry';
export * from './file';
export * from './powerflex';
export * from './linstor';
export * from './storpool';
