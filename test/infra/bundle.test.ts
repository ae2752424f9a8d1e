import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The handlers as Lambda gets them: `cdk synth` through the project's pinned CDK CLI, exactly as
 * `npx cdk deploy` runs it (so a CLI that cannot read the library's cloud assembly fails here),
 * with esbuild bundling and `npm install` of `lightning` for the payer and reconciler; then each
 * bundle's size and the time Node takes to load it in a fresh process. The outdir is inside the
 * repo so `@aws-sdk/*` (external: Lambda's runtime provides it) resolves from the repo's
 * node_modules, as it would from the runtime's.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const OUTDIR = join(ROOT, 'test-artifacts', 'cdk-bundle');
const MB = 1024 * 1024;

const sizeOf = (path: string): number =>
  statSync(path).isDirectory()
    ? readdirSync(path).reduce((total, name) => total + sizeOf(join(path, name)), 0)
    : statSync(path).size;

/** Milliseconds to `import()` the bundle in a new Node process, median of three. */
const loadTimeMs = (bundle: string) => {
  const script = `const t = performance.now(); const m = await import(${JSON.stringify(bundle)});
if (typeof m.handler !== 'function') throw new Error('no handler export');
console.log(performance.now() - t);`;
  const runs = [0, 1, 2].map((): number =>
    Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' },
      }).trim(),
    ),
  );
  return runs.sort((a, b) => a - b)[1] ?? Number.NaN;
};

describe('bundled handlers', () => {
  const assets: Record<string, string> = {};

  beforeAll(() => {
    rmSync(OUTDIR, { recursive: true, force: true });
    execFileSync(
      join(ROOT, 'node_modules', '.bin', 'cdk'),
      ['synth', '--quiet', '--no-notices', '--output', OUTDIR],
      {
        cwd: ROOT,
        // Offline: no notices or telemetry calls from the CLI.
        env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    const template = JSON.parse(
      readFileSync(join(OUTDIR, 'TipstreamService.template.json'), 'utf8'),
    ) as {
      Resources: Record<
        string,
        { Type: string; Properties: { Handler?: string }; Metadata: Record<string, string> }
      >;
    };
    const functions = Object.fromEntries(
      Object.entries(template.Resources).filter(
        ([, resource]) =>
          resource.Type === 'AWS::Lambda::Function' &&
          resource.Properties.Handler === 'index.handler',
      ),
    );
    for (const [logicalId, fn] of Object.entries(functions)) {
      const name = ['Payer', 'Reconciler', 'Api'].find((prefix) => logicalId.startsWith(prefix));
      const path = fn.Metadata['aws:asset:path'];
      if (name && path) assets[name] = join(OUTDIR, path);
    }
  }, 240_000);

  it.each([
    // Bounds are generous on purpose: they catch a bundle that swallows the AWS SDK or a
    // dependency tree by mistake, not a few kilobytes of growth.
    { name: 'Api', maxBundleMb: 8, maxTotalMb: 10, maxLoadMs: 1_500 },
    { name: 'Payer', maxBundleMb: 8, maxTotalMb: 60, maxLoadMs: 3_000 },
    { name: 'Reconciler', maxBundleMb: 8, maxTotalMb: 60, maxLoadMs: 3_000 },
  ])('$name is small and loads fast', ({ name, maxBundleMb, maxTotalMb, maxLoadMs }) => {
    const dir = assets[name];
    if (!dir) throw new Error(`no bundled asset found for ${name}`);
    const bundle = join(dir, 'index.mjs');
    const bundleBytes = sizeOf(bundle);
    const totalBytes = sizeOf(dir);
    const loadMs = loadTimeMs(bundle);
    console.log(
      `${name}: index.mjs ${(bundleBytes / MB).toFixed(2)} MB, asset ${(totalBytes / MB).toFixed(1)} MB, ` +
        `module load ${loadMs.toFixed(0)} ms (median of 3)`,
    );
    expect(bundleBytes).toBeLessThan(maxBundleMb * MB);
    expect(totalBytes).toBeLessThan(maxTotalMb * MB);
    expect(loadMs).toBeLessThan(maxLoadMs);
  });
});
