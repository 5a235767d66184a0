#!/usr/bin/env node
// libs/client/src/generated/schema.ts from libs/client/openapi.json (openapi-typescript).
//   node scripts/client-types.mjs          writes the file
//   node scripts/client-types.mjs --check  exits 1 when the file is not what the document gives
// The check runs in libs/client's unit tests, so a stale schema.ts fails CI.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOCUMENT = path.join(ROOT, 'libs', 'client', 'openapi.json');
const OUTPUT = path.join(ROOT, 'libs', 'client', 'src', 'generated', 'schema.ts');
const REGENERATE = 'node scripts/client-types.mjs';

/** The text schema.ts must hold for the document as it is now. */
export async function generateSchema() {
  const document = JSON.parse(await readFile(DOCUMENT, 'utf8'));
  // defaultNonNullable off: a request field with a default stays optional for the caller.
  const ast = await openapiTS(document, { alphabetize: true, defaultNonNullable: false });
  return `${COMMENT_HEADER}// Source: libs/client/openapi.json. Regenerate: ${REGENERATE}\n\n${astToString(ast)}`;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const expected = await generateSchema();
  if (process.argv.includes('--check')) {
    const current = await readFile(OUTPUT, 'utf8').catch(() => '');
    if (current !== expected) {
      console.error(`libs/client/src/generated/schema.ts is stale: run ${REGENERATE}`);
      process.exit(1);
    }
    console.log('libs/client/src/generated/schema.ts is current');
  } else {
    await writeFile(OUTPUT, expected);
    console.log(`wrote ${path.relative(ROOT, OUTPUT)}`);
  }
}
