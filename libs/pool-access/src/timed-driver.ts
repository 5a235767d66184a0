import type { MetricsRegistry } from '@strata/service-kit';
import { isBackendError } from '@strata/plugin-sdk';

/** The label a failed call is counted under: the BackendError kind, else "unexpected". */
export function backendErrorKind(error: unknown): string {
  return isBackendError(error) ? error.kind : 'unexpected';
}

/**
 * The driver as callers see it, with every method call timed into
 * strata_backend_call_duration_seconds{plugin,outcome} and every failure counted in
 * strata_backend_errors_total{plugin,kind}. Methods run on the real driver (its `this`,
 * private fields included), so calls a driver makes to itself are not counted twice;
 * properties that are not functions (manifest) pass through untouched.
 */
export function timedDriver<D extends object>(driver: D, plugin: string, metrics: MetricsRegistry): D {
  const wrapped = new WeakMap<(...args: unknown[]) => unknown, (...args: unknown[]) => unknown>();
  return new Proxy(driver, {
    get(target, property, receiver) {
      // Getters run on the driver itself too, so they may read its private fields.
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function' || property === 'constructor') return value;
      const method = value as (...args: unknown[]) => unknown;
      let timed = wrapped.get(method);
      if (!timed) {
        timed = function (this: unknown, ...args: unknown[]) {
          // Called off the proxy (or detached), the method still runs on the driver itself.
          const self = this === receiver || this === undefined ? target : this;
          const started = process.hrtime.bigint();
          const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
          let result: unknown;
          try {
            result = method.apply(self, args);
          } catch (error) {
            metrics.recordBackendCall(plugin, seconds(), backendErrorKind(error));
            throw error;
          }
          if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
            return Promise.resolve(result).then(
              (v) => {
                metrics.recordBackendCall(plugin, seconds());
                return v;
              },
              (error: unknown) => {
                metrics.recordBackendCall(plugin, seconds(), backendErrorKind(error));
                throw error;
              },
            );
          }
          metrics.recordBackendCall(plugin, seconds());
          return result;
        };
        wrapped.set(method, timed);
      }
      return timed;
    },
  });
}
