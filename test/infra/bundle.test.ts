import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';

/**
 * The handlers as Lambda gets them: a real synth with esbuild bundling (and `npm ci` of
 * `lightning` for the payer and reconciler), then each bundle's size and the time Node takes to
 * load it in a fresh process. The outdir is inside the repo so `@aws-sdk/*` (external: Lambda's
 * runtime provides it) resolves from the repo's node_modules, as it would from the runtime's.
 */
const OUTDIR = join(import.meta.dirname, '..', '..', 'test-artifacts', 'cdk-bundle');
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
    const { app, service } = buildApp(
      new App({ outdir: OUTDIR, context: { 'aws:cdk:enable-asset-metadata': true } }),
    );
    app.synth();
    const functions = Template.fromStack(service).findResources('AWS::Lambda::Function', {
      Properties: { Handler: 'index.handler' },
    });
    for (const [logicalId, fn] of Object.entries(functions)) {
      const name = ['Payer', 'Reconciler', 'Api'].find((prefix) => logicalId.startsWith(prefix));
      if (name) assets[name] = join(OUTDIR, fn.Metadata['aws:asset:path']);
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
