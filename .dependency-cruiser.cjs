// The architecture's layer rules, checked by `npm run layers` and by `npm test` before Jest
// (see ARCHITECTURE in the README). Paths are relative to the repository root; the @app/* aliases
// are resolved through tsconfig.json, so `@app/domain` counts as libs/domain/src.
const SPEC = '\\.spec\\.ts$';

/**
 * apps/api and apps/worker are separate processes: one rule each way, the same reason.
 * @param {string} app the importing app's folder under apps/
 * @param {string} other the app it may not import
 * @returns {import('dependency-cruiser').IForbiddenRuleType}
 */
function appDoesNotImport(app, other) {
  return {
    name: `${app}-does-not-import-${other}`,
    severity: 'error',
    comment:
      'apps/api and apps/worker are separate processes that share only libs/ and workflows/; ' +
      'what both need belongs in a library.',
    from: { path: `^apps/${app}/` },
    to: { path: `^apps/${other}/` },
  };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle means neither module can be understood, tested or moved without the other; ' +
        'put what both need in a third module that imports neither.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'libs/domain is types and functions only (deciders, rules, time as an input): no npm package, ' +
        'no node: built-in, no Nest, no I/O, nothing from another layer. Every other layer builds on it, ' +
        'and Temporal workflows (deterministic sandbox) run it.',
      from: { path: '^libs/domain/', pathNot: SPEC },
      to: { pathNot: '^libs/domain/' },
    },
    {
      name: 'domain-specs-are-pure',
      severity: 'error',
      comment:
        'Domain specs are fast given/when/then and property tests: the domain itself plus fast-check, ' +
        'no database, no server, no other layer.',
      from: { path: `^libs/domain/.*${SPEC}` },
      to: { pathNot: ['^libs/domain/', '^node_modules/fast-check/'] },
    },
    {
      name: 'workflows-import-only-domain-and-temporal-workflow',
      severity: 'error',
      comment:
        'Workflow code runs in Temporal\'s deterministic sandbox and is bundled on its own: it may use ' +
        'libs/domain, its own files (messages, activity types) and @temporalio/workflow (or ' +
        '@temporalio/common) only; no Nest, no I/O, no other library. Their specs may use test support.',
      from: { path: '^workflows/(src|test/fixtures)/', pathNot: SPEC },
      to: {
        pathNot: [
          '^libs/domain/',
          '^workflows/src/',
          '^node_modules/@temporalio/(workflow|common)/',
        ],
      },
    },
    appDoesNotImport('api', 'worker'),
    appDoesNotImport('worker', 'api'),
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      comment: 'Libraries are used by the apps, never the other way round: a library importing an app is a cycle in the making.',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'production-code-does-not-import-specs',
      severity: 'error',
      comment: 'A spec file is test code: shipping code that imports one drags Jest into the product.',
      from: { pathNot: SPEC },
      to: { path: SPEC },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing is a typo or a missing package (or an @app/* alias missing from tsconfig.json).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: '^node_modules' },
    exclude: { path: '^(dist|\\.tools|data|coverage|\\.test-data)/' },
    // Type-only imports count too: a domain type that names a Nest type still ties the layers.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
