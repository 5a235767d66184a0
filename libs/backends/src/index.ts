export { backendPlugins, findPlugin } from './registry';
export * from './file';
