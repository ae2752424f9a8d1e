import { join } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface TipstreamFunctionProps {
  /** The folder under functions/ whose handler.ts this function runs (api, payer, reconciler). */
  service: string;
  timeout: Duration;
  environment: Record<string, string>;
  logRetention: RetentionDays;
}

const projectRoot = join(import.meta.dirname, '..', '..');

/**
 * One Tipstream Lambda function: Node.js 24 on ARM64, bundled as ESM, its own log group
 * (`<id>Logs`, beside it), Powertools settings, and active X-Ray tracing.
 */
export class TipstreamFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: TipstreamFunctionProps) {
    const { service } = props;
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
        sourceMap: true,
        // ESM output still loads CommonJS dependencies: give them `require`.
        banner:
          "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        // `lightning` reads its .proto files from its own folder at run time: install it as is.
        nodeModules: service === 'api' || service === 'dispatcher' ? [] : ['lightning'],
        externalModules: ['@aws-sdk/*'],
      },
    });
  }
}
