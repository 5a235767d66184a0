import { Logger, type INestApplication } from '@nestjs/common';
import { ReadModelRebuild } from '../application/read-model-rebuild';

export const REBUILD_FLAG = '--rebuild-read-models';

/**
 * `--rebuild-read-models`: the app starts (migrations, consumers), rebuilds its read models and
 * only then is handed back to listen. So nothing is served meanwhile: readiness (and liveness)
 * answer only once the replay has caught up. A restart during it continues the same rebuild.
 */
export async function rebuildBeforeServing(app: INestApplication, argv: readonly string[] = process.argv): Promise<boolean> {
  if (!argv.includes(REBUILD_FLAG)) return false;
  const log = new Logger('ReadModelRebuild');
  await app.init();
  log.log('rebuilding the read models before serving (--rebuild-read-models)');
  const state = await app.get(ReadModelRebuild).runToCompletion();
  log.log(`read models rebuilt (generation ${state.generation}, ${state.eventsReplayed} events); serving`);
  return true;
}
