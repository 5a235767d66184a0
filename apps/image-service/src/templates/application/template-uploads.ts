import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { isUploadToken, type ErrorInfo } from '@strata/contracts';
import { SERVICE_CONFIG, type ServiceConfig } from '@strata/service-kit';
import { pendingWork, type PresentTemplate } from '../domain/template';
import { TemplateCatalog } from './template-catalog';
import { TemplateEffects } from './template-effects';
import { TemplateJobs } from './template-jobs';

/** How an upload ended, for the HTTP answer. */
export type UploadResult =
  | { readonly kind: 'forbidden' | 'not_found' | 'conflict' | 'broken'; readonly message: string }
  | { readonly kind: 'done'; readonly templateId: string; readonly status: string; readonly error: ErrorInfo | null };

/**
 * The bytes of a template registered with `upload: true`: streamed to the partial file (never
 * held in memory), then the download's verification. One upload per template at a time; a
 * broken one leaves the template waiting for the next PUT.
 */
@Injectable()
export class TemplateUploads {
  private readonly log = new Logger(TemplateUploads.name);

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly catalog: TemplateCatalog,
    private readonly effects: TemplateEffects,
    private readonly jobs: TemplateJobs,
  ) {}

  async receive(templateId: string, token: string, body: Readable, length: number | null): Promise<UploadResult> {
    // The token first: who holds none learns nothing, not even whether the template exists.
    if (!this.config.secretKey || !isUploadToken(this.config.secretKey, templateId, token)) {
      return { kind: 'forbidden', message: 'the upload token is not valid for this template' };
    }
    const { state, intent } = await this.catalog.load(templateId);
    if (state.status === 'absent' || !intent) return { kind: 'not_found', message: `template ${templateId} does not exist` };
    if (pendingWork(state) !== 'await-upload') return { kind: 'conflict', message: `template ${templateId} is ${state.status}: it is not awaiting an upload` };
    const job = this.jobs.run(templateId, async (signal) => {
      const paths = await this.effects.pathsOn(state.imageStoreId, state);
      if (!paths) throw new Error(`image store ${state.imageStoreId} is unknown`);
      await mkdir(path.dirname(paths.file), { recursive: true });
      const report = this.effects.progressReporter(state, intent);
      let received = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          received += chunk.length;
          report(received, length).then(() => callback(null, chunk), callback);
        },
      });
      try {
        await pipeline(body, counter, createWriteStream(paths.part), { signal });
        if (length !== null && received !== length) throw new Error(`received ${received} of ${length} bytes`);
      } catch (error) {
        await rm(paths.part, { force: true });
        this.log.warn(`upload of template ${templateId} broke off: ${(error as Error).message}`);
        return { kind: 'broken', message: `the upload broke off: ${(error as Error).message}` } as const;
      }
      await report(received, length ?? received, true);
      await this.effects.finishRegistration(state, paths.part, paths, intent);
      return this.outcome(templateId);
    });
    if (!job.started) return { kind: 'conflict', message: `template ${templateId} is already being uploaded` };
    return (await job.done) ?? { kind: 'broken', message: 'the upload could not be stored' };
  }

  private async outcome(templateId: string): Promise<UploadResult> {
    const { state } = await this.catalog.load(templateId);
    const t = state as PresentTemplate;
    return { kind: 'done', templateId, status: t.status, error: t.status === 'failed' ? t.lastError : null };
  }
}
