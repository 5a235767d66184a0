/**
 * The field checks the backup and image event readers share: a check is a predicate and the
 * words naming what the field must be, quoted when an event is refused.
 */
export type Check = [(v: unknown) => boolean, string];
type Data = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isUuid = (v: unknown) => typeof v === 'string' && UUID.test(v);
export const isString = (v: unknown) => typeof v === 'string';
export const isCount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
export const isErrorInfo = (v: unknown) => isObject(v) && isString(v.code) && isString(v.category) && isString(v.message);
export const isPercent = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100;

export const uuid: Check = [isUuid, 'a UUID'];
export const text: Check = [isString, 'a string'];
export const count: Check = [isCount, 'a non-negative integer'];
export const error: Check = [isErrorInfo, 'an error {code, category, message}'];
