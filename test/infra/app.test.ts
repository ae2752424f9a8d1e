import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  DUE_DELIVERIES_INDEX,
  ENDPOINT_QUEUES_INDEX,
  IN_FLIGHT_INDEX,
  PLATFORM_BATCHES_INDEX,
  PLATFORM_TIPS_ATTRIBUTES,
  PLATFORM_TIPS_INDEX,
} from '../../shared/adapters/dynamodb/tables.js';
import { readPayerConfig } from '../../shared/config/payer-config.js';
import { heldTipRejudgedWithinMs } from '../../shared/domain/payment-failure.js';
import { buildUnbundledApp } from './unbundled-app.js';

const synth = (context: Record<string, unknown> = {}) => {
  const { app, stateful, service } = buildUnbundledApp(context);
  return {
    assembly: app.synth(),
    template: Template.fromStack(stateful),
    service: Template.fromStack(service),
  };
};

describe('CDK app: stateful stack', () => {
  it('synthesizes offline', () => {
    const { assembly } = synth();
    expect(assembly.stacks.map((stack) => stack.stackName)).toContain('TipstreamStateful');
  });

  it('keeps the ledger tables safe: PITR, encryption, retained on delete, deletion protection', () => {
    const { template } = synth();
    const tables = template.findResources('AWS::DynamoDB::GlobalTable');
    expect(Object.keys(tables)).toHaveLength(8);
    for (const table of Object.values(tables)) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true });
      expect(table.Properties.Replicas[0]).toMatchObject({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
      expect(table.Properties.TableName).toBeUndefined();
    }
  });

  it('builds the tips table with the same keys and in-flight index as the local stack', () => {
    synth().template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'tipId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: IN_FLIGHT_INDEX,
          KeySchema: [
            { AttributeName: 'inFlight', KeyType: 'HASH' },
            { AttributeName: 'sendingSince', KeyType: 'RANGE' },
          ],
        }),
      ]),
    });
  });

  it("indexes a platform's tips (only the listed attributes) and batches (keys only) by time", () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'tipId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: PLATFORM_TIPS_INDEX,
          KeySchema: [
            { AttributeName: 'platformId', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: [...PLATFORM_TIPS_ATTRIBUTES],
          },
        },
      ]),
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'batchId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: PLATFORM_BATCHES_INDEX,
          KeySchema: [
            { AttributeName: 'platformId', KeyType: 'HASH' },
            { AttributeName: 'acceptedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
    // The API reads them: its role may Query both, by name.
    const policies = JSON.stringify(synth().service.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(`/index/${PLATFORM_TIPS_INDEX}`);
    expect(policies).toContain(`/index/${PLATFORM_BATCHES_INDEX}`);
  });

  it('adds one GSI to the deliveries table (the per-endpoint queues; 3 before), keeps the first due index, and lets the dispatcher query both', () => {
    const { template, service } = synth();
    const deliveries = Object.values(template.findResources('AWS::DynamoDB::GlobalTable')).find(
      (table) => table.Properties.KeySchema[0].AttributeName === 'deliveryId',
    );
    const names = deliveries?.Properties.GlobalSecondaryIndexes.map(
      (index: { IndexName: string }) => index.IndexName,
    );
    expect(names).toContain(DUE_DELIVERIES_INDEX);
    expect(names).toContain(ENDPOINT_QUEUES_INDEX);
    expect(names).toHaveLength(4);
    const policies = JSON.stringify(service.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(`/index/${ENDPOINT_QUEUES_INDEX}`);
    expect(policies).toContain(`/index/${DUE_DELIVERIES_INDEX}`);
  });

  it('encrypts the queues, redrives to the DLQ, and sets visibility to 6× the payer timeout', () => {
    const { template } = synth({
      'tipstream:maxReceiveCount': 3,
      'tipstream:payerTimeoutSeconds': 45,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 270,
      RedrivePolicy: { maxReceiveCount: 3, deadLetterTargetArn: Match.anyValue() },
    });
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(2);
    for (const queue of Object.values(queues)) expect(queue.Properties.QueueName).toBeUndefined();
  });

  it('refuses plain-HTTP access to both queues', () => {
    const policies = synth().template.findResources('AWS::SQS::QueuePolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('lets the reconciler judge a held tip twice within the node recovery window (a hold acknowledges its message: no receive spent, never the DLQ)', () => {
    const { service } = synth();
    const payer = Object.values(service.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Environment?.Variables?.TIPSTREAM_PAYER_CONCURRENCY !== undefined,
    );
    const env = payer?.Properties.Environment.Variables as Record<string, string>;
    const { policy } = readPayerConfig(env);
    // The held attempt's lease: the timeout of the worker that started it, payer or reconciler
    // (both run with the payer's settings).
    const workers = Object.values(service.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment?.Variables?.TIPSTREAM_PAYER_CONCURRENCY !== undefined,
    );
    expect(workers).toHaveLength(2);
    const leaseMs = 1000 * Math.max(...workers.map((fn) => fn.Properties.Timeout as number));
    const rate = Object.values(service.findResources('AWS::Events::Rule'))[0]?.Properties
      .ScheduleExpression as string;
    const reconcileEveryMs = 60_000 * Number(/rate\((\d+) minutes?\)/.exec(rate)?.[1]);
    const rejudged = heldTipRejudgedWithinMs({
      stuckAfterMs: policy.stuckAfterMs,
      leaseMs,
      leaseGraceMs: policy.leaseGraceMs,
      reconcileEveryMs,
    });
    expect(policy.nodeRecoveryMs).toBe(600_000);
    expect(rejudged + reconcileEveryMs).toBeLessThan(policy.nodeRecoveryMs);
  });

  it('refuses a recovery window the reconciler cannot see a held tip through', () => {
    expect(() => synth({ 'tipstream:reconcileEveryMinutes': 5 })).toThrow(
      /node recovery window \(600 s\) must exceed the reconciler's first look at a held tip \(630 s\) plus one more run \(300 s\)/,
    );
    expect(() =>
      synth({ 'tipstream:reconcileEveryMinutes': 5, 'tipstream:nodeRecoverySeconds': 1200 }),
    ).not.toThrow();
  });

  it("counts the reconciler's own lease: an attempt it starts (a held tip sent again, a dead payer's tip) holds its 5-minute timeout, so a tip first held on it is looked at that much later", () => {
    // The payer's 30 s lease alone would allow 300 s: first look at max(120, 30 + 30) + 60 = 180 s.
    // An attempt the reconciler starts leases its remaining time (up to 300 s): first look at
    // max(120, 300 + 30) + 60 = 390 s, after the window has closed.
    expect(() =>
      synth({
        'tipstream:payerTimeoutSeconds': 30,
        'tipstream:reconcileEveryMinutes': 1,
        'tipstream:nodeRecoverySeconds': 300,
      }),
    ).toThrow(/first look at a held tip \(390 s\)/);
    expect(() =>
      synth({
        'tipstream:payerTimeoutSeconds': 30,
        'tipstream:reconcileEveryMinutes': 1,
        'tipstream:nodeRecoverySeconds': 460,
      }),
    ).not.toThrow();
  });

  it('rejects a nonsensical context value with its name', () => {
    expect(() => synth({ 'tipstream:maxReceiveCount': 'many' })).toThrow(
      /context tipstream:maxReceiveCount must be a positive number/,
    );
  });
});

describe('CDK app: service stack', () => {
  const { service } = synth({ 'tipstream:payerBatchSize': 7, 'tipstream:payerMaxConcurrency': 3 });

  it('runs every function on Node.js 24 on ARM64 with Powertools settings and a log retention', () => {
    const functions = service.findResources('AWS::Lambda::Function');
    const ours = Object.values(functions).filter((f) => f.Properties.Handler === 'index.handler');
    expect(ours).toHaveLength(4);
    for (const fn of ours) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE).toBe('Tipstream');
    }
    service.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('feeds the payer from the tips queue with partial batch responses and a concurrency cap', () => {
    service.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 7,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 3 },
    });
  });

  it('keeps secrets out of the template and the environment: only their ARNs', () => {
    const json = JSON.stringify(service.toJSON());
    const secrets = Object.values(service.findResources('AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) expect(secret.Properties.SecretString).toBeUndefined();
    for (const fn of Object.values(service.findResources('AWS::Lambda::Function'))) {
      const names = Object.keys(fn.Properties.Environment?.Variables ?? {});
      expect(
        names.filter((name) => /MACAROON|CERT|PRIVATE_KEY|PREIMAGE_KEYS|SECRET(?!_ARN)/.test(name)),
      ).toEqual([]);
    }
    expect(json).not.toMatch(/admin\.macaroon|BEGIN CERTIFICATE/);
  });

  it('lets only the payer and reconciler read the LND and key secrets', () => {
    const policies = Object.values(service.findResources('AWS::IAM::Policy'));
    const readers = policies.filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'),
    );
    expect(readers).toHaveLength(2);
    for (const policy of readers) {
      expect(JSON.stringify(policy.Properties.Roles)).toMatch(/Payer|Reconciler/);
      const secretReads = (
        policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]
      ).filter((statement) => JSON.stringify(statement.Action).includes('secretsmanager:'));
      expect(secretReads).toHaveLength(2);
      for (const statement of secretReads) expect(statement.Resource).not.toBe('*');
    }
  });

  it('serves the HTTP API with access logs and throttling, and schedules the reconciler', () => {
    const stages = service.findResources('AWS::ApiGatewayV2::Stage');
    expect(Object.keys(stages)).toHaveLength(1);
    const [logGroup] = Object.keys(service.findResources('AWS::Logs::LogGroup')).filter((id) =>
      id.startsWith('TipApiAccessLogs'),
    );
    service.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logGroup, 'Arn'] },
        Format: JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          method: '$context.httpMethod',
          path: '$context.path',
          status: '$context.status',
          latency: '$context.responseLatency',
          platform: '$context.requestHeader.tipstream-platform',
        }),
      },
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    service.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(2 minutes)' });
  });

  it('throttles the stage as the context says', () => {
    synth({
      'tipstream:apiRateLimit': 7,
      'tipstream:apiBurstLimit': 9,
    }).service.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 },
    });
  });

  it('traces every function with X-Ray (active tracing, and the role may write segments)', () => {
    const functions = Object.entries(service.findResources('AWS::Lambda::Function')).filter(
      ([, fn]) => fn.Properties.Handler === 'index.handler',
    );
    expect(functions).toHaveLength(4);
    for (const [, fn] of functions) {
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      const role = fn.Properties.Role['Fn::GetAtt'][0];
      service.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: role }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
              Effect: 'Allow',
              Resource: '*',
            },
          ]),
        },
      });
    }
  });
});

