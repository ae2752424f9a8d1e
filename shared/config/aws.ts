import { createDynamoDbClient, createSqsClient } from '../adapters/aws-clients.js';

type Env = Record<string, string | undefined>;

/**
 * AWS SDK client settings from the environment: region, an endpoint override (DynamoDB Local,
 * ElasticMQ) and explicit keys when `env` carries them (the local stack); otherwise the SDK's
 * default chain (the Lambda role).
 */
const awsClientConfig = (env: Env, endpoint: string | undefined) => ({
  region: env.TIPSTREAM_AWS_REGION ?? env.AWS_REGION ?? 'us-east-1',
  ...(endpoint ? { endpoint } : {}),
  ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? {
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          sessionToken: env.AWS_SESSION_TOKEN,
        },
      }
    : {}),
});

/** The DynamoDB of this environment: `TIPSTREAM_DYNAMODB_ENDPOINT`, else AWS. */
export const dynamoDbFromEnv = (env: Env) =>
  createDynamoDbClient(awsClientConfig(env, env.TIPSTREAM_DYNAMODB_ENDPOINT));

/** The SQS of this environment: `TIPSTREAM_SQS_ENDPOINT`, else AWS. */
export const sqsFromEnv = (env: Env) =>
  createSqsClient(awsClientConfig(env, env.TIPSTREAM_SQS_ENDPOINT));

/** Credentials of the local stack; DynamoDB Local 3.x accepts only letters and digits in the key id. */
export const LOCAL_CREDENTIALS = {
  accessKeyId: 'tipstreamlocal',
  secretAccessKey: 'tipstreamlocal',
};

/** A client of the local stack's DynamoDB Local (no retries: a failure shows at once). */
export const localDynamoDbClient = (endpoint: string, region: string) =>
  createDynamoDbClient({ endpoint, region, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
