export const SERVICE_NAME = 'snapshot-service';
export const SCHEMA = 'snapshot';
export const DEFAULT_PORT = 8082;
/** The consumer group of the command intake; also the inbox's consumer name. */
export const CONSUMER_GROUP = 'snapshot-service';
/** The consumer group (and inbox consumer) that keeps the view of pools and volumes from the storage events. */
export const STORAGE_VIEW_CONSUMER = 'snapshot-service-storage-view';
