export * from './ports';
export * from './dead-letter';
export * from './kafka-bus';
export * from './trace-context';
