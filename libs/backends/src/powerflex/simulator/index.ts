export { startPowerFlexSimulator, type PowerFlexSimulator, type PowerFlexSimulatorOptions, type SimulatorFault } from './simulator';
