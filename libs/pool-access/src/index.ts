export { toErrorInfo, isTransient, toDomainError, withBackendRetry } from './backend-errors';
export { DriverRegistry, pluginOrReject, type PoolBackendRef } from './driver-registry';
export { PoolSecrets, splitSecrets } from './pool-secrets';
export { VolumeHolds, volumeHoldKey } from './volume-holds';
export { timedDriver, backendErrorKind } from './timed-driver';
