/**
 * How small the Lambda assets are and how fast Node loads them, against the layout they replace:
 *   npm run bench:bundles -- [rounds=9]
 * Builds the assets as `npx cdk deploy` does (`cdk synth`), and the old layout of each handler
 * beside them: esbuild output with `lightning` and the AWS SDK left out, loaded from
 * node_modules as the old asset's `node_modules/lightning` and the runtime's SDK were. Then,
 * round after round (old and new alternating, so machine load hits both alike), `import()`s each
 * in a fresh Node process, and prints the medians and the ratio. Also times the first gRPC
 * client's proto parsing (`authenticatedLndGrpc`, which parses every LND service's proto) from
 * lightning's own protos and from the asset's stripped copy. Needs no running stack.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLED_PROTOS_DIR } from '../../../shared/adapters/lnd/bundled-protos.js';
import {
  coldImport,
  type FunctionName,
  median,
  sizeOf,
  synthLambdaAssets,
} from './lambda-assets.js';

const rounds = Number(process.argv[2] ?? '9');
if (!Number.isSafeInteger(rounds) || rounds < 1) {
  process.stderr.write('usage: npm run bench:bundles -- [rounds=9]\n');
  process.exit(2);
}
const ROOT = join(import.meta.dirname, '..', '..', '..');
// Inside the repo, so the old layout's external packages resolve from its node_modules.
const OUT = join(ROOT, 'test-artifacts', 'bench-bundles');
const SERVICES: Record<FunctionName, string> = {
  Api: 'api',
  Payer: 'payer',
  Reconciler: 'reconciler',
};

process.stdout.write('building the assets (cdk synth)…\n');
const assets = synthLambdaAssets(join(OUT, 'cdk'));
const unbundled: Record<string, string> = {};
for (const [name, service] of Object.entries(SERVICES)) {
  const outfile = join(OUT, 'unbundled', service, 'index.mjs');
  // The options the functions were built with before (infra/constructs/tipstream-function.ts).
  await build({
    entryPoints: [join(ROOT, 'functions', service, 'handler.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: true,
    external: ['@aws-sdk/*', ...(service === 'api' ? [] : ['lightning'])],
    banner: {
      js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  unbundled[name] = outfile;
}

type Loads = Array<{ wallMs: number; cpuMs: number }>;
const times = Object.fromEntries(
  Object.keys(SERVICES).map((name) => [name, { before: [] as Loads, after: [] as Loads }]),
);
for (let round = 1; round <= rounds; round += 1) {
  for (const name of Object.keys(SERVICES) as FunctionName[]) {
    const entry = times[name] as { before: Loads; after: Loads };
    const [first, second] =
      round % 2 ? (['before', 'after'] as const) : (['after', 'before'] as const);
    for (const which of [first, second]) {
      const path = which === 'before' ? unbundled[name] : join(assets[name], 'index.mjs');
      entry[which].push(coldImport(path as string));
    }
  }
  process.stdout.write(`round ${round}/${rounds} done\n`);
}

process.stdout.write(
  `\nmodule load in a fresh Node process, median of ${rounds}, old layout → bundled (wall; CPU):\n`,
);
for (const name of Object.keys(SERVICES) as FunctionName[]) {
  const { before, after } = times[name] as { before: Loads; after: Loads };
  const figure = (kind: 'wallMs' | 'cpuMs') => {
    const [old, now] = [
      median(before.map((load) => load[kind])),
      median(after.map((load) => load[kind])),
    ];
    return `${old.toFixed(0).padStart(5)} → ${now.toFixed(0).padStart(5)} ms (${((1 - now / old) * 100).toFixed(0)}% less)`;
  };
  const dir = assets[name];
  process.stdout.write(
    `  ${name.padEnd(10)} wall ${figure('wallMs')}; CPU ${figure('cpuMs')}; asset ` +
      `${sizeOf(dir)} bytes (index.mjs ${sizeOf(join(dir, 'index.mjs'))})\n`,
  );
}

/** Milliseconds a fresh process spends in its first `authenticatedLndGrpc` (proto parsing). */
const protoParseMs = (path?: string) => {
  const script = `const { authenticatedLndGrpc } = require('lightning');
const t = performance.now();
authenticatedLndGrpc({ socket: '127.0.0.1:1', macaroon: '00'${path ? `, path: ${JSON.stringify(path)}` : ''} });
console.log(performance.now() - t);`;
  return Number(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }));
};
const parse = { original: [] as number[], stripped: [] as number[] };
for (let round = 0; round < rounds; round += 1) {
  parse.original.push(protoParseMs());
  parse.stripped.push(protoParseMs(join(assets.Payer, BUNDLED_PROTOS_DIR)));
}
process.stdout.write(
  `\nfirst gRPC client (parses the protos of all of LND's services), median of ${rounds}:\n` +
    `  lightning's protos ${median(parse.original).toFixed(0)} ms, the asset's stripped copy ${median(parse.stripped).toFixed(0)} ms\n` +
    '  built once per container for the payer node and the stuck-payment inspector (was twice)\n',
);
