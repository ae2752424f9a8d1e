/**
 * How small the Lambda assets are and how fast Node loads them, against the layout they replace
 * and against another commit's bundles:
 *   npm run bench:bundles -- [rounds=9] [base=main]
 * Builds the assets as `npx cdk deploy` does (`cdk synth`) from this checkout and from `base` (a
 * detached worktree of that commit, under test-artifacts/, sharing this node_modules), and the
 * old layout of each handler from `base`'s source: esbuild output with `lightning` and the AWS SDK
 * left out, loaded from node_modules as the old asset's `node_modules/lightning` and the
 * runtime's SDK were. Then, round after round (the three in turn, the order rotating, so machine
 * load hits all alike), `import()`s each in a fresh Node process, and prints the medians and the
 * ratios to the old layout. Also times the first gRPC client's proto parsing: every LND service
 * at once (lightning's `authenticatedLndGrpc`) against the services a payment uses, each built on
 * first use (`lndGrpc`). Needs no running stack.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import {
  coldImport,
  type FunctionName,
  median,
  sizeOf,
  synthLambdaAssets,
} from './lambda-assets.js';

const rounds = Number(process.argv[2] ?? '9');
const base = process.argv[3] ?? 'main';
if (!Number.isSafeInteger(rounds) || rounds < 1) {
  process.stderr.write('usage: npm run bench:bundles -- [rounds=9] [base=main]\n');
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

const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const baseCommit = git('rev-parse', '--verify', `${base}^{commit}`).trim();
const baseRoot = join(OUT, 'base');
if (existsSync(baseRoot)) git('worktree', 'remove', '--force', baseRoot);
git('worktree', 'add', '--detach', baseRoot, baseCommit);
symlinkSync(join(ROOT, 'node_modules'), join(baseRoot, 'node_modules'));

type Variant = 'old' | 'base' | 'now';
const paths: Record<Variant, Partial<Record<FunctionName, string>>> = {
  old: {},
  base: {},
  now: {},
};
const sizes: Partial<Record<Variant, Partial<Record<FunctionName, number>>>> = {};
try {
  process.stdout.write(`building the assets (cdk synth) here and at ${base} (${baseCommit})…\n`);
  const assets = synthLambdaAssets(join(OUT, 'cdk'));
  const baseAssets = synthLambdaAssets(join(OUT, 'cdk-base'), baseRoot);
  for (const [name, service] of Object.entries(SERVICES) as [FunctionName, string][]) {
    const outfile = join(OUT, 'unbundled', service, 'index.mjs');
    // The options the functions were built with before (infra/constructs/tipstream-function.ts).
    await build({
      entryPoints: [join(baseRoot, 'functions', service, 'handler.ts')],
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
    paths.old[name] = outfile;
    paths.base[name] = join(baseAssets[name], 'index.mjs');
    paths.now[name] = join(assets[name], 'index.mjs');
    for (const [variant, dir] of [
      ['base', baseAssets[name]],
      ['now', assets[name]],
    ] as const) {
      sizes[variant] = { ...sizes[variant], [name]: sizeOf(dir) };
    }
  }
} finally {
  rmSync(join(baseRoot, 'node_modules'), { force: true });
}

type Loads = Array<{ wallMs: number; cpuMs: number }>;
const VARIANTS: Variant[] = ['old', 'base', 'now'];
const times = Object.fromEntries(
  Object.keys(SERVICES).map((name) => [
    name,
    Object.fromEntries(VARIANTS.map((variant) => [variant, [] as Loads])),
  ]),
) as Record<FunctionName, Record<Variant, Loads>>;
for (let round = 0; round < rounds; round += 1) {
  for (const name of Object.keys(SERVICES) as FunctionName[]) {
    for (let turn = 0; turn < VARIANTS.length; turn += 1) {
      const variant = VARIANTS[(round + turn) % VARIANTS.length] as Variant;
      times[name][variant].push(coldImport(paths[variant][name] as string));
    }
  }
  process.stdout.write(`round ${round + 1}/${rounds} done\n`);
}
git('worktree', 'remove', '--force', baseRoot);

process.stdout.write(
  `\nmodule load in a fresh Node process, median of ${rounds}: old layout (${base}'s source, ` +
    `lightning and the AWS SDK from node_modules) → ${base}'s bundle → this bundle; ratio to the old layout:\n`,
);
for (const name of Object.keys(SERVICES) as FunctionName[]) {
  const figure = (kind: 'wallMs' | 'cpuMs') => {
    const [old, then, now] = VARIANTS.map((variant) =>
      median(times[name][variant].map((load) => load[kind])),
    ) as [number, number, number];
    return (
      `${old.toFixed(0)} → ${then.toFixed(0)} → ${now.toFixed(0)} ms ` +
      `(ratio ${(then / old).toFixed(2)} → ${(now / old).toFixed(2)}, ${((1 - now / old) * 100).toFixed(0)}% less)`
    );
  };
  process.stdout.write(
    `  ${name.padEnd(10)} CPU ${figure('cpuMs')}\n` +
      `  ${''.padEnd(10)} wall ${figure('wallMs')}\n` +
      `  ${''.padEnd(10)} asset ${sizes.base?.[name]} → ${sizes.now?.[name]} bytes\n`,
  );
}

/**
 * Milliseconds a fresh process spends building a gRPC client (proto parsing): lightning's
 * `authenticatedLndGrpc` (every LND service at once, as `base` did) or this code's `lndGrpc`
 * and the services a payment uses (Lightning, Router, Signer), from lightning's own protos.
 */
const protoParseMs = (how: 'all' | 'used') => {
  const script =
    how === 'all'
      ? `const { authenticatedLndGrpc } = await import('lightning');
const t = performance.now();
authenticatedLndGrpc({ socket: '127.0.0.1:1', macaroon: '00' });
console.log(performance.now() - t);`
      : `const { lndGrpc } = await import(${JSON.stringify(join(ROOT, 'shared', 'adapters', 'lnd', 'grpc.ts'))});
const t = performance.now();
const lnd = lndGrpc({ socket: '127.0.0.1:1', cert: '', macaroon: '00' });
if (![lnd.default, lnd.router, lnd.signer].every(Boolean)) throw new Error('no client');
console.log(performance.now() - t);`;
  return Number(
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    }),
  );
};
const parse = { all: [] as number[], used: [] as number[] };
for (let round = 0; round < rounds; round += 1) {
  for (const how of round % 2 ? (['used', 'all'] as const) : (['all', 'used'] as const)) {
    parse[how].push(protoParseMs(how));
  }
}
process.stdout.write(
  `\nfirst gRPC client (proto parsing), median of ${rounds}, lightning's protos:\n` +
    `  every service at once (authenticatedLndGrpc, ${base}) ${median(parse.all).toFixed(0)} ms; ` +
    `the three a payment uses, each on first use (lndGrpc) ${median(parse.used).toFixed(0)} ms ` +
    `(ratio ${(median(parse.used) / median(parse.all)).toFixed(2)})\n` +
    '  built once per container and credentials, shared by the payer node and the stuck-payment inspector\n',
);
