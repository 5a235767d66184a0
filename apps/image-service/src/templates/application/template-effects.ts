import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import type { ErrorInfo } from '@strata/contracts';
import { Clock, crashPoint, type CommandMeta, type RecoveryOutcome } from '@strata/service-kit';
import { TemplateBases } from '../../bases/bases.providers';
import { ImageStoreCatalog } from '../../image-stores/application/image-store-catalog';
import { progressDue, type ProgressMark } from '../domain/progress';
import { pendingWork, percentOf, storesTouched, templateFile, type PresentTemplate } from '../domain/template';
import { DownloadFailed, downloadToPart } from '../infrastructure/http-download';
import { inspectImage, sha256Of } from '../infrastructure/image-inspection';
import { TemplateCatalog } from './template-catalog';
import { TemplateCommandRunner } from './template-command-runner';
import { TemplateJobs } from './template-jobs';

type Registering = PresentTemplate & { readonly status: 'registering' };
type Copying = PresentTemplate & { readonly copying: NonNullable<PresentTemplate['copying']> };

/** Where a template's file goes on a store, and the partial file it is written to first. */
export interface TemplatePaths {
  readonly file: string;
  readonly part: string;
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );

const failure = (code: string, message: string): ErrorInfo => ({ code, category: 'backend', message });

/**
 * The file side of every template intent, after it is recorded: download (resumable) and
 * verification, the copy to another zone's store, the deletion of every copy. Runs in the
 * background through TemplateJobs (a download may take hours and must not hold a Kafka
 * partition). Each step is safe to repeat, so recovery simply runs it again.
 */
@Injectable()
export class TemplateEffects {
  private readonly log = new Logger(TemplateEffects.name);

  constructor(
    private readonly catalog: TemplateCatalog,
    private readonly stores: ImageStoreCatalog,
    private readonly templates: TemplateCommandRunner,
    private readonly jobs: TemplateJobs,
    private readonly bases: TemplateBases,
    private readonly clock: Clock,
  ) {}

  /** Starts the template's pending work in the background; 'nothing_to_do' when none is pending or it runs already. */
  async start(templateId: string): Promise<RecoveryOutcome> {
    if (this.jobs.busy(templateId)) return 'nothing_to_do';
    const work = pendingWork((await this.catalog.load(templateId)).state);
    if (work === null || work === 'await-upload') return 'nothing_to_do';
    return this.jobs.run(templateId, (signal) => this.perform(templateId, signal)).started ? 'started' : 'nothing_to_do';
  }

  /** Stops a download or copy under way (a deletion is coming), waiting until its files are let go. */
  interrupt(templateId: string): Promise<void> {
    return this.jobs.interrupt(templateId);
  }

  async pathsOn(imageStoreId: string, t: PresentTemplate): Promise<TemplatePaths | null> {
    const store = await this.stores.get(imageStoreId);
    if (!store) return null;
    const file = path.join(store.path, templateFile(t.templateId, t.format));
    return { file, part: `${file}.part` };
  }

  /** A reporter of a transfer's progress: an event at most every tenth and once a second. */
  progressReporter(t: PresentTemplate, meta: CommandMeta): (bytesDone: number, bytesTotal: number | null, final?: boolean) => Promise<void> {
    let last: ProgressMark | null = null;
    return async (bytesDone, bytesTotal, final = false) => {
      const now = this.clock.now().getTime();
      const percent = percentOf(bytesDone, bytesTotal);
      if (!progressDue(last, percent, now, final)) return;
      last = { percent, at: now };
      await this.templates.record(t.templateId, { type: 'RecordTransferProgress', bytesDone, bytesTotal }, meta);
    };
  }

  /**
   * Verifies a received file (checksum, real format, size) and records the outcome: the file
   * moved to its final name and TemplateRegistered, or the file removed and TemplateRegistrationFailed.
   */
  async finishRegistration(t: PresentTemplate, received: string, paths: TemplatePaths, meta: CommandMeta): Promise<RecoveryOutcome> {
    const verdict = await inspectImage(received, { kind: t.kind, format: t.format, checksum: t.checksum });
    if (!verdict.ok) {
      this.log.warn(`template ${t.templateId} refused: ${verdict.error.code}: ${verdict.error.message}`);
      await rm(received, { force: true });
      await this.templates.record(t.templateId, { type: 'RecordRegistrationFailed', error: verdict.error }, meta);
      return 'done';
    }
    if (received !== paths.file) await rename(received, paths.file);
    await this.templates.record(t.templateId, { type: 'RecordRegistered', ...verdict.file }, meta);
    return 'done';
  }

  private async perform(templateId: string, signal: AbortSignal): Promise<RecoveryOutcome> {
    // Read again inside the job: the state may have moved since start() looked.
    const { state, intent } = await this.catalog.load(templateId);
    if (state.status === 'absent' || !intent) return 'nothing_to_do';
    switch (pendingWork(state)) {
      case 'download':
        return this.download(state as Registering, intent, signal);
      case 'verify-export':
        return this.verifyExport(state as Registering, intent);
      case 'copy':
        return this.copy(state as Copying, intent, signal);
      case 'delete':
        return this.delete(state, intent);
      default:
        return 'nothing_to_do';
    }
  }

