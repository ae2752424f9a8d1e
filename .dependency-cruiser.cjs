// The dependency rule (STYLE.md), written once and enforced by `npm run lint:deps` in CI:
//   domain ← ports ← app ← adapters ← config ← functions / cli / web / infra
// `domain` is pure; `app` holds use cases over ports; `adapters` are the only shared code that
// talks to the outside (lightning, AWS SDKs, HTTP); `config` reads the environment and composes
// adapters, so only the composition roots (functions, cli, web, infra) import it.

/** npm packages that are pure computation: fine anywhere, the domain included. */
const PURE_NPM = '^node_modules/(@noble/hashes|@noble/secp256k1|zod|fast-xml-parser|csv-parse)/';
/** What talks to the outside world: only adapters (and infra's local stack and CDK) import it. */
const IO_NPM =
  '^node_modules/(lightning|ln-service|@aws-sdk/[^/]+|@aws-lambda-powertools/parameters|undici|node-fetch|axios|got)/';
const IO_CORE = '^(node:)?(http|https|http2|net|tls|dgram|dns)$';
const COMPOSITION_ROOTS = '^(functions|cli|web|infra)/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order decide behaviour (e.g. a handler and its runtime).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'shared/domain imports only shared/domain and pure npm packages.',
      from: { path: '^shared/domain/' },
      to: { pathNot: ['^shared/domain/', PURE_NPM] },
    },
    {
      name: 'ports-are-interfaces',
      severity: 'error',
      comment: 'shared/ports imports only shared/domain and shared/ports.',
      from: { path: '^shared/ports/' },
      to: { pathNot: ['^shared/(domain|ports)/'] },
    },
    {
      name: 'app-uses-ports',
      severity: 'error',
      comment:
        'shared/app (use cases) imports only shared/domain, shared/ports, other use cases, pure npm packages and node:crypto (hashing, randomness): no adapters, config, SDKs.',
      from: { path: '^shared/app/' },
      to: { pathNot: ['^shared/(domain|ports|app)/', PURE_NPM, '^(node:)?crypto$'] },
    },
    {
      name: 'adapters-implement-ports',
      severity: 'error',
      comment:
        'shared/adapters may import domain, ports, other adapters and SDKs; not use cases or config.',
      from: { path: '^shared/adapters/' },
      to: { path: '^shared/(app|config)/' },
    },
    {
      name: 'config-composes-adapters',
      severity: 'error',
      comment:
        'shared/config reads the environment and builds adapters: it imports domain, ports, adapters and config, never use cases.',
      from: { path: '^shared/config/' },
      to: { path: '^shared/app/' },
    },
    {
      name: 'config-is-composition',
      severity: 'error',
      comment:
        'shared/config (environment, stack files, client construction) is imported only by functions, cli, infra and tests.',
      from: { pathNot: ['^(functions|cli|infra|test)/', '^shared/config/'] },
      to: { path: '^shared/config/' },
    },
    {
      name: 'shared-is-inner',
      severity: 'error',
      comment: 'Nothing in shared imports a composition root (functions, cli, web, infra).',
      from: { path: '^shared/' },
      to: { path: COMPOSITION_ROOTS },
    },
    {
      name: 'io-only-in-adapters',
      severity: 'error',
      comment:
        'Only shared/adapters (and infra: the local stack, CDK; web: the example backend serves HTTP) import lightning, AWS SDKs or network modules.',
      from: { path: '^(shared|functions|cli)/', pathNot: '^shared/adapters/' },
      to: { path: [IO_NPM, IO_CORE] },
    },
    {
      name: 'cli-talks-to-deployments',
      severity: 'error',
      comment:
        'The CLI reaches a deployment through the API and adapters; what it needs of the local stack is in shared/config.',
      from: { path: '^cli/' },
      to: { path: '^infra/' },
    },
    {
      name: 'functions-stand-alone',
      severity: 'error',
      comment: 'Lambda code is bundled alone: it never imports the CLI, the web pages or infra.',
      from: { path: '^functions/' },
      to: { path: '^(cli|web|infra)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(cdk\\.out|\\.tipstream|test-artifacts)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
