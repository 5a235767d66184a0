export { FileConfig } from './file.config';
export { FileDriver, type FileDriverOptions } from './file.driver';
export { fileManifest } from './file.manifest';
export { filePlugin } from './file.plugin';
