import type { ValueTransformer } from 'typeorm';

/**
 * pg returns bigint as a string (it may exceed 2^53); byte counts here stay far below
 * that (sizes are capped at 1 PiB), so the API can carry them as JSON numbers.
 */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
