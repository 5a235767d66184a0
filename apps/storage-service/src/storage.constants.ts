export const SERVICE_NAME = 'storage-service';
export const SCHEMA = 'storage';
export const DEFAULT_PORT = 8081;
/** The consumer group of the command intake; also the inbox's consumer name. */
export const CONSUMER_GROUP = 'storage-service';
