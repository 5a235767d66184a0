import type { ValueTransformer } from 'typeorm';

/**
 * pg returns numeric as a string so as not to lose digits; the pool factors stored in it
 * have a few decimals (the contract allows 2 and 4), which a JSON number carries exactly.
 */
export const numericAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
