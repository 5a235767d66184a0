export { startPowerFlexSimulator, type PowerFlexSimulator, type PowerFlexSimulatorOptions, type SimulatorFault } from './simulator';
export { sparseCopy, scanCopy, type CopyMethod } from './sparse-copy';
