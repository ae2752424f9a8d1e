import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { buildUnbundledApp } from './unbundled-app.js';

const ACKNOWLEDGED = 'aws:cdk:acknowledged-rules';

describe('cdk-nag AwsSolutions checks', () => {
  it('pass on the whole app with no unacknowledged finding', () => {
    const { app } = buildUnbundledApp();
    expect(() => app.synth()).not.toThrow();
  });

  it('run on every synth of the app: a non-compliant resource stops it with its rule id', () => {
    const { app } = buildUnbundledApp();
    new sqs.Queue(new Stack(app, 'Careless'), 'PlainQueue', {
      encryption: sqs.QueueEncryption.UNENCRYPTED,
    });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4|AwsSolutions-SQS3/);
  });

  it('acknowledges only named rules, each with a reason of at least a sentence', () => {
    const { app } = buildUnbundledApp();
    const acknowledgments = app.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === ACKNOWLEDGED)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    const ids = [...new Set(acknowledgments.map(([id]) => id.replace(/^[^:]+::/, '')))].sort();
    expect(ids).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
    ]);
    for (const [, reason] of acknowledgments) expect(reason.length).toBeGreaterThan(60);
  });

  it('grants no wildcard action and no wildcard resource but X-Ray tracing (GSIs are named, not index/*)', () => {
    const { app, service } = buildUnbundledApp();
    app.synth();
    const policies = Template.fromStack(service).findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[],
    );
    expect(statements.length).toBeGreaterThan(10);
    // X-Ray's write actions have no resource-level permissions: the one acknowledged `*`.
    const xray = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
    const tracing = statements.filter((s) => JSON.stringify(s.Action) === JSON.stringify(xray));
    expect(tracing).toHaveLength(4);
    for (const statement of tracing) expect(statement.Resource).toBe('*');
    for (const statement of statements.filter((s) => !tracing.includes(s))) {
      for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*/);
      for (const resource of [statement.Resource].flat()) {
        expect(JSON.stringify(resource)).not.toMatch(/\*/);
      }
    }
    const indexQueries = statements.filter((s) =>
      JSON.stringify(s.Resource).includes('/index/inFlight-sendingSince'),
    );
    expect(indexQueries.length).toBeGreaterThan(0);
    for (const statement of indexQueries) expect(statement.Action).toBe('dynamodb:Query');
  });
});
