import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { ChunkStores, type ChunkStore } from '../../engine/ports';
import { BackupTargetErrors } from '../domain/backup-target';
import { DirectoryChunkStore } from '../infrastructure/directory-chunk-store';
import { S3ChunkStore } from '../infrastructure/s3-chunk-store';
import { TargetSecrets } from '../infrastructure/target-secrets';
import { BackupTargetReader } from './backup-target-reader';
import { settingsFromRecord } from './target-settings';

/**
 * A target's chunk store from its recorded settings and its opened credentials. A target's
 * settings never change once added, so an S3 store (and its connections) is kept per target.
 */
@Injectable()
export class TargetChunkStores extends ChunkStores implements OnModuleDestroy {
  private readonly s3Stores = new Map<string, S3ChunkStore>();

  constructor(
    private readonly targets: BackupTargetReader,
    private readonly secrets: TargetSecrets,
  ) {
    super();
  }

  async storeFor(targetId: string): Promise<ChunkStore> {
    const target = await this.targets.get(targetId);
    if (target.status !== 'active') {
      this.drop(targetId);
      throw BackupTargetErrors.notFound(targetId);
    }
    if (target.kind === 'directory') return new DirectoryChunkStore(String(target.config.path));
    const cached = this.s3Stores.get(targetId);
    if (cached) return cached;
    const settings = settingsFromRecord(targetId, target.kind, target.config, await this.secrets.load(targetId));
    if (settings.kind !== 's3') throw new Error('unreachable: an s3 target read back as another kind');
    const store = new S3ChunkStore(settings);
    this.s3Stores.set(targetId, store);
    return store;
  }

  onModuleDestroy(): void {
    for (const id of [...this.s3Stores.keys()]) this.drop(id);
  }

  private drop(targetId: string): void {
    this.s3Stores.get(targetId)?.destroy();
    this.s3Stores.delete(targetId);
  }
}
