import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.join(__dirname, '..', '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'link-cli.mjs');
const WRAPPER = path.join(ROOT, 'bin', 'strata');
const run = promisify(execFile);

/**
 * scripts/link-cli.mjs (npm install's postinstall), pointed at a throwaway prefix: the PATH holds
 * only that prefix's bin, so the machine's own directories are never candidates.
 */
describe('linking strata onto the PATH', () => {
  let prefix: string;
  const link = () => path.join(prefix, 'bin', 'strata');
  const linkCli = (env: Record<string, string> = {}) =>
    run(process.execPath, [SCRIPT], { env: { PATH: path.join(prefix, 'bin'), HOME: prefix, npm_config_prefix: prefix, ...env } });

  beforeEach(async () => {
    prefix = await mkdtemp(path.join(tmpdir(), 'strata-link-'));
    await mkdir(path.join(prefix, 'bin'));
  });

  afterEach(async () => {
    await rm(prefix, { recursive: true, force: true });
  });

  it('links $npm_config_prefix/bin/strata to bin/strata and says where', async () => {
    const { stdout } = await linkCli();
    expect(await readlink(link())).toBe(WRAPPER);
    expect(stdout).toContain(`strata linked at ${link()}`);
  });

  it("takes npm's global prefix when no prefix was configured", async () => {
    await linkCli({ npm_config_prefix: '', npm_config_global_prefix: prefix });
    expect(await readlink(link())).toBe(WRAPPER);
  });

  it('is idempotent', async () => {
    await linkCli();
    const { stdout } = await linkCli();
    expect(stdout).toContain('already linked');
    expect(await readlink(link())).toBe(WRAPPER);
  });

  it('leaves a file that is not a link alone and warns, without failing', async () => {
    await writeFile(link(), '#!/bin/sh\n');
    const { stderr } = await linkCli();
    expect(stderr).toContain('exists and is not a link; left alone');
    expect(stderr).toContain('no writable directory on the PATH');
  });

  it('warns, and still succeeds, when no candidate directory is on the PATH', async () => {
    const { stderr } = await linkCli({ PATH: path.join(prefix, 'elsewhere') });
    expect(stderr).toContain(`run ${WRAPPER} directly`);
  });
});
