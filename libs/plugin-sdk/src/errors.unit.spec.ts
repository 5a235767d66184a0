import { BACKEND_ERROR_KINDS, BackendError, isBackendError, retryable } from './errors';

describe('BackendError', () => {
  it('carries kind, code, message, cause and details', () => {
    const cause = new Error('EIO');
    const error = new BackendError('transient', 'file.io_error', 'read failed', {
      cause,
      details: { path: '/pool/x.raw' },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('BackendError');
    expect(error.kind).toBe('transient');
    expect(error.code).toBe('file.io_error');
    expect(error.message).toBe('read failed');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ path: '/pool/x.raw' });
  });

  it('has empty details and no cause by default', () => {
    const error = new BackendError('invalid', 'x', 'm');
    expect(error.details).toEqual({});
    expect('cause' in error).toBe(false);
  });
});

describe('isBackendError', () => {
  it('recognises a BackendError and a structurally equal object from another copy of the package', () => {
    expect(isBackendError(new BackendError('conflict', 'c', 'm'))).toBe(true);
    expect(isBackendError({ kind: 'capacity', code: 'c', message: 'm' })).toBe(true);
  });

  it.each([
    ['a plain Error', new Error('x')],
    ['null', null],
    ['a string', 'transient'],
    ['an unknown kind', { kind: 'retry', code: 'c', message: 'm' }],
    ['a missing code', { kind: 'transient', message: 'm' }],
    ['a Node errno error', Object.assign(new Error('x'), { code: 'ENOSPC' })],
  ])('rejects %s', (_label, value) => {
    expect(isBackendError(value)).toBe(false);
  });
});

describe('retryable', () => {
  it('retries only transient failures', () => {
    const table = Object.fromEntries(BACKEND_ERROR_KINDS.map((kind) => [kind, retryable(kind)]));
    expect(table).toEqual({
      transient: true,
      capacity: false,
      conflict: false,
      not_found: false,
      invalid: false,
      terminal: false,
    });
  });
});
