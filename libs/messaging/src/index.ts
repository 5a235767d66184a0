export * from './ports';
export * from './dead-letter';
export * from './kafka-bus';
