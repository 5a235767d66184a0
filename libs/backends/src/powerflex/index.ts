export { PowerFlexConfig } from './powerflex.config';
export { PowerFlexClient, type PowerFlexClientOptions } from './powerflex.client';
export { PowerFlexDriver, validatePowerFlexQos } from './powerflex.driver';
export { POWERFLEX_ERROR_NAMES, toPowerFlexError } from './powerflex.errors';
export { powerflexManifest } from './powerflex.manifest';
export { parsePowerFlexUrl, powerflexPlugin } from './powerflex.plugin';
export { startPowerFlexSimulator, type PowerFlexSimulator, type PowerFlexSimulatorOptions } from './simulator';
