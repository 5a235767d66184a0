#!/usr/bin/env node
// Thin CLI over scripts/lib/infra.mjs.
//   node scripts/infra.mjs up                       ensure PostgreSQL + Kafka, write .strata/env,
//                                                   print DATABASE_URL=... / KAFKA_BROKERS=... on stdout
//   node scripts/infra.mjs down [--kafka|--postgres] stop what the scripts started (default: both)
//   node scripts/infra.mjs status                   exit 0 when both answer, 1 otherwise
// Logs go to stderr. Exit codes: 0 ok, 1 failure / not running, 2 usage.
import { ensureInfra, infraStatus, stopInfra } from './lib/infra.mjs';

const [cmd, ...args] = process.argv.slice(2);

async function main() {
  switch (cmd) {
    case 'up': {
      const r = await ensureInfra({});
      process.stdout.write(`DATABASE_URL=${r.databaseUrl}\nKAFKA_BROKERS=${r.kafkaBrokers}\n`);
      return 0;
    }
    case 'down': {
      const only = new Set(args);
      const unknown = [...only].filter((a) => a !== '--kafka' && a !== '--postgres');
      if (unknown.length) return usage(`unknown option ${unknown.join(' ')}`);
      const all = only.size === 0;
      await stopInfra({ kafka: all || only.has('--kafka'), postgres: all || only.has('--postgres') });
      return 0;
    }
    case 'status': {
      const s = await infraStatus();
      for (const [name, v] of Object.entries(s)) {
        process.stdout.write(`${name}: ${v.detail.replaceAll('\n', `\n${' '.repeat(name.length + 2)}`)}\n`);
      }
      return s.postgres.running && s.kafka.running ? 0 : 1;
    }
    default:
      return usage(cmd ? `unknown command ${cmd}` : 'missing command');
  }
}

function usage(msg) {
  process.stderr.write(`${msg}\nusage: node scripts/infra.mjs <up|down [--kafka|--postgres]|status>\n`);
  return 2;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`[infra] ERROR: ${err.message}\n`);
    process.exitCode = 1;
  },
);
