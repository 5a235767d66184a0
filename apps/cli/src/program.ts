import { Command, CommanderError, Option } from 'commander';
import { registerBackups } from './commands/backups';
import { registerJobs } from './commands/jobs';
import { registerPools } from './commands/pools';
import { registerSnapshots } from './commands/snapshots';
import { registerVolumes } from './commands/volumes';
import type { Io } from './context';
import { describeFailure, EXIT } from './output/errors';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The whole command tree; nothing here exits the process (run returns the exit code). */
export function buildProgram(io: Io): Command {
  const program = new Command('strata')
    .description("Strata's operator CLI: pools, volumes, snapshots, backups and jobs through the orchestrator's REST API")
    .version('0.1.0')
    .addOption(new Option('--url <url>', "the orchestrator's REST API (env: STRATA_URL)").default(DEFAULT_URL))
    // Never echoed: help names only the variable.
    .addOption(new Option('--api-key <key>', 'API key, sent as Authorization: Bearer (env: STRATA_API_KEY)'))
    .addOption(new Option('--tenant <tenant>', 'act for this tenant: X-Tenant, for admin and operator keys (env: STRATA_TENANT)'))
    .addOption(new Option('-o, --output <format>', 'table for people, json (the API answer as is) for scripts').choices(['table', 'json']).default('table'))
    .showHelpAfterError('(strata --help lists the commands)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  // The environment is read here rather than by commander's Option.env(), which reads process.env:
  // io.env is the one source (a flag still wins, being parsed later).
  for (const [name, variable] of [
    ['url', 'STRATA_URL'],
    ['apiKey', 'STRATA_API_KEY'],
    ['tenant', 'STRATA_TENANT'],
  ] as const) {
    const value = io.env[variable];
    if (value !== undefined && value !== '') program.setOptionValueWithSource(name, value, 'env');
  }
  registerPools(program, io);
  registerVolumes(program, io);
  registerSnapshots(program, io);
  registerBackups(program, io);
  registerJobs(program, io);
  return program;
}

/** Runs one command line (without node and script); resolves to the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end well; every other commander error (a missing subcommand too) is a usage error, already printed.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    const { text, exitCode } = describeFailure(error);
    io.stderr.write(`${text}\n`);
    return exitCode;
  }
}
