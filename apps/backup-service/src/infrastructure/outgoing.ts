import type { CommandToSend } from '@strata/service-kit';

/** A command to the storage or snapshot service, decided by a backup or restore. */
export interface Outgoing extends CommandToSend {
  readonly route: 'storage' | 'snapshot';
}

/** An error as events carry it: code, category and message only (never a stack, nor a store's settings). */
export function errorInfoOf(error: unknown, fallbackCode: string): { code: string; category: string; message: string } {
  const e = error as { code?: unknown; category?: unknown; message?: unknown };
  const domain = typeof e?.code === 'string' && typeof e?.category === 'string';
  return {
    code: domain ? (e.code as string) : fallbackCode,
    category: domain ? (e.category as string) : 'backend',
    message: typeof e?.message === 'string' ? e.message : String(error),
  };
}
