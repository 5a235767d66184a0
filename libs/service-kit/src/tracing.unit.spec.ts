import { consumeInSpan, currentTraceHeaders, serveInSpan, traceIdOf, withTraceHeaders } from '@strata/messaging';
import { addLogContext, currentLogFields, StrataLogger, withLogContext } from './log-context';
import { setupTracing } from './tracing';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const traceparent = `00-${T}-${PARENT}-01`;

function parse(value: string | undefined): { traceId: string; spanId: string } {
  const match = /^00-([\da-f]{32})-([\da-f]{16})-0[01]$/.exec(value ?? '');
  if (!match) throw new Error(`not a traceparent: ${value}`);
  return { traceId: match[1], spanId: match[2] };
}

describe('trace context in message headers', () => {
  beforeAll(() => setupTracing('tracing-unit'));

  it('injects nothing outside any span', () => {
    expect(currentTraceHeaders()).toEqual({});
    expect(withTraceHeaders({ a: 'b' })).toEqual({ a: 'b' });
  });

  it('continues the trace a consumed message carries, as a child span, with its tracestate', async () => {
    const inside = await consumeInSpan('t', { traceparent, tracestate: 'vendor=x' }, async () => currentTraceHeaders());
    const { traceId, spanId } = parse(inside.traceparent);
    expect(traceId).toBe(T);
    expect(spanId).not.toBe(PARENT);
    expect(inside.tracestate).toBe('vendor=x');
  });

  it('starts a new trace for a message without one, a different one each time', async () => {
    const first = await consumeInSpan('t', {}, async () => parse(currentTraceHeaders().traceparent).traceId);
    const second = await consumeInSpan('t', { unrelated: 'header' }, async () => parse(currentTraceHeaders().traceparent).traceId);
    expect(first).not.toMatch(/^0+$/);
    expect(first).not.toBe(second);
  });

  it('keeps the context across awaits and timers inside the span', async () => {
    const later = await consumeInSpan('t', { traceparent }, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return new Promise<Record<string, string>>((resolve) => setImmediate(() => resolve(currentTraceHeaders())));
    });
    expect(parse(later.traceparent).traceId).toBe(T);
  });

  it('lets a message keep the trace context it was stored with (the outbox row) over the active one', async () => {
    const stored = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const headers = await consumeInSpan('t', { traceparent }, async () => withTraceHeaders({ traceparent: stored, x: '1' }));
    expect(headers).toEqual({ traceparent: stored, x: '1' });
    const added = await consumeInSpan('t', { traceparent }, async () => withTraceHeaders({ x: '1' }));
    expect(traceIdOf(added.traceparent)).toBe(T);
    expect(added.x).toBe('1');
  });

  it('continues an HTTP caller’s traceparent in the request span until the response is done', () => {
    let seen: string | undefined;
    let finish: ((status: number) => void) | undefined;
    serveInSpan('POST', '/volumes', { traceparent }, (done) => {
      seen = currentTraceHeaders().traceparent;
      finish = done;
    });
    expect(traceIdOf(seen)).toBe(T);
    expect(finish).toBeDefined();
    finish!(202);
    expect(currentTraceHeaders()).toEqual({});
  });

  it('reads the trace id of a traceparent and refuses malformed ones', () => {
    expect(traceIdOf(traceparent)).toBe(T);
    expect(traceIdOf('00-xyz-00f067aa0ba902b7-01')).toBeUndefined();
    expect(traceIdOf(undefined)).toBeUndefined();
  });
});

describe('log context', () => {
  beforeAll(() => setupTracing('tracing-unit'));

  function captureJsonLine(write: () => void): Record<string, unknown> {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      write();
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(1);
    return JSON.parse(lines[0]) as Record<string, unknown>;
  }

  it('puts the command’s ids and the active trace on every JSON log line written while handling it', async () => {
    const logger = new StrataLogger('svc', { json: true });
    const line = await consumeInSpan('t', { traceparent }, () =>
      withLogContext({ correlationId: 'corr-1' }, async () => {
        addLogContext({ messageId: 'msg-1', commandType: 'CreateVolume' });
        await Promise.resolve();
        return captureJsonLine(() => logger.log('handling', 'Intake'));
      }),
    );
    expect(line).toMatchObject({
      level: 'log',
      message: 'handling',
      context: 'Intake',
      correlationId: 'corr-1',
      messageId: 'msg-1',
      commandType: 'CreateVolume',
      traceId: T,
    });
    expect(line.spanId).toMatch(/^[\da-f]{16}$/);
    expect(line.spanId).not.toBe(PARENT);
  });

  it('writes none of those fields outside a request or command, and a context does not leak to its parent', async () => {
    const logger = new StrataLogger('svc', { json: true });
    const outside = captureJsonLine(() => logger.warn('idle'));
    for (const key of ['correlationId', 'messageId', 'commandType', 'traceId', 'spanId']) expect(outside).not.toHaveProperty(key);
    addLogContext({ messageId: 'nowhere' });
    expect(currentLogFields()).toEqual({});
    await withLogContext({ correlationId: 'outer' }, async () => {
      await withLogContext({ messageId: 'inner' }, async () => {
        expect(currentLogFields()).toEqual({ correlationId: 'outer', messageId: 'inner' });
      });
      expect(currentLogFields()).toEqual({ correlationId: 'outer' });
    });
  });

  it('appends the ids to plain-text lines (STRATA_LOG_FORMAT=text), and nothing outside a context', async () => {
    const logger = new StrataLogger('svc', { json: false, colors: false });
    const capture = (write: () => void) => {
      const out: string[] = [];
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out.push(String(chunk));
        return true;
      });
      try {
        write();
      } finally {
        spy.mockRestore();
      }
      return out.join('');
    };
    const inside = await consumeInSpan('t', { traceparent }, () =>
      withLogContext({ correlationId: 'corr-2', messageId: 'msg-2' }, async () => capture(() => logger.log('working'))),
    );
    expect(inside).toMatch(new RegExp(`working.*\\[correlationId=corr-2 messageId=msg-2 traceId=${T} spanId=[\\da-f]{16}\\]\\n$`));
    expect(capture(() => logger.log('idle'))).not.toContain('[correlationId');
  });

  it('keeps two concurrent commands’ ids apart', async () => {
    const run = (id: string, delay: number) =>
      withLogContext({}, async () => {
        addLogContext({ messageId: id });
        await new Promise((r) => setTimeout(r, delay));
        return currentLogFields().messageId;
      });
    await expect(Promise.all([run('a', 20), run('b', 1)])).resolves.toEqual(['a', 'b']);
  });
});