  private async download(t: Registering, meta: CommandMeta, signal: AbortSignal): Promise<RecoveryOutcome> {
    if (t.source.kind !== 'url') return 'nothing_to_do';
    const paths = await this.pathsOn(t.imageStoreId, t);
    if (!paths) {
      await this.templates.record(t.templateId, { type: 'RecordRegistrationFailed', error: failure('image.store_unavailable', `image store ${t.imageStoreId} is unknown`) }, meta);
      return 'done';
    }
    await mkdir(path.dirname(paths.file), { recursive: true });
    // A crash between the rename and the record leaves the whole file under its final name: verify it again.
    if ((await exists(paths.file)) && !(await exists(paths.part))) return this.finishRegistration(t, paths.file, paths, meta);
    const report = this.progressReporter(t, meta);
    try {
      const { bytes, resumed } = await downloadToPart(t.source.url, paths.part, { signal, onProgress: (done, total) => report(done, total) });
      await report(bytes, bytes, true);
      this.log.log(`template ${t.templateId}: downloaded ${bytes} bytes${resumed ? ' (resumed)' : ''}`);
    } catch (error) {
      if (signal.aborted) return 'retry_later';
      if (!(error instanceof DownloadFailed)) throw error;
      await rm(paths.part, { force: true });
      await this.templates.record(t.templateId, { type: 'RecordRegistrationFailed', error: failure('image.download_failed', `download failed: ${error.message}`) }, meta);
      return 'done';
    }
    return this.finishRegistration(t, paths.part, paths, meta);
  }

  /**
   * A template made from a volume: the storage service wrote the file under its final name
   * (through a partial file of its own), so it is verified where it is, as a download is.
   */
  private async verifyExport(t: Registering, meta: CommandMeta): Promise<RecoveryOutcome> {
    const paths = await this.pathsOn(t.imageStoreId, t);
    const error = !paths
      ? failure('image.store_unavailable', `image store ${t.imageStoreId} is unknown`)
      : !(await exists(paths.file))
        ? failure('image.unreadable', `the exported file ${paths.file} is not on the image store (is it mounted at the same path on the data mover?)`)
        : null;
    if (error || !paths) {
      await this.templates.record(t.templateId, { type: 'RecordRegistrationFailed', error: error as ErrorInfo }, meta);
      return 'done';
    }
    return this.finishRegistration(t, paths.file, paths, meta);
  }

  /** From the existing copy, never downloaded again: copied to a partial file, checked against the recorded sha256, renamed. */
  private async copy(t: Copying, meta: CommandMeta, signal: AbortSignal): Promise<RecoveryOutcome> {
    const { fromImageStoreId, toImageStoreId } = t.copying;
    const [from, to] = await Promise.all([this.pathsOn(fromImageStoreId, t), this.pathsOn(toImageStoreId, t)]);
    let error: ErrorInfo | null = null;
    if (!from || !to) error = failure('image.store_unavailable', `image store ${from ? toImageStoreId : fromImageStoreId} is unknown`);
    else {
      try {
        await mkdir(path.dirname(to.file), { recursive: true });
        await copyFile(from.file, to.part);
        if (signal.aborted) return 'retry_later';
        const sha256 = await sha256Of(to.part);
        if (sha256 !== t.sha256) error = failure('image.checksum_mismatch', `the copy's sha256 is ${sha256}, the template's ${t.sha256}`);
        else await rename(to.part, to.file);
      } catch (e) {
        if (signal.aborted) return 'retry_later';
        error = failure('image.copy_failed', `copy to image store ${toImageStoreId} failed: ${(e as Error).message}`);
      }
      if (error) await rm(to.part, { force: true });
    }
    await this.templates.record(t.templateId, error ? { type: 'RecordCopyFailed', error } : { type: 'RecordCopied' }, meta);
    return 'done';
  }

  /** Every copy's file (and any partial one) on every store it touched; then the cached bases are retired. */
  private async delete(t: PresentTemplate, meta: CommandMeta): Promise<RecoveryOutcome> {
    for (const imageStoreId of storesTouched(t)) {
      const paths = await this.pathsOn(imageStoreId, t);
      if (!paths) continue;
      // A store that cannot be reached throws here: the deletion stays pending for recovery.
      await rm(paths.file, { force: true });
      await rm(paths.part, { force: true });
    }
    if (await this.templates.record(t.templateId, { type: 'RecordDeleted' }, meta)) {
      // The template is deleted, no base asked to go yet: the retirement sweep must find them.
      crashPoint('template.after-deleted');
      await this.bases.retireBasesOf(t.templateId, meta);
    }
    return 'done';
  }
}
