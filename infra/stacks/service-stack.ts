import { join } from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { type CfnStage, HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import { TableGrants } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { StatefulStack } from './stateful-stack.js';

interface ServiceSettings {
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
  /** Where alarms are emailed (optional; the topic exists either way). */
  alarmEmail?: string;
  /**
   * Complete ARNs of secrets the operator already keeps (same JSON shapes); when unset, the
   * stack creates each secret empty, to be filled after the first deploy.
   */
  existingSecrets?: { lndSecretArn?: string; keysSecretArn?: string };
}

const projectRoot = join(import.meta.dirname, '..', '..');

/** The functions, their triggers and the HTTP API. Secrets hold what must not be in the template. */
export class ServiceStack extends Stack {
  readonly api: NodejsFunction;
  readonly payer: NodejsFunction;
  readonly reconciler: NodejsFunction;
  readonly httpApi: HttpApi;
  readonly lndSecret: secretsmanager.ISecret;
  readonly keysSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { stateful, settings } = props;

    // Filled by the operator after the first deploy (README, "Deploying"): never in the template.
    // An existing secret is imported by its complete ARN, so grants name it exactly (no wildcard).
    const secret = (id: string, description: string, existingArn?: string) => {
      if (existingArn) return secretsmanager.Secret.fromSecretCompleteArn(this, id, existingArn);
      const created = new secretsmanager.Secret(this, id, { description });
      Validations.of(created).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          "No rotation Lambda can rotate these: a macaroon is baked on the operator's LND node, and " +
          'a preimage key must stay readable while tips derived from it can still be retried. ' +
          'Rotation is a documented manual procedure (README, "Rotating keys").',
      });
      return created;
    };
    this.lndSecret = secret(
      'LndConnection',
      'Tipstream payer: JSON {"socket","cert" (base64),"macaroon" (base64, least privilege)}',
      props.existingSecrets?.lndSecretArn,
    );
    this.keysSecret = secret(
      'PayerKeys',
      'Tipstream payer: JSON {"preimageKeys":"1:<64 hex>[,2:<64 hex>]","preimageKeyVersion":1,"receiptPrivateKey":"<64 hex>"}',
      props.existingSecrets?.keysSecretArn,
    );

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
    const grantTable = (
      key: keyof StatefulStack['tables'],
      grantee: NodejsFunction,
      access: 'read' | 'readWrite',
    ) => {
      const table = stateful.tables[key];
      // CDK's data action lists on the table itself; its GSIs are named below, not `index/*`.
      const grants = TableGrants.fromTable(table, undefined, false);
      if (access === 'read') grants.readData(grantee);
      else grants.readWriteData(grantee);
      const indexes = stateful.indexNames[key];
      if (indexes.length === 0) return;
      grantee.addToRolePolicy(
        new iam.PolicyStatement({
          // The adapters only Query GSIs (in-flight tips, recipient history, batch lines).
          actions: ['dynamodb:Query'],
          resources: indexes.map((name) => `${table.tableArn}/index/${name}`),
        }),
      );
    };
    for (const worker of [this.payer, this.reconciler]) {
      for (const table of ['tips', 'payouts', 'batches', 'requests', 'budgets'] as const) {
        grantTable(table, worker, 'readWrite');
      }
      this.lndSecret.grantRead(worker);
      this.keysSecret.grantRead(worker);
    }
    for (const table of ['platforms', 'requests', 'budgets', 'batches'] as const) {
      grantTable(table, this.api, 'readWrite');
    }
    grantTable('tips', this.api, 'read');
    grantTable('payouts', this.api, 'read');
    stateful.tipsQueue.grantSendMessages(this.api);

    for (const handler of [this.payer, this.reconciler, this.api]) {
      const role = handler.role;
      if (!role) continue;
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs; ' +
          'writing that policy out by hand would grant the same three log actions.',
      });
    }

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
    Validations.of(this.httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Every route authenticates the calling platform itself: an HMAC-SHA256 Tipstream-Signature ' +
        '(v2) over timestamp, platform, method, route, Idempotency-Key and body with the platform secret, checked in the ' +
        'handler before anything is read or written. Platforms are servers, not AWS principals or ' +
        'JWT holders, so an IAM or JWT authorizer would not fit.',
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

    this.monitor(props);

    new CfnOutput(this, 'ApiUrl', {
      value: this.httpApi.apiEndpoint,
      description: 'TIPSTREAM_API_URL for the tipstream CLI and your platform backend',
    });
    new CfnOutput(this, 'LndSecretArn', {
      value: this.lndSecret.secretArn,
      description: 'Put the LND connection here (README, "Deploying to AWS", step 3)',
    });
    new CfnOutput(this, 'KeysSecretArn', {
      value: this.keysSecret.secretArn,
      description: 'Put the preimage and receipt keys here (README, "Deploying to AWS", step 3)',
    });
  }

  /** A dashboard of what an operator watches, and alarms on what needs a person. */
  private monitor({ stateful, alarmEmail }: ServiceStackProps) {
    const topic = new sns.Topic(this, 'Alarms', {
      enforceSSL: true,
      masterKey: kms.Alias.fromAliasName(this, 'AlarmsKey', 'alias/aws/sns'),
    });
    if (alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(alarmEmail));
    const notify = new cloudwatchActions.SnsAction(topic);

    const payerMetric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'Tipstream',
        metricName,
        dimensionsMap: { service: 'tipstream-payer' },
        statistic,
        period: Duration.minutes(5),
      });
    const paid = payerMetric('TipsPaid', 'Sum');
    const failed = payerMetric('TipsFailed', 'Sum');
    const failureRate = new cloudwatch.MathExpression({
      expression: 'IF(paid + failed > 0, 100 * failed / (paid + failed), 0)',
      usingMetrics: { paid, failed },
      label: 'failed tips, %',
      period: Duration.minutes(5),
    });

    const alarms = [
      new cloudwatch.Alarm(this, 'DeadLetters', {
        alarmDescription:
          'Tip messages reached the dead-letter queue: see README, "Redriving the DLQ"',
        metric: stateful.tipsDlq.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'OldestTipWaiting', {
        alarmDescription:
          'A tip has waited in the queue for over 5 minutes: is the payer failing or throttled?',
        metric: stateful.tipsQueue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(1),
        }),
        threshold: 300,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'FailureRate', {
        alarmDescription: 'Over 20% of tips failed in 15 minutes: check liquidity and the LND node',
        metric: failureRate,
        threshold: 20,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'PayerErrors', {
        alarmDescription: 'The payer function itself is failing (not individual tips)',
        metric: this.payer.metricErrors({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(notify);

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Tips paid / failed',
            left: [paid, failed],
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Failure rate', left: [failureRate], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'Fees (msat)',
            left: [payerMetric('FeeMsat', 'Sum')],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Pay latency (ms)',
            left: [payerMetric('PayLatency', 'p50'), payerMetric('PayLatency', 'p95')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Queue depth',
            left: [
              stateful.tipsQueue.metricApproximateNumberOfMessagesVisible(),
              stateful.tipsDlq.metricApproximateNumberOfMessagesVisible(),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Oldest tip waiting (s)',
            left: [stateful.tipsQueue.metricApproximateAgeOfOldestMessage()],
            width: 8,
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 })],
      ],
    });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboardName });
    new CfnOutput(this, 'AlarmTopicArn', { value: topic.topicArn });
  }
}
