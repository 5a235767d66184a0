export const SERVICE_NAME = 'backup-service';
export const SCHEMA = 'backup';
export const DEFAULT_PORT = 8083;
/** The consumer group of the command intake; also the inbox's consumer name. */
export const CONSUMER_GROUP = 'backup-service';
