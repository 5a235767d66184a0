export const SERVICE_NAME = 'image-service';
export const SCHEMA = 'image';
export const DEFAULT_PORT = 8084;
/** The consumer group of the command intake; also the inbox's consumer name. */
export const CONSUMER_GROUP = 'image-service';
