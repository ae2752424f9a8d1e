type Env = Record<string, string | undefined>;

/**
 * AWS SDK client settings from the environment: region, an endpoint override (DynamoDB Local,
 * ElasticMQ) and explicit keys when `env` carries them (the local stack); otherwise the SDK's
 * default chain (the Lambda role).
 */
export const awsClientConfig = (env: Env, endpoint: string | undefined) => ({
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
