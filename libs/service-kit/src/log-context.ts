import { AsyncLocalStorage } from 'node:async_hooks';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { activeTraceIds } from '@strata/messaging';

/**
 * What every log line written while handling one REST request or one command carries.
 * Only ids: never a header value or payload field that could hold a credential.
 */
export interface LogContext {
  correlationId?: string;
  messageId?: string;
  commandType?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `work` with its own log context (the enclosing one's fields, then `fields`). */
export function withLogContext<T>(fields: LogContext, work: () => T): T {
  return storage.run({ ...storage.getStore(), ...defined(fields) }, work);
}

/** Adds what became known while handling (the command's ids once decoded) to the current context. */
export function addLogContext(fields: LogContext): void {
  const store = storage.getStore();
  if (store) Object.assign(store, defined(fields));
}

/** The fields a log line written now carries: the log context, then the active span's ids. */
export function currentLogFields(): Record<string, string> {
  return { ...defined(storage.getStore() ?? {}), ...(activeTraceIds() ?? {}) };
}

function defined(fields: LogContext): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => typeof v === 'string' && v.length > 0)) as Record<string, string>;
}

type JsonLogOptions = Parameters<ConsoleLogger['getJsonLogObject']>[1];

/**
 * Nest's JSON console logger with the log context and trace ids on every line: one JSON
 * object per line, {level, pid, timestamp, message, context, correlationId, messageId,
 * commandType, traceId, spanId} (those known). Framework fields win on a name clash.
 */
export class StrataLogger extends ConsoleLogger {
  protected override getJsonLogObject(message: unknown, options: JsonLogOptions): ReturnType<ConsoleLogger['getJsonLogObject']> {
    const line = super.getJsonLogObject(message, options);
    for (const [key, value] of Object.entries(currentLogFields())) if (!(key in line)) line[key] = value;
    return line;
  }

  /** Plain-text lines (STRATA_LOG_FORMAT=text) get the ids appended, when there are any. */
  protected override formatMessage(
    logLevel: LogLevel,
    message: unknown,
    pidMessage: string,
    formattedLogLevel: string,
    contextMessage: string,
    timestampDiff: string,
    params?: Record<string, unknown>,
  ): string {
    const text = super.formatMessage(logLevel, message, pidMessage, formattedLogLevel, contextMessage, timestampDiff, params);
    const fields = Object.entries(currentLogFields());
    if (fields.length === 0) return text;
    return text.replace(/\n$/, ` [${fields.map(([k, v]) => `${k}=${v}`).join(' ')}]\n`);
  }
}
