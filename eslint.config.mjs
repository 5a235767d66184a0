// Lint as architecture: which project may import which (Nx tags), what pure
// code may not touch (Nest, TypeORM, pg, Kafka), and the import shapes that
// cause cycles. Type-aware rules are left out to keep `eslint .` fast; tsc
// does the type checking.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const root = dirname(fileURLToPath(import.meta.url));

// @nx/enforce-module-boundaries only reads a cached project graph and skips
// itself (with a mere warning) when there is none, e.g. on a fresh clone.
// Computing it here means `eslint .` always checks boundaries; the graph also
// tells the local rules below where each project lives.
process.env.NX_DAEMON ??= 'false';
let graph;
try {
  const { createProjectGraphAsync } = await import('@nx/devkit');
  graph = await createProjectGraphAsync({ exitOnError: false });
} catch (error) {
  console.warn(`eslint.config.mjs: could not compute the Nx project graph (${error}); module boundaries are not checked`);
}

/** Every Nx project (root, package name, tags): from the graph, else from the project.json files under libs/ and apps/. */
const projects = graph
  ? Object.values(graph.nodes)
      .filter((node) => node.data.root !== '.' && node.data.root !== '')
      .map((node) => ({
        dir: node.data.root,
        packageName: node.data.metadata?.js?.packageName ?? readJson(join(node.data.root, 'package.json'))?.name,
        tags: node.data.tags ?? [],
      }))
  : ['libs', 'apps'].flatMap((kind) =>
      existsSync(join(root, kind))
        ? readdirSync(join(root, kind))
            .map((name) => join(kind, name))
            .filter((dir) => existsSync(join(root, dir, 'project.json')))
            .map((dir) => ({
              dir,
              packageName: readJson(join(dir, 'package.json'))?.name,
              tags: readJson(join(dir, 'project.json'))?.tags ?? [],
            }))
        : [],
    );

function readJson(path) {
  try {
    return JSON.parse(readFileSync(join(root, path), 'utf8'));
  } catch {
    return undefined;
  }
}

// ---- Module boundaries (Nx tags) ----------------------------------------

const ALL_NON_APP = ['type:kernel', 'type:scheduling', 'type:contracts', 'type:plugin-sdk', 'type:backend', 'type:infra', 'type:platform', 'type:pool-access'];

/** Who may import whom; tests may also use the shared test helpers (type:testing). */
function depConstraints({ inTests }) {
  const withTesting = (tags) => (inTests ? [...tags, 'type:testing'] : tags);
  const scopes = [...new Set(projects.flatMap((p) => p.tags).filter((tag) => tag.startsWith('scope:')))];
  return [
    { sourceTag: 'type:kernel', onlyDependOnLibsWithTags: withTesting([]) },
    { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: withTesting(['type:kernel']) },
    // Schedules, due runs and retention: pure like the kernel, and croner (a calculator, no timers) its only outside import.
    { sourceTag: 'type:scheduling', onlyDependOnLibsWithTags: withTesting(['type:kernel']), allowedExternalImports: ['croner'] },
    // The SDK is what third-party plugins build on: no framework, only the validation library and
    // undici (its fetch: Node's bundled one can crash the process, see libs/plugin-sdk/src/http.ts),
    // and the OpenTelemetry API (no SDK: a no-op until a service sets tracing up).
    {
      sourceTag: 'type:plugin-sdk',
      onlyDependOnLibsWithTags: withTesting([]),
      allowedExternalImports: ['class-validator', 'class-transformer', 'undici', '@opentelemetry/api'],
    },
    // Backends see the SDK and node built-ins, nothing else (the SDK re-exports the
    // class-validator decorators, so the SDK alone decides the validation library).
    { sourceTag: 'type:backend', onlyDependOnLibsWithTags: withTesting(['type:plugin-sdk']), allowedExternalImports: [] },
    { sourceTag: 'type:infra', onlyDependOnLibsWithTags: withTesting(['type:kernel', 'type:contracts']) },
    { sourceTag: 'type:platform', onlyDependOnLibsWithTags: withTesting(['type:kernel', 'type:contracts', 'type:infra']) },
    // The services that call storage backends share how they reach a pool (driver, sealed credentials).
    {
      sourceTag: 'type:pool-access',
      onlyDependOnLibsWithTags: withTesting(['type:kernel', 'type:contracts', 'type:infra', 'type:platform', 'type:plugin-sdk', 'type:backend']),
    },
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: withTesting(ALL_NON_APP) },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: [] },
    // The end-to-end suite drives the system from outside: messages and test support only.
    // The REST client knows only the API's document; the operator CLI (apps/cli) only that client.
    { sourceTag: 'type:client', onlyDependOnLibsWithTags: withTesting([]) },
    { sourceTag: 'type:cli', onlyDependOnLibsWithTags: withTesting(['type:client']) },
    { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:contracts', 'type:kernel', 'type:infra', 'type:testing'] },
    // Services talk through Kafka, never through each other's code.
    ...scopes.map((scope) => ({ sourceTag: scope, notDependOnLibsWithTags: scopes.filter((s) => s !== scope) })),
  ];
}

function boundaries(inTests) {
  return [
    'error',
    { enforceBuildableLibDependency: false, allow: [], depConstraints: depConstraints({ inTests }) },
  ];
}

// ---- Local rules: import shapes that break projects apart ----------------

