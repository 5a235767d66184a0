export { createStrataClient, ok } from './client';
export type { Job, ListItem, ListPath, ListQuery, Schemas, StrataClient, StrataClientOptions, StrataPaths, WaitOptions } from './client';
export { StrataApiError, violationsOf } from './errors';
export type { Violation } from './errors';
export type { components, operations, paths } from './generated/schema';
