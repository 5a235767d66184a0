import { Controller, Get, HttpCode, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { MessageBus } from '@strata/messaging';
import { MESSAGE_BUS, SERVICE_CONFIG } from './tokens';
import type { ServiceConfig } from './config';

async function check(name: string, probe: () => Promise<unknown>, timeoutMs = 3000) {
  const started = Date.now();
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)),
    ]);
    return { name, status: 'up' as const, latencyMs: Date.now() - started };
  } catch (error) {
    return { name, status: 'down' as const, error: (error as Error).message };
  }
}

/** Liveness answers while the process runs; readiness also needs PostgreSQL and Kafka. */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly dataSource: DataSource,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  @Get()
  @HttpCode(200)
  live() {
    return { status: 'ok', service: this.config.serviceName };
  }

  @Get('ready')
  async ready() {
    const checks = await Promise.all([
      check('postgres', () => this.dataSource.query('SELECT 1')),
      check('kafka', () => this.bus.ping()),
    ]);
    const body = { status: checks.every((c) => c.status === 'up') ? 'ok' : 'unavailable', service: this.config.serviceName, checks };
    if (body.status !== 'ok') throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
    return body;
  }
}
