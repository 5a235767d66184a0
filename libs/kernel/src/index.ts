export * from './decider';
export * from './errors';
export { deciderSpec } from './decider-spec';
export { uuidFromName } from './uuid';
