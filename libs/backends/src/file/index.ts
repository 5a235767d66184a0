export { FileConfig } from './file.config';
export { reflinkOrSparseCopy, sparseCopy } from './file.copy';
export { FileDriver, type FileDriverOptions } from './file.driver';
export { fileManifest } from './file.manifest';
export { filePlugin } from './file.plugin';
