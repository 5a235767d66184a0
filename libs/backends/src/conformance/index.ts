export {
  runPrimaryStorageConformance,
  type ConformanceSubject,
  type FaultInjector,
  type InjectedFault,
} from './primary-storage.conformance';
