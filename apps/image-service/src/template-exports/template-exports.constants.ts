/** The consumer group (and inbox consumer) that feeds templates made from volumes from the storage and snapshot events. */
export const TEMPLATE_EXPORTS_CONSUMER = 'image-service-template-exports';
