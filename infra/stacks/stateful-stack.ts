import { CfnOutput, type Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  TABLE_KEYS,
  type TableNames,
  tableDefinitions,
} from '../../shared/adapters/dynamodb/tables.js';
import { TipsQueue } from '../constructs/tips-queue.js';

export interface StatefulStackProps extends StackProps {
  /** Receives before a tip message moves to the dead-letter queue. */
  maxReceiveCount: number;
  /** Payer function timeout; the queue's visibility timeout is 6× it (AWS's rule for SQS → Lambda). */
  payerTimeout: Duration;
}

const attributeType = (type: string | undefined) =>
  type === 'N'
    ? dynamodb.AttributeType.NUMBER
    : type === 'B'
      ? dynamodb.AttributeType.BINARY
      : dynamodb.AttributeType.STRING;

/** The index's projection as CDK takes it (ALL, KEYS_ONLY, or INCLUDE with its attributes). */
const projection = (
  value: { ProjectionType?: string; NonKeyAttributes?: string[] } | undefined,
): { projectionType: dynamodb.ProjectionType; nonKeyAttributes?: string[] } =>
  value?.ProjectionType === 'KEYS_ONLY'
    ? { projectionType: dynamodb.ProjectionType.KEYS_ONLY }
    : value?.ProjectionType === 'INCLUDE'
      ? {
          projectionType: dynamodb.ProjectionType.INCLUDE,
          nonKeyAttributes: value.NonKeyAttributes ?? [],
        }
      : { projectionType: dynamodb.ProjectionType.ALL };

/**
 * What must outlive any deployment: the ledger tables and the tips queues. Key schemas come from
 * `tableDefinitions`, the same source the local stack creates its tables from.
 */
export class StatefulStack extends Stack {
  readonly tables: Record<keyof TableNames, dynamodb.TableV2>;
  /** Each table's GSI names, so grants can name the indexes instead of `index/*`. */
  readonly indexNames: Record<keyof TableNames, string[]>;
  readonly tipsQueue: TipsQueue;
  readonly tipsDlq: Queue;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const logicalIds: Record<keyof TableNames, string> = {
      tips: 'TipsTable',
      payouts: 'PayoutsTable',
      batches: 'BatchesTable',
      platforms: 'PlatformsTable',
      requests: 'RequestsTable',
      budgets: 'BudgetsTable',
      webhookEndpoints: 'WebhookEndpointsTable',
      webhookDeliveries: 'WebhookDeliveriesTable',
    };
    // Names are placeholders: CDK generates physical names; only the key schemas are used here.
    const definitions = tableDefinitions(
      Object.fromEntries(TABLE_KEYS.map((key) => [key, key])) as unknown as TableNames,
    );
    const tables = {} as Record<keyof TableNames, dynamodb.TableV2>;
    const indexNames = {} as Record<keyof TableNames, string[]>;
    for (const [index, key] of TABLE_KEYS.entries()) {
      const definition = definitions[index];
      if (!definition) throw new Error(`no table definition for ${key}`);
      const attribute = (name: string | undefined) => ({
        name: name ?? '',
        type: attributeType(
          definition.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType,
        ),
      });
      indexNames[key] = (definition.GlobalSecondaryIndexes ?? []).map((gsi) => gsi.IndexName ?? '');
      const hash = definition.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
      tables[key] = new dynamodb.TableV2(this, logicalIds[key], {
        partitionKey: attribute(hash),
        billing: dynamodb.Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
        removalPolicy: RemovalPolicy.RETAIN,
        deletionProtection: true,
        ...(definition.StreamSpecification?.StreamViewType === 'NEW_AND_OLD_IMAGES'
          ? { dynamoStream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES }
          : {}),
        globalSecondaryIndexes: definition.GlobalSecondaryIndexes?.map((index) => ({
          indexName: index.IndexName ?? '',
          partitionKey: attribute(
            index.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName,
          ),
          sortKey: attribute(index.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName),
          ...projection(index.Projection),
        })),
      });
    }
    this.tables = tables;
    this.indexNames = indexNames;

    this.tipsQueue = new TipsQueue(this, 'TipsQueue', {
      deadLetterQueueId: 'TipsDeadLetterQueue',
      maxReceiveCount: props.maxReceiveCount,
      consumerTimeout: props.payerTimeout,
    });
    this.tipsDlq = this.tipsQueue.deadLetters;

    // What the operator needs after a deploy (README, "Deploying to AWS"): queue URLs for the DLQ
    // redrive and the table names the `tipstream` CLI reads for platform management.
    new CfnOutput(this, 'TipsQueueUrl', { value: this.tipsQueue.queueUrl });
    new CfnOutput(this, 'TipsDeadLetterQueueUrl', { value: this.tipsDlq.queueUrl });
    for (const key of TABLE_KEYS) {
      const name = `${key[0]?.toUpperCase()}${key.slice(1)}TableName`;
      new CfnOutput(this, name, { value: tables[key].tableName });
    }
  }
}
