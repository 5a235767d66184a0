import { Injectable } from '@nestjs/common';

/** One event applied to the read models, as the metrics see it. */
export interface AppliedEvent {
  readonly topic: string;
  /** Seconds from the event's occurredAt to the commit of its projection. */
  readonly delaySeconds: number;
  /** Whether a rebuild replayed it (it was below its partition's end when the rebuild started). */
  readonly replayed: boolean;
}

/** What the projection tells whoever watches it (the read models' metrics), in-process. */
@Injectable()
export class ProjectionProgress {
  private readonly listeners: ((event: AppliedEvent) => void)[] = [];

  onApplied(listener: (event: AppliedEvent) => void): void {
    this.listeners.push(listener);
  }

  applied(event: AppliedEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
