// The dependency rule (STYLE.md), written once and enforced by `npm run lint:deps` in CI:
//   domain ← ports ← app ← adapters ← config ← functions / cli / web / infra
// `domain` is pure; `app` holds use cases over ports; `adapters` are the only shared code that
// talks to the outside (lightning, AWS SDKs, HTTP); `config` reads the environment and composes
// adapters, so only the composition roots (functions, cli, infra) and tests import it.

/** npm packages that are pure computation: fine anywhere, the domain included. */
const PURE_NPM = '^node_modules/(@noble/hashes|@noble/secp256k1|zod|fast-xml-parser|csv-parse)/';
/** What talks to the outside world: only adapters (and infra's local stack and CDK) import it. */
const IO_NPM =
  '^node_modules/(lightning|ln-service|@aws-sdk/[^/]+|@aws-lambda-powertools/parameters|undici|node-fetch|axios|got)/';
const IO_CORE = '^(node:)?(http|https|http2|net|tls|dgram|dns)$';

/** One rule: modules matching `from` must not import modules matching `to`. */
const forbid = (name, comment, from, to) => ({ name, severity: 'error', comment, from, to });

module.exports = {
  forbidden: [
    forbid(
      'local-stack-below-emulators',
      'infra/local/stack (processes, ports, installs) knows nothing of what runs on it: the emulators, scripts and benchmarks build on it, never the other way round.',
      { path: '^infra/local/stack/' },
      { path: '^infra/local/(emulators|scripts|bench)/' },
    ),
    forbid(
      'emulators-below-scripts',
      'infra/local/emulators (what stands in for AWS) are composed by scripts and benchmarks, never import them.',
      { path: '^infra/local/emulators/' },
      { path: '^infra/local/(scripts|bench)/' },
    ),
    forbid(
      'no-circular',
      'A cycle makes load order decide behaviour (e.g. a handler and its runtime).',
      {},
      { circular: true },
    ),
    forbid(
      'domain-is-pure',
      'shared/domain imports only shared/domain and pure npm packages.',
      { path: '^shared/domain/' },
      { pathNot: ['^shared/domain/', PURE_NPM] },
    ),
    forbid(
      'ports-are-interfaces',
      'shared/ports imports only shared/domain and shared/ports.',
      { path: '^shared/ports/' },
      { pathNot: ['^shared/(domain|ports)/'] },
    ),
    forbid(
      'app-uses-ports',
      'shared/app (use cases) imports only shared/domain, shared/ports, other use cases, pure npm packages and node:crypto (hashing, randomness): no adapters, config, SDKs.',
      { path: '^shared/app/' },
      { pathNot: ['^shared/(domain|ports|app)/', PURE_NPM, '^(node:)?crypto$'] },
    ),
    forbid(
      'adapters-implement-ports',
      'shared/adapters may import domain, ports, other adapters and SDKs; not use cases or config.',
      { path: '^shared/adapters/' },
      { path: '^shared/(app|config)/' },
    ),
    forbid(
      'config-composes-adapters',
      'shared/config reads the environment and builds adapters: it imports domain, ports, adapters and config, never use cases.',
      { path: '^shared/config/' },
      { path: '^shared/app/' },
    ),
    forbid(
      'config-is-composition',
      'shared/config (environment, stack files, client construction) is imported only by functions, cli, infra and tests.',
      { pathNot: ['^(functions|cli|infra|test)/', '^shared/config/'] },
      { path: '^shared/config/' },
    ),
    forbid(
      'shared-is-inner',
      'Nothing in shared imports a composition root (functions, cli, web, infra).',
      { path: '^shared/' },
      { path: '^(functions|cli|web|infra)/' },
    ),
    forbid(
      'io-only-in-adapters',
      'Only shared/adapters (and infra: the local stack, CDK; web: the example backend serves HTTP) import lightning, AWS SDKs or network modules.',
      { path: '^(shared|functions|cli)/', pathNot: '^shared/adapters/' },
      { path: [IO_NPM, IO_CORE] },
    ),
    forbid(
      'secp256k1-wasm-in-adapters',
      "tiny-secp256k1 (libsecp256k1 as WebAssembly, read from a file at load) is for shared/adapters (the payer's receipt signer); the domain signs through the ReceiptSigner it is given and verifies with noble.",
      { path: '^(shared|functions|cli|web|infra|test)/', pathNot: '^shared/adapters/' },
      { path: '^node_modules/tiny-secp256k1/' },
    ),
    forbid(
      'cli-talks-to-deployments',
      'The CLI reaches a deployment through the API and adapters; what it needs of the local stack is in shared/config.',
      { path: '^cli/' },
      { path: '^infra/' },
    ),
    forbid(
      'functions-stand-alone',
      'Lambda code is bundled alone: it never imports the CLI, the web pages or infra.',
      { path: '^functions/' },
      { path: '^(cli|web|infra)/' },
    ),
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
  },
};
