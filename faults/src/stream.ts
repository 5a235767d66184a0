import type { CheckResult } from './report';

/**
 * One kind of traffic in the run (volumes, snapshots, ...): it publishes its commands as the
 * stream goes on, reacts to the outcomes it sees, and checks its invariants at the end.
 */
export interface CommandStream {
  readonly name: string;
  /** Publishes what is due `elapsedMs` into the stream; called every few ms while it runs. */
  tick(elapsedMs: number): void;
  /** Sends what the events seen so far call for (a delete after a create); also during the drain. */
  react(): void;
  /** Every command sent has an outcome and nothing is left to send. */
  settled(): boolean;
  /** What the stream sent, for the progress lines. */
  summary(): string;
  /** The invariants, once the drain is over. */
  check(): Promise<CheckResult[]>;
}
