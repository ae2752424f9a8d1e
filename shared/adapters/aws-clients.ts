import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';

export type { DynamoDBClient, SQSClient };

/** A DynamoDB client; shared/config decides its region, endpoint and credentials. */
export const createDynamoDbClient = (config: DynamoDBClientConfig): DynamoDBClient =>
  new DynamoDBClient(config);

/** An SQS client; shared/config (or the CLI's queue choice) decides its settings. */
export const createSqsClient = (config: SQSClientConfig): SQSClient => new SQSClient(config);
