import {
  type CfnElement,
  CfnOutput,
  Duration,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { TableGrants } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { logicalIdWithoutGroupings } from '../constructs/grouping.js';
import { Monitoring } from '../constructs/monitoring.js';
import { PayerFunction } from '../constructs/payer-function.js';
import { TipApi } from '../constructs/tip-api.js';
import { TipstreamFunction } from '../constructs/tipstream-function.js';
import { WebhookDispatcher } from '../constructs/webhook-dispatcher.js';
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

/**
 * The reconciler's timeout. An attempt it starts (a held tip sent again, a dead payer's tip) is
 * leased for its remaining time, so this is also the longest lease any attempt holds.
 */
export const RECONCILER_TIMEOUT = Duration.minutes(5);

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

/** The functions, their triggers and the HTTP API. Secrets hold what must not be in the template. */
export class ServiceStack extends Stack {
  readonly api: NodejsFunction;
  readonly payer: NodejsFunction;
  readonly reconciler: NodejsFunction;
  readonly httpApi: TipApi;
  readonly lndSecret: secretsmanager.ISecret;
  readonly keysSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { stateful, settings } = props;

    this.lndSecret = this.secret(
      'LndConnection',
      'Tipstream payer: JSON {"socket","cert" (base64),"macaroon" (base64, least privilege)}',
      props.existingSecrets?.lndSecretArn,
    );
    this.keysSecret = this.secret(
      'PayerKeys',
      'Tipstream payer: JSON {"preimageKeys":"1:<64 hex>[,2:<64 hex>]","preimageKeyVersion":1,"receiptPrivateKey":"<64 hex>"}',
      props.existingSecrets?.keysSecretArn,
    );

    const { tables } = stateful;
    const common = {
      logRetention: settings.logRetention,
      environment: {
        TIPSTREAM_TIPS_TABLE: tables.tips.tableName,
        TIPSTREAM_PAYOUTS_TABLE: tables.payouts.tableName,
        TIPSTREAM_BATCHES_TABLE: tables.batches.tableName,
        TIPSTREAM_PLATFORMS_TABLE: tables.platforms.tableName,
        TIPSTREAM_REQUESTS_TABLE: tables.requests.tableName,
        TIPSTREAM_BUDGETS_TABLE: tables.budgets.tableName,
        ...settings.policy,
      },
    };
    const workerEnv = {
      ...common.environment,
      TIPSTREAM_LND_SECRET_ARN: this.lndSecret.secretArn,
      TIPSTREAM_KEYS_SECRET_ARN: this.keysSecret.secretArn,
      TIPSTREAM_PAYER_CONCURRENCY: String(settings.payerConcurrencyPerBatch),
    };
    this.payer = new PayerFunction(this, 'Payer', {
      ...common,
      environment: workerEnv,
      timeout: settings.payerTimeout,
      queue: stateful.tipsQueue,
      batchSize: settings.payerBatchSize,
      maxConcurrency: settings.payerMaxConcurrency,
    });
    this.reconciler = new TipstreamFunction(this, 'Reconciler', {
      ...common,
      environment: workerEnv,
      service: 'reconciler',
      timeout: RECONCILER_TIMEOUT,
    });
    this.api = new TipstreamFunction(this, 'Api', {
      ...common,
      environment: { ...common.environment, TIPSTREAM_TIPS_QUEUE_URL: stateful.tipsQueue.queueUrl },
      service: 'api',
      timeout: Duration.seconds(29),
    });

    // Least privilege: each function gets exactly the tables, queue and secrets it uses.
    for (const worker of [this.payer, this.reconciler]) {
      for (const table of ['tips', 'payouts', 'batches', 'requests', 'budgets'] as const) {
        this.grantTable(stateful, table, worker, 'readWrite');
      }
      this.lndSecret.grantRead(worker);
      this.keysSecret.grantRead(worker);
    }
    for (const table of ['platforms', 'requests', 'budgets', 'batches'] as const) {
      this.grantTable(stateful, table, this.api, 'readWrite');
    }
    this.grantTable(stateful, 'tips', this.api, 'read');
    this.grantTable(stateful, 'payouts', this.api, 'read');
    stateful.tipsQueue.grantSendMessages(this.api);
    for (const fn of [this.payer, this.reconciler, this.api]) acknowledgeBaseRole(fn);

    new events.Rule(this, 'ReconcileSchedule', {
      schedule: events.Schedule.rate(settings.reconcileEvery),
      targets: [new targets.LambdaFunction(this.reconciler)],
    });

    this.httpApi = new TipApi(this, 'TipApi', {
      handler: this.api,
      throttle: settings.apiThrottle,
      logRetention: settings.logRetention,
    });
    Validations.of(this.httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Every route authenticates the calling platform itself: an HMAC-SHA256 Tipstream-Signature ' +
        '(v2) over timestamp, platform, method, route, Idempotency-Key and body with the platform secret, checked in the ' +
        'handler before anything is read or written. Platforms are servers, not AWS principals or ' +
        'JWT holders, so an IAM or JWT authorizer would not fit.',
    });

    const monitoring = new Monitoring(this, 'Monitoring', {
      payer: this.payer,
      tipsQueue: stateful.tipsQueue,
      tipsDlq: stateful.tipsDlq,
      alarmEmail: props.alarmEmail,
    });

    const dispatcher = new WebhookDispatcher(this, 'Webhooks', {
      streams: [stateful.tables.tips, stateful.tables.batches],
      environment: common.environment,
      logRetention: settings.logRetention,
      alarmTopic: monitoring.topic,
    });
    for (const table of ['webhookEndpoints', 'webhookDeliveries'] as const) {
      this.grantTable(stateful, table, dispatcher.fn, 'readWrite');
      this.grantTable(stateful, table, this.api, 'readWrite');
    }
    acknowledgeBaseRole(dispatcher.fn);

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
    new CfnOutput(this, 'DashboardName', { value: monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.topic.topicArn });
  }

  /** Resources in `Grouping` constructs keep the logical IDs they had directly in this stack. */
  protected override allocateLogicalId(element: CfnElement): string {
    return super.allocateLogicalId(logicalIdWithoutGroupings(element));
  }

  /**
   * Filled by the operator after the first deploy (README, "Deploying"): never in the template.
   * An existing secret is imported by its complete ARN, so grants name it exactly (no wildcard).
   */
  private secret(id: string, description: string, existingArn?: string) {
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
  }

  /** Data access to one table, and Query on its GSIs by name (not `index/*`). */
  private grantTable(
    stateful: StatefulStack,
    key: keyof StatefulStack['tables'],
    grantee: NodejsFunction,
    access: 'read' | 'readWrite',
  ) {
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
  }
}

/** The findings every function's role raises by design (logs, X-Ray), each with its reason. */
const acknowledgeBaseRole = (fn: NodejsFunction) => {
  const role = fn.role;
  if (!role) return;
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs; ' +
      'writing that policy out by hand would grant the same three log actions.',
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Active tracing grants xray:PutTraceSegments and xray:PutTelemetryRecords, which support no ' +
      'resource-level permissions (X-Ray requires Resource "*"). Every other statement names its ' +
      'resources: test/infra/nag.test.ts fails on any other wildcard.',
  });
};
