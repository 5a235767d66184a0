import 'reflect-metadata';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadServiceConfig } from './config';
import { StrataLogger } from './log-context';
import { setupTracing } from './tracing';

export interface BootstrapOptions {
  readonly serviceName: string;
  readonly defaultPort: number;
  /** Extra setup before listen (OpenAPI docs, pipes). */
  readonly configure?: (app: INestApplication) => void | Promise<void>;
}

/**
 * Starts a service: checks configuration first (one message per bad value), sets up
 * tracing, logs JSON lines with the request's or command's ids, listens, and shuts down
 * cleanly on SIGTERM/SIGINT.
 */
export async function bootstrapService(module: Type<unknown>, options: BootstrapOptions): Promise<INestApplication> {
  try {
    loadServiceConfig(options.serviceName, options.defaultPort);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${options.serviceName}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  setupTracing(options.serviceName);
  const logger = new StrataLogger(options.serviceName, { json: process.env.STRATA_LOG_FORMAT !== 'text' });
  const app = await NestFactory.create(module, { logger, bufferLogs: true });
  app.enableShutdownHooks();
  await options.configure?.(app);
  const config = loadServiceConfig(options.serviceName, options.defaultPort);
  await app.listen(config.port, config.host);
  const url = await app.getUrl();
  logger.log(`${options.serviceName} listening on ${url.replace('[::1]', '127.0.0.1')}`);
  return app;
}
