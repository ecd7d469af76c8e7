/**
 * The layer rules of the monorepo, checked on every `npm run lint` (dependency-cruiser).
 * docs/architecture.md §2 says what they are for; this file is where they are enforced.
 *
 * An exception is one import (from a file, to a file), named, with why it is allowed and who
 * removes it. A temporary one names the change that removes it; a permanent one says why the
 * rule does not apply there. Its regexes use no capturing group: the rules' own groups keep
 * their numbers.
 */

const { readdirSync, readFileSync } = require('node:fs');

// Every folder under libs/ is a lib that TypeScript (the @tally/<lib> alias, which Jest maps
// too) and Nest's CLI both know.
const tsPaths = JSON.parse(readFileSync('tsconfig.json', 'utf8')).compilerOptions.paths;
const nestProjects = JSON.parse(readFileSync('nest-cli.json', 'utf8')).projects;
for (const lib of readdirSync('libs')) {
  if (tsPaths[`@tally/${lib}`]?.[0] !== `./libs/${lib}/src`) throw new Error(`tsconfig.json paths: no @tally/${lib}`);
  if (nestProjects[lib]?.sourceRoot !== `libs/${lib}/src`) throw new Error(`nest-cli.json: no project ${lib}`);
}

/** Libs that hold no marketplace domain: every domain lib may use them. */
const PLATFORM = ['shared', 'database', 'auth'];
/** npm packages that domain/ code may use: pure computation, no I/O, no framework. */
const PURE_PACKAGES = ['decimal.js', 'canonicalize', 'ajv'];

const re = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const exceptions = [
  // Permanent.
  {
    rule: 'ledger-is-the-bottom-domain',
    from: '^libs/ledger/src/http/',
    to: '^libs/auth/src/index\\.ts$',
    why: "the ledger's HTTP controllers guard their routes with auth's roles and principal, as every lib's http/ does; auth holds no domain",
  },
  {
    rule: 'libs-import-no-apps-or-tests',
    from: '^libs/database/src/data-source-options\\.ts$',
    to: '^migrations/index\\.ts$',
    why: 'the database lib runs the migrations, whose list lives beside them in migrations/',
  },
  {
    rule: 'lib-only-through-index',
    from: '^apps/prover-agent/src/main\\.ts$',
    to: '^libs/shared/src/config/package-version\\.ts$',
    why: "the prover agent loads no Nest, and shared's index does (its config module); this file uses only node's fs and path",
  },
  {
    rule: 'lib-only-through-index',
    from: '^apps/api/src/tracing\\.ts$',
    to: '^libs/shared/src/config/dot-env\\.ts$',
    why: "the tracing bootstrap runs before http, pg and pino are loaded (their instrumentations patch them as they load), and shared's index loads http; this file uses only process.loadEnvFile",
  },
  {
    rule: 'lib-only-through-index',
    from: '^apps/api/src/operations/tracing/tracing-sdk\\.ts$',
    to: '^libs/shared/src/config/package-version\\.ts$',
    why: "the tracing SDK starts before http, pg and pino are loaded, and shared's index loads http; this file uses only node's fs and path",
  },
  {
    rule: 'lib-only-through-index',
    from: '^test/e2e/scheduler/timeouts\\.e2e-spec\\.ts$',
    to: '^libs/scheduler/src/persistence/scheduling\\.repository\\.ts$',
    why: "calls the sweep's two orphan reads directly to pin a clock race between them, which no route or command exposes on its own",
  },
];

