/**
 * The Lambda assets as `npx cdk deploy` builds them, and how long Node takes to load one: shared
 * by `npm run bench:bundles`, the bundle test (test/infra/bundle.test.ts) and the integration
 * test that pays through the built payer.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..', '..');

export type FunctionName = 'Api' | 'Payer' | 'Reconciler';

/**
 * `cdk synth` through the project's pinned CDK CLI, exactly as `npx cdk deploy` runs it (so a
 * CLI that cannot read the library's cloud assembly fails here too), into `outdir`; returns each
 * function's asset folder. `root` is the checkout to build (another commit's, for a comparison).
 */
export const synthLambdaAssets = (outdir: string, root = ROOT): Record<FunctionName, string> => {
  rmSync(outdir, { recursive: true, force: true });
  execFileSync(
    join(root, 'node_modules', '.bin', 'cdk'),
    ['synth', '--quiet', '--no-notices', '--output', outdir],
    {
      cwd: root,
      // Offline: no notices or telemetry calls from the CLI.
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const template = JSON.parse(
    readFileSync(join(outdir, 'TipstreamService.template.json'), 'utf8'),
  ) as {
    Resources: Record<
      string,
      { Type: string; Properties: { Handler?: string }; Metadata: Record<string, string> }
    >;
  };
  const assets: Partial<Record<FunctionName, string>> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    if (resource.Properties.Handler !== 'index.handler') continue;
    const name = (['Payer', 'Reconciler', 'Api'] as const).find((prefix) =>
      logicalId.startsWith(prefix),
    );
    const path = resource.Metadata['aws:asset:path'];
    if (name && path) assets[name] = join(outdir, path);
  }
  const missing = (['Api', 'Payer', 'Reconciler'] as const).filter((name) => !assets[name]);
  if (missing.length > 0) throw new Error(`no bundled asset found for ${missing.join(', ')}`);
  return assets as Record<FunctionName, string>;
};

/** Bytes of a file, or of every file under a folder. */
export const sizeOf = (path: string): number =>
  statSync(path).isDirectory()
    ? readdirSync(path).reduce((total, name) => total + sizeOf(join(path, name)), 0)
    : statSync(path).size;

/**
 * What a new Node process spends to `import()` the module at `path` (a handler: it must export
 * `handler`), as a cold Lambda container does before its first invocation: wall time, and CPU
 * time (user + system), which other processes on a loaded machine disturb much less.
 */
export const coldImport = (path: string): { wallMs: number; cpuMs: number } => {
  const script = `const cpu = process.cpuUsage(); const t = performance.now();
const m = await import(${JSON.stringify(path)});
const wallMs = performance.now() - t; const { user, system } = process.cpuUsage(cpu);
if (typeof m.handler !== 'function') throw new Error('no handler export');
console.log(JSON.stringify({ wallMs, cpuMs: (user + system) / 1000 }));`;
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' },
    }),
  );
};

/** The median of `values` (the lower middle one of an even count). */
export const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? Number.NaN;
