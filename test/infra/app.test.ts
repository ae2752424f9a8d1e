import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { IN_FLIGHT_INDEX } from '../../shared/adapters/dynamodb/tables.js';

const synth = (context: Record<string, unknown> = {}) => {
  const { app, stateful } = buildApp(new App({ context }));
  return { assembly: app.synth(), template: Template.fromStack(stateful) };
};

describe('CDK app: stateful stack', () => {
  it('synthesizes offline', () => {
    const { assembly } = synth();
    expect(assembly.stacks.map((stack) => stack.stackName)).toContain('TipstreamStateful');
  });

  it('keeps the ledger tables safe: PITR, encryption, retained on delete, deletion protection', () => {
    const { template } = synth();
    const tables = template.findResources('AWS::DynamoDB::GlobalTable');
    expect(Object.keys(tables)).toHaveLength(6);
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

  it('rejects a nonsensical context value with its name', () => {
    expect(() => synth({ 'tipstream:maxReceiveCount': 'many' })).toThrow(
      /context tipstream:maxReceiveCount must be a positive number/,
    );
  });
});
