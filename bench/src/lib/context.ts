import type { BenchResult, ResultRow } from './report';

export interface BenchContext {
  readonly quick: boolean;
  readonly repoRoot: string;
  /** Scratch space for this run (removed at the end). */
  readonly workDir: string;
  log(message: string): void;
}

export interface Bench {
  readonly name: string;
  readonly summary: string;
  run(ctx: BenchContext): Promise<Omit<BenchResult, 'name' | 'startedAt' | 'seconds'>>;
}

export type { BenchResult, ResultRow };
