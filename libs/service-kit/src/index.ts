export * from './config';
export * from './clock';
export * from './tokens';
export * from './health.controller';
export * from './platform.module';
export * from './command-intake';
export * from './bootstrap';
export * from './aggregate-runner';