/** Nearest project of a file, by the longest matching project root. */
function projectOf(filename) {
  const rel = relative(root, filename).split(sep).join('/');
  return projects
    .filter((p) => rel === p.dir || rel.startsWith(`${p.dir}/`))
    .sort((a, b) => b.dir.length - a.dir.length)[0];
}

/** Calls `check(node, specifier)` for every static, dynamic and require() import of a string. */
function onImports(check) {
  const fromSource = (node) => {
    if (node.source && typeof node.source.value === 'string') check(node.source, node.source.value);
  };
  return {
    ImportDeclaration: fromSource,
    ExportAllDeclaration: fromSource,
    ExportNamedDeclaration: fromSource,
    ImportExpression: fromSource,
    TSImportEqualsDeclaration(node) {
      const expr = node.moduleReference?.expression;
      if (expr && typeof expr.value === 'string') check(expr, expr.value);
    },
    CallExpression(node) {
      const [arg] = node.arguments;
      if (node.callee.type === 'Identifier' && node.callee.name === 'require' && arg?.type === 'Literal' && typeof arg.value === 'string') {
        check(arg, arg.value);
      }
    },
  };
}

const strata = {
  rules: {
    'no-relative-import-across-projects': {
      meta: {
        type: 'problem',
        messages: {
          across:
            "'{{specifier}}' reaches from project {{from}} into {{to}} by path; import it by its package name ({{pkg}}) so the boundary rules see it.",
        },
        schema: [],
      },
      create(context) {
        const from = projectOf(context.filename);
        if (!from) return {};
        return onImports((node, specifier) => {
          if (!specifier.startsWith('.') && !specifier.startsWith('/')) return;
          const target = resolve(dirname(context.filename), specifier);
          const to = projectOf(target);
          if (to && to !== from) {
            context.report({ node, messageId: 'across', data: { specifier, from: from.dir, to: to.dir, pkg: to.packageName ?? to.dir } });
          }
        });
      },
    },
    'no-self-package-import': {
      meta: {
        type: 'problem',
        messages: {
          self: "'{{specifier}}' is this project's own public barrel; import the file relatively (importing your own index creates an import cycle).",
        },
        schema: [],
      },
      create(context) {
        const own = projectOf(context.filename)?.packageName;
        if (!own) return {};
        return onImports((node, specifier) => {
          if (specifier === own || specifier.startsWith(`${own}/`)) context.report({ node, messageId: 'self', data: { specifier } });
        });
      },
    },
  },
};

// ---- Pure code: no framework, no database, no broker ---------------------

const FRAMEWORK_IMPORTS = {
  patterns: [
    {
      group: ['@nestjs/*', 'typeorm', 'typeorm/*', 'pg', 'pg/*', 'kafkajs', 'kafkajs/*'],
      message:
        'Domain code, the kernel, the plugin SDK and the backends stay free of Nest, TypeORM, pg and Kafka: take what you need through a port.',
    },
  ],
};

const NODE_GLOBALS = Object.fromEntries(
  [
    'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'fetch', 'AbortController', 'AbortSignal',
    'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate',
    'queueMicrotask', 'structuredClone', 'TextEncoder', 'TextDecoder', 'performance',
  ].map((name) => [name, 'readonly']),
);
const COMMONJS_GLOBALS = { require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly', __filename: 'readonly' };

export default defineConfig(
  { ignores: ['**/dist/**', '**/node_modules/**', '.strata/**', '.nx/**', '**/coverage/**', 'bench-results/**'] },
  ...nx.configs['flat/base'],

  // JavaScript (scripts, jest and test setup).
  { files: ['**/*.{js,mjs,cjs}'], ...js.configs.recommended },
  { files: ['**/*.{js,mjs}'], languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: NODE_GLOBALS } },
  { files: ['**/*.cjs'], languageOptions: { ecmaVersion: 2023, sourceType: 'commonjs', globals: { ...NODE_GLOBALS, ...COMMONJS_GLOBALS } } },

  // TypeScript.
  ...tseslint.configs.recommended.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    plugins: { strata },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(false),
      'strata/no-relative-import-across-projects': 'error',
      'strata/no-self-package-import': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // forwardRef hides a module cycle instead of removing it.
    files: ['**/*.{ts,js,mjs,cjs}'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.name='forwardRef']", message: 'forwardRef hides a cycle; break it with a port or a message.' },
        { selector: "CallExpression[callee.property.name='forwardRef']", message: 'forwardRef hides a cycle; break it with a port or a message.' },
      ],
    },
  },
  {
    files: ['**/domain/**/*.ts', 'libs/kernel/**/*.ts', 'libs/scheduling/**/*.ts', 'libs/plugin-sdk/**/*.ts', 'libs/backends/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', FRAMEWORK_IMPORTS] },
  },

  // Tests: the shared test helpers are allowed, and `any` is tolerated but visible.
  {
    files: ['**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(true),
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    // The LINSTOR contract check (tests only) validates the simulator's traffic against
    // LINBIT's OpenAPI spec with these root dev packages; the backend code itself stays SDK-only.
    files: ['libs/backends/src/linstor/**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: depConstraints({ inTests: true }).map((constraint) =>
            constraint.sourceTag === 'type:backend' ? { ...constraint, allowedExternalImports: ['ajv', 'ajv-formats', 'yaml'] } : constraint,
          ),
        },
      ],
    },
  },
);
