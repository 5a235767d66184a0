export {
  startStorPoolSimulator,
  DEFAULT_SIM_TOKEN,
  DEFAULT_TEMPLATES,
  type StorPoolSimulator,
  type StorPoolSimulatorOptions,
  type StorPoolSimulatorFault,
  type StorPoolSimulatorCall,
} from './simulator';
export { StorPoolState, SimError, type TemplateSpec } from './state';
