import type { Command } from 'commander';
import { UsageError } from '../output/usage-error';

/** --limit and --cursor, on every list command. */
export function withPaging(command: Command): Command {
  return command
    .option('--limit <n>', 'one page of at most n items (prints nextCursor); default: every item')
    .option('--cursor <cursor>', 'the page after this nextCursor');
}

/** --wait and --timeout, on every command that answers with a job. */
export function withWait(command: Command): Command {
  return command.option('--wait', 'follow the job to its end (progress on stderr)').option('--timeout <seconds>', 'give up waiting after this long', '600');
}

export function parsePositiveInt(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`invalid --${name} "${text}": give a whole number, at least 1`);
  return value;
}

/** --timeout in seconds. */
export function parseSeconds(text: string): number {
  return parsePositiveInt('timeout', text);
}

/** Options given more than once collect into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** key=value pairs (--config): a value that reads as JSON (numbers, booleans, objects) is taken as such, else as text. */
export function parseKeyValues(pairs: readonly string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`invalid --config "${pair}": give key=value`);
    const raw = pair.slice(at + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // plain text
    }
    result[pair.slice(0, at)] = value;
  }
  return result;
}
