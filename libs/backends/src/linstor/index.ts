export { LinstorConfig, LINSTOR_NAME, CLONE_MODES, CAPACITY_MODES, type CloneMode, type CapacityMode } from './linstor.config';
export { LinstorClient } from './linstor.client';
export { LinstorDriver, DATA_MOVER_HOST, PROP as LINSTOR_PROPS, QOS_PROPS as LINSTOR_QOS_PROPS } from './linstor.driver';
export { linstorManifest } from './linstor.manifest';
export { linstorPlugin, parseLinstorUrl } from './linstor.plugin';
export { parseLinstorJson, toLinstorError, rcType, rcCode, retCode } from './linstor.errors';
export { startLinstorSimulator, type LinstorSimulator, type LinstorSimulatorOptions } from './simulator/linstor-simulator';
