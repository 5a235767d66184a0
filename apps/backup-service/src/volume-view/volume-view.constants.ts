/** The consumer group that reads the storage and snapshot events (view and outcomes), and the view's inbox consumer. */
export const VOLUME_VIEW_CONSUMER = 'backup-service-volume-view';
/** The inbox consumer of a process's outcomes: one per backup or restore, so one event may concern several. */
export const outcomesConsumer = (processId: string) => `backup-service-outcomes:${processId}`;