describe('CDK app: logical IDs', () => {
  // infra/constructs only group code: CloudFormation must see the same resources, or a deploy
  // would replace them (queued tips lost, a new API URL, a second event source mapping on the
  // queue, the alarm email to confirm again). These are the IDs deployed before the constructs.
  const { template, service } = synth({ 'tipstream:alarmEmail': 'ops@example.com' });
  const ids = (t: Template, type: string) => Object.keys(t.findResources(type)).sort();

  it('keeps the stateful resources and the service identities where they were', () => {
    expect(ids(template, 'AWS::SQS::Queue')).toEqual([
      'TipsDeadLetterQueue1B449EA6',
      'TipsQueue0E36C819',
    ]);
    expect(ids(service, 'AWS::SecretsManager::Secret')).toEqual([
      'LndConnection028DC1F2',
      'PayerKeysEEFA8906',
    ]);
    expect(ids(service, 'AWS::ApiGatewayV2::Api')).toEqual(['TipApiB99C9BBB']);
    expect(ids(service, 'AWS::ApiGatewayV2::Stage')).toEqual(['TipApiDefaultStage5FD43A22']);
    expect(ids(service, 'AWS::ApiGatewayV2::Route')).toEqual(['TipApiDefaultRoute02163C5C']);
    // The webhook dispatcher (two stream mappings, its function and logs) is added, not moved.
    expect(ids(service, 'AWS::Lambda::EventSourceMapping')).toEqual(
      expect.arrayContaining(['PayerSqsEventSourceTipstreamStatefulTipsQueue08AD6438CA3A619E']),
    );
    expect(ids(service, 'AWS::Lambda::EventSourceMapping')).toHaveLength(3);
    expect(ids(service, 'AWS::Lambda::Function')).toEqual(
      expect.arrayContaining(['ApiF70053CD', 'Payer31197FFF', 'Reconciler066B3B2B']),
    );
    expect(ids(service, 'AWS::Logs::LogGroup')).toEqual(
      expect.arrayContaining([
        'ApiLogs3D05D88B',
        'PayerLogs87F02485',
        'ReconcilerLogs12D6B32A',
        'TipApiAccessLogsB868209F',
      ]),
    );
    expect(ids(service, 'AWS::SNS::Topic')).toEqual(['Alarms04B5A0BF']);
    expect(ids(service, 'AWS::SNS::Subscription')).toHaveLength(1);
    expect(ids(service, 'AWS::CloudWatch::Dashboard')).toEqual(['Dashboard9E4231ED']);
    expect(ids(service, 'AWS::CloudWatch::Alarm')).toEqual(
      expect.arrayContaining([
        'DeadLettersBBF8BAAB',
        'FailureRate39B4954E',
        'OldestTipWaitingD401BA33',
        'PayerErrors148ECAAC',
        // Added (LND keeping a tip in flight for long), not moved.
        'StuckInLndA0B3CC1D',
      ]),
    );
    // Added: the webhook dispatcher's DLQ and errors alarms.
    expect(ids(service, 'AWS::CloudWatch::Alarm')).toHaveLength(7);
  });
});

describe('CDK app: monitoring', () => {
  const { service } = synth({ 'tipstream:alarmEmail': 'ops@example.com' });

  it('alarms on dead letters, old messages, the failure rate, payer errors and tips stuck in LND, to an email topic', () => {
    const alarms = Object.values(service.findResources('AWS::CloudWatch::Alarm'));
    const descriptions = alarms.map((alarm) => String(alarm.Properties.AlarmDescription));
    expect(descriptions).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/dead-letter queue/),
        expect.stringMatching(/waited in the queue/),
        expect.stringMatching(/Over 20% of tips failed/),
        expect.stringMatching(/payer function itself is failing/),
        expect.stringMatching(/tipstream stuck/),
      ]),
    );
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
    service.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Tipstream',
      MetricName: 'TipsStuckInLnd',
      Dimensions: [{ Name: 'service', Value: 'tipstream-reconciler' }],
      Threshold: 1,
    });
    service.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('has a dashboard with tips paid and failed, fees, latency and queue depth', () => {
    const [dashboard] = Object.values(service.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const title of ['Tips paid / failed', 'Fees (msat)', 'Pay latency (ms)', 'Queue depth']) {
      expect(body).toContain(title);
    }
  });
});