const rules = [
  {
    name: 'no-circular',
    comment: 'No import cycles, within a lib or between libs (docs/architecture.md §2).',
    severity: 'error',
    from: {},
    to: { circular: true },
  },
  {
    name: 'not-to-unresolvable',
    comment: 'Every import resolves: an alias this checker cannot follow would hide every rule below.',
    severity: 'error',
    from: {},
    to: { couldNotResolve: true },
  },
  {
    name: 'domain-is-pure',
    comment:
      "domain/ is pure TypeScript: no Nest, TypeORM, pg or other infrastructure package (only node's core and " +
      `${PURE_PACKAGES.join(', ')}), not the database lib, and nothing of its own lib outside domain/. ` +
      'Its unit specs may use test libraries.',
    severity: 'error',
    from: { path: '^libs/([^/]+)/src/domain/', pathNot: '\\.spec\\.ts$' },
    to: {
      path: [`^node_modules/(?!(${PURE_PACKAGES.map(re).join('|')})/)`, '^libs/database/', '^libs/$1/src/(?!domain/)'],
    },
  },
  {
    name: 'lib-only-through-index',
    comment: 'Another lib is imported only through its index.ts (`@tally/<lib>`), never a file inside its src/.',
    severity: 'error',
    from: { path: '^(libs/[^/]+/|apps/|test/|migrations/)' },
    to: { path: '^libs/[^/]+/src/', pathNot: ['^$1', '^libs/[^/]+/src/index\\.ts$'] },
  },
  {
    name: 'lib-through-its-alias',
    comment: 'Another lib is imported as `@tally/<lib>`, not by a relative path to its index.ts.',
    severity: 'error',
    from: { path: '^(libs/[^/]+/|apps/|test/|migrations/)' },
    to: { path: '^libs/[^/]+/src/index\\.ts$', pathNot: '^$1', dependencyTypes: ['local'] },
  },
  {
    name: 'ledger-is-the-bottom-domain',
    comment: 'ledger imports no other domain lib: only shared and database.',
    severity: 'error',
    from: { path: '^libs/ledger/' },
    to: { path: '^libs/', pathNot: '^libs/(ledger|shared|database)/' },
  },
  {
    name: 'shared-is-the-base',
    comment: 'shared imports no other lib.',
    severity: 'error',
    from: { path: '^libs/shared/' },
    to: { path: '^libs/', pathNot: '^libs/shared/' },
  },
  {
    name: 'platform-below-domain',
    comment: `The platform libs (${PLATFORM.join(', ')}) import no domain lib.`,
    severity: 'error',
    from: { path: '^libs/(database|auth)/' },
    to: { path: '^libs/', pathNot: `^libs/(${PLATFORM.join('|')})/` },
  },
  {
    name: 'libs-import-no-apps-or-tests',
    comment: 'A lib imports no app, no test code and no migration.',
    severity: 'error',
    from: { path: '^libs/' },
    to: { path: '^(apps|test|migrations)/' },
  },
  {
    name: 'sdk-bundles-only-pure-code',
    comment:
      'The SDK (packages/sdk) is bundled into a tarball that must install without Nest, TypeORM or a database: ' +
      'of the repo it takes only files that import nothing of the service (the offline verifiers, the error ' +
      'codes, the micros formatting), and of npm only its own dependencies. Its unit specs may use test ' +
      'libraries.',
    severity: 'error',
    from: { path: '^packages/sdk/src/', pathNot: '\\.spec\\.ts$' },
    to: {
      pathNot: [
        '^packages/sdk/src/',
        '^libs/receipts/src/offline/(?!.*\\.spec\\.ts$)',
        '^libs/shared/src/errors/error-code\\.ts$',
        '^libs/shared/src/money/micros\\.ts$',
        '^node_modules/(openapi-fetch|eventsource-parser|canonicalize)/',
        '^node:',
        '^(crypto)$',
      ],
    },
  },
  {
    name: 'dashboard-uses-only-the-sdk',
    comment:
      'The admin dashboard (apps/dashboard) runs in a browser and sees the service only through its API: ' +
      'it imports its own files, the SDK (packages/sdk/src: the typed client, the offline verifiers) and npm ' +
      'packages, nothing of the libs or other apps.',
    severity: 'error',
    from: { path: '^apps/dashboard/', pathNot: '\\.spec\\.ts$' },
    to: { pathNot: ['^apps/dashboard/', '^packages/sdk/src/', '^node_modules/'] },
  },
  {
    name: 'nothing-imports-the-dashboard',
    comment: 'The dashboard is a separate browser app: no other code imports it (the API serves its built files).',
    severity: 'error',
    from: { pathNot: '^apps/dashboard/' },
    to: { path: '^apps/dashboard/' },
  },
  {
    name: 'apps-import-no-tests',
    comment: 'An app imports no test code.',
    severity: 'error',
    from: { path: '^apps/' },
    to: { path: '^test/' },
  },
];

/**
 * A rule with exceptions becomes the rule minus the exceptions' source files, plus, for each
 * such file, the rule minus the exception's targets: an exception lets through one import, not
 * a whole file.
 */
function applyExceptions(rule) {
  const own = exceptions.filter((e) => e.rule === rule.name);
  if (own.length === 0) return [rule];
  const asList = (p) => (p === undefined ? [] : Array.isArray(p) ? p : [p]);
  const sources = [...new Set(own.map((e) => e.from))];
  return [
    { ...rule, from: { ...rule.from, pathNot: [...asList(rule.from.pathNot), ...sources] } },
    ...sources.map((source) => ({
      ...rule,
      // The lookahead keeps the rule's own path, and so its capture groups, for the to-side.
      from: { ...rule.from, path: `(?=${source})${rule.from.path}` },
      to: {
        ...rule.to,
        pathNot: [...asList(rule.to.pathNot), ...own.filter((e) => e.from === source).map((e) => e.to)],
      },
    })),
  ];
}

for (const e of exceptions) {
  if (!rules.some((r) => r.name === e.rule)) throw new Error(`exception for unknown rule ${e.rule}`);
}

module.exports = {
  forbidden: rules.flatMap(applyExceptions),
  options: {
    // TypeScript 7 has no compiler API for the checker to parse with; swc parses TypeScript,
    // type-only imports included.
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: '^node_modules/' },
    // The dashboard's .tsx files: the swc parser here reads no JSX. ESLint checks their imports
    // (eslint.config.mjs) by the rule dashboard-uses-only-the-sdk states.
    exclude: { path: ['^(dist|data|coverage|packages/[^/]+/dist|apps/dashboard/dist)/', '\\.tsx$'] },
    // Packages that name their entry only in "exports" (@nats-io/*, whose "types" points at no file).
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['require', 'node', 'default', 'import', 'types'],
    },
  },
};
