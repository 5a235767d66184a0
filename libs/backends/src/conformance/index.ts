export { runPrimaryStorageConformance, type ConformanceSubject } from './primary-storage.conformance';
