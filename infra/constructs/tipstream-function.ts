import { join } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BUNDLED_PROTOS_DIR } from '../../shared/adapters/lnd/bundled-protos.js';

export interface TipstreamFunctionProps {
  /** The folder under functions/ whose handler.ts this function runs (api, payer, reconciler). */
  service: string;
  timeout: Duration;
  environment: Record<string, string>;
  logRetention: RetentionDays;
}

const projectRoot = join(import.meta.dirname, '..', '..');

/** zod's entry less `locales`, for the bundles (relative to the project root, as esbuild wants). */
const ZOD_WITHOUT_LOCALES = './infra/constructs/zod-without-locales/index.ts';

/**
 * What `lightning` reads from disk at run time, copied beside the bundle: its `.proto` files
 * (without comments, by lnd-protos.ts; where `shared/adapters/lnd/bundled-protos.ts` looks for
 * them) and tiny-secp256k1's WebAssembly, which its ESM build (the one esbuild picks) loads from
 * the bundle's own folder at module load, so a bundle without it fails at once.
 */
const lightningRuntimeFiles: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir, outputDir) => [
    `"${process.execPath}" "${inputDir}/infra/constructs/lnd-protos.ts" "${inputDir}/node_modules/lightning/grpc/protos" "${outputDir}/${BUNDLED_PROTOS_DIR}"`,
    `cp "${inputDir}/node_modules/tiny-secp256k1/lib/secp256k1.wasm" "${outputDir}/"`,
  ],
};

/**
 * One Tipstream Lambda function: Node.js 24 on ARM64, bundled as ESM, its own log group
 * (`<id>Logs`, beside it), Powertools settings, and active X-Ray tracing.
 */
export class TipstreamFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: TipstreamFunctionProps) {
    const { service } = props;
    // The API never talks to LND; the payer and reconciler do.
    const usesLightning = service !== 'api' && service !== 'dispatcher';
    super(scope, id, {
      entry: join(projectRoot, 'functions', service, 'handler.ts'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout,
      tracing: Tracing.ACTIVE,
      logGroup: new LogGroup(scope, `${id}Logs`, { retention: props.logRetention }),
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: `tipstream-${service}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Tipstream',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        // A map is only read with --enable-source-maps, which slows every stack trace: none.
        sourceMap: false,
        // ESM output still loads CommonJS dependencies: give them `require`.
        banner:
          "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        // Everything in one file, the AWS SDK too: the runtime's copy loads from hundreds of
        // files (its import alone took as long as the rest of the handler), a bundled one is
        // tree-shaken and minified, and is the version the tests ran with.
        externalModules: [],
        // The ES module builds where a package has both (the AWS SDK's `dist-es`): esbuild
        // tree-shakes those, not CommonJS.
        mainFields: ['module', 'main'],
        // `zod` without its ~40 languages' error messages (265 KB of the API's bundle, parsed
        // at every cold start): @hono/zod-openapi passes the `z` namespace around as a value,
        // so esbuild keeps all of it, `z.locales` included. Same zod, less `locales`
        // (zod-without-locales/; test/infra/zod-without-locales.test.ts keeps it in step).
        esbuildArgs: { '--alias': `zod=${ZOD_WITHOUT_LOCALES}` },
        ...(usesLightning ? { commandHooks: lightningRuntimeFiles } : {}),
      },
    });
  }
}
