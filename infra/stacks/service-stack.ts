import { join } from 'node:path';
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { type CfnStage, HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { StatefulStack } from './stateful-stack.js';

export interface ServiceSettings {
  payerTimeout: Duration;
  /** Messages per payer invocation. */
  payerBatchSize: number;
  /** Payer invocations at once: protects the LND node. */
  payerMaxConcurrency: number;
  /** Records of one batch paid at once inside an invocation. */
  payerConcurrencyPerBatch: number;
  reconcileEvery: Duration;
  apiThrottle: { rateLimit: number; burstLimit: number };
  /** Operator policy passed to the functions as TIPSTREAM_* variables. */
  policy: Record<string, string>;
  logRetention: RetentionDays;
}

export interface ServiceStackProps extends StackProps {
  stateful: StatefulStack;
  settings: ServiceSettings;
}

const projectRoot = join(import.meta.dirname, '..', '..');

/** The functions, their triggers and the HTTP API. Secrets hold what must not be in the template. */
export class ServiceStack extends Stack {
  readonly api: NodejsFunction;
  readonly payer: NodejsFunction;
  readonly reconciler: NodejsFunction;
  readonly httpApi: HttpApi;
  readonly lndSecret: secretsmanager.Secret;
  readonly keysSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { stateful, settings } = props;

    // Filled by the operator after the first deploy (README, "Deploying"): never in the template.
    this.lndSecret = new secretsmanager.Secret(this, 'LndConnection', {
      description:
        'Tipstream payer: JSON {"socket","cert" (base64),"macaroon" (base64, least privilege)}',
    });
    this.keysSecret = new secretsmanager.Secret(this, 'PayerKeys', {
      description:
        'Tipstream payer: JSON {"preimageKeys":"1:<64 hex>[,2:<64 hex>]","preimageKeyVersion":1,"receiptPrivateKey":"<64 hex>"}',
    });

    const tableEnv: Record<string, string> = {
      TIPSTREAM_TIPS_TABLE: stateful.tables.tips.tableName,
      TIPSTREAM_PAYOUTS_TABLE: stateful.tables.payouts.tableName,
      TIPSTREAM_BATCHES_TABLE: stateful.tables.batches.tableName,
      TIPSTREAM_PLATFORMS_TABLE: stateful.tables.platforms.tableName,
      TIPSTREAM_REQUESTS_TABLE: stateful.tables.requests.tableName,
      TIPSTREAM_BUDGETS_TABLE: stateful.tables.budgets.tableName,
    };

    const fn = (
      name: string,
      service: string,
      timeout: Duration,
      extraEnv: Record<string, string>,
    ) =>
      new NodejsFunction(this, name, {
        entry: join(projectRoot, 'functions', service, 'handler.ts'),
        handler: 'handler',
        runtime: Runtime.NODEJS_24_X,
        architecture: Architecture.ARM_64,
        memorySize: 512,
        timeout,
        logGroup: new LogGroup(this, `${name}Logs`, { retention: settings.logRetention }),
        environment: {
          ...tableEnv,
          ...settings.policy,
          ...extraEnv,
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
          nodeModules: service === 'api' ? [] : ['lightning'],
          externalModules: ['@aws-sdk/*'],
        },
      });

    const secretEnv = {
      TIPSTREAM_LND_SECRET_ARN: this.lndSecret.secretArn,
      TIPSTREAM_KEYS_SECRET_ARN: this.keysSecret.secretArn,
      TIPSTREAM_PAYER_CONCURRENCY: String(settings.payerConcurrencyPerBatch),
    };
    this.payer = fn('Payer', 'payer', settings.payerTimeout, secretEnv);
    this.reconciler = fn('Reconciler', 'reconciler', Duration.minutes(5), secretEnv);
    this.api = fn('Api', 'api', Duration.seconds(29), {
      TIPSTREAM_TIPS_QUEUE_URL: stateful.tipsQueue.queueUrl,
    });

    // Least privilege: each function gets exactly the tables, queue and secrets it uses.
    for (const worker of [this.payer, this.reconciler]) {
      for (const table of ['tips', 'payouts', 'batches', 'requests', 'budgets'] as const) {
        stateful.tables[table].grantReadWriteData(worker);
      }
      this.lndSecret.grantRead(worker);
      this.keysSecret.grantRead(worker);
    }
    for (const table of ['platforms', 'requests', 'budgets', 'batches'] as const) {
      stateful.tables[table].grantReadWriteData(this.api);
    }
    stateful.tables.tips.grantReadData(this.api);
    stateful.tables.payouts.grantReadData(this.api);
    stateful.tipsQueue.grantSendMessages(this.api);

    this.payer.addEventSource(
      new SqsEventSource(stateful.tipsQueue, {
        batchSize: settings.payerBatchSize,
        reportBatchItemFailures: true,
        maxConcurrency: settings.payerMaxConcurrency,
      }),
    );

    new events.Rule(this, 'ReconcileSchedule', {
      schedule: events.Schedule.rate(settings.reconcileEvery),
      targets: [new targets.LambdaFunction(this.reconciler)],
    });

    this.httpApi = new HttpApi(this, 'TipApi', {
      defaultIntegration: new HttpLambdaIntegration('TipApiIntegration', this.api),
      createDefaultStage: true,
    });
    const stage = this.httpApi.defaultStage?.node.defaultChild as CfnStage | undefined;
    const accessLogs = new LogGroup(this, 'TipApiAccessLogs', { retention: settings.logRetention });
    if (stage) {
      stage.accessLogSettings = {
        destinationArn: accessLogs.logGroupArn,
        format: JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          method: '$context.httpMethod',
          path: '$context.path',
          status: '$context.status',
          latency: '$context.responseLatency',
          platform: '$context.requestHeader.tipstream-platform',
        }),
      };
      stage.defaultRouteSettings = {
        throttlingRateLimit: settings.apiThrottle.rateLimit,
        throttlingBurstLimit: settings.apiThrottle.burstLimit,
      };
    }
  }
}
