/** The consumer group (and inbox consumer) that feeds the bases from the storage and snapshot events. */
export const BASES_CONSUMER = 'image-service-bases';
