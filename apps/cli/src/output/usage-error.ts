/** A command line the CLI cannot act on (exit code 2), as opposed to a refusal by the API (exit code 1). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
