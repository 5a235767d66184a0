#!/usr/bin/env node
// npm install's postinstall: puts `strata` (bin/strata) on the PATH by a symlink in the first
// writable directory on the PATH among $npm_config_prefix/bin (else npm's global prefix), /usr/local/bin
// and ~/.local/bin.
// Idempotent; says where it linked; never fails the install (it warns instead).
// STRATA_SKIP_CLI_LINK=1 skips it.
import { constants } from 'node:fs';
import { access, lstat, readlink, symlink, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = path.join(ROOT, 'bin', 'strata');
const warn = (message) => console.warn(`link-cli: ${message}`);

/** Where to link, in order of preference, kept only when the directory is on the PATH. */
export function candidates(env = process.env, home = homedir()) {
  const onPath = new Set((env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.resolve(dir)));
  // npm exports npm_config_prefix only when it was configured; npm_config_global_prefix always (npm 7+).
  const prefix = env.npm_config_prefix || env.npm_config_global_prefix;
  const wanted = [prefix ? path.join(prefix, 'bin') : undefined, '/usr/local/bin', path.join(home, '.local', 'bin')];
  return [...new Set(wanted.filter(Boolean).map((dir) => path.resolve(dir)))].filter((dir) => onPath.has(dir));
}

async function writable(dir) {
  try {
    await access(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Links dir/strata to bin/strata: 'linked', 'current' (already ours), or 'occupied' (something else is there). */
async function linkInto(dir) {
  const link = path.join(dir, 'strata');
  const existing = await lstat(link).catch(() => undefined);
  if (existing?.isSymbolicLink()) {
    const current = path.resolve(dir, await readlink(link));
    if (current === TARGET) return 'current';
    // Another checkout's strata: this install takes the name over, saying so.
    warn(`${link} pointed to ${current}; now to ${TARGET}`);
    await unlink(link);
  } else if (existing) {
    warn(`${link} exists and is not a link; left alone`);
    return 'occupied';
  }
  await symlink(TARGET, link);
  return 'linked';
}

async function main() {
  if (process.env.STRATA_SKIP_CLI_LINK === '1') return;
  for (const dir of candidates()) {
    if (!(await writable(dir))) continue;
    const outcome = await linkInto(dir);
    if (outcome === 'occupied') continue;
    console.log(`link-cli: strata ${outcome === 'current' ? 'already linked' : 'linked'} at ${path.join(dir, 'strata')} -> ${TARGET}`);
    return;
  }
  warn(
    `no writable directory on the PATH among $npm_config_prefix/bin, /usr/local/bin, ~/.local/bin: ` +
      `run ${TARGET} directly, or link it yourself (ln -s ${TARGET} <a directory on your PATH>/strata)`,
  );
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main().catch((error) => warn(`could not link strata (${error.message}); run ${TARGET} directly`));
}
