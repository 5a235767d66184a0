export { FileConfig } from './file.config';
export { FileDriver } from './file.driver';
export { fileManifest } from './file.manifest';
export { filePlugin } from './file.plugin';
