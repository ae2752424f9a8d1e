import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, readStackConfig } from '../../../../infra/local/stack/config.js';

const project = '/work/project';

describe('readStackConfig', () => {
  it('defaults to a fully local stack with its run folder in the project', () => {
    const config = readStackConfig({ HOME: homedir() }, project);
    expect(config).toMatchObject({
      projectDir: project,
      runDir: join(project, '.tipstream'),
      cacheDir: join(homedir(), '.cache', 'tipstream'),
      region: 'us-east-1',
      dynamodbEndpoint: undefined,
      sqsEndpoint: undefined,
      externalLnd: undefined,
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 30,
      startTimeoutMs: 180_000,
    });
  });

  it('reads every TIPSTREAM_* override', () => {
    const config = readStackConfig(
      {
        TIPSTREAM_RUN_DIR: 'tmp/run',
        TIPSTREAM_CACHE_DIR: '/cache/ts',
        TIPSTREAM_AWS_REGION: 'eu-west-1',
        TIPSTREAM_DYNAMODB_ENDPOINT: 'https://dynamodb.eu-west-1.amazonaws.com',
        TIPSTREAM_SQS_ENDPOINT: 'https://sqs.eu-west-1.amazonaws.com',
        TIPSTREAM_TIPS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/tips',
        TIPSTREAM_TIPS_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/1/tips-dlq',
        TIPSTREAM_LND_SOCKET: 'node.example:10009',
        TIPSTREAM_LND_CERT_PATH: '/secrets/tls.cert',
        TIPSTREAM_LND_MACAROON_PATH: '/secrets/payer.macaroon',
        TIPSTREAM_MAX_RECEIVE_COUNT: '3',
        TIPSTREAM_VISIBILITY_TIMEOUT_SECONDS: '90',
        TIPSTREAM_START_TIMEOUT_SECONDS: '60',
      },
      project,
    );
    expect(config).toMatchObject({
      runDir: join(project, 'tmp/run'),
      cacheDir: '/cache/ts',
      region: 'eu-west-1',
      dynamodbEndpoint: 'https://dynamodb.eu-west-1.amazonaws.com',
      sqsEndpoint: 'https://sqs.eu-west-1.amazonaws.com',
      tipsQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/tips',
      tipsDlqUrl: 'https://sqs.eu-west-1.amazonaws.com/1/tips-dlq',
      externalLnd: {
        socket: 'node.example:10009',
        certPath: '/secrets/tls.cert',
        macaroonPath: '/secrets/payer.macaroon',
      },
      maxReceiveCount: 3,
      visibilityTimeoutSeconds: 90,
      startTimeoutMs: 60_000,
    });
  });

  it('puts the cache under XDG_CACHE_HOME when set', () => {
    expect(readStackConfig({ XDG_CACHE_HOME: '/xdg' }, project).cacheDir).toBe('/xdg/tipstream');
  });

  it.each([
    {
      description: 'a hosted LND with only a socket',
      env: { TIPSTREAM_LND_SOCKET: 'node:10009' },
      error: /missing: TIPSTREAM_LND_CERT_PATH, TIPSTREAM_LND_MACAROON_PATH/,
    },
    {
      description: 'a hosted LND without macaroon',
      env: { TIPSTREAM_LND_SOCKET: 'node:10009', TIPSTREAM_LND_CERT_PATH: '/c' },
      error: /missing: TIPSTREAM_LND_MACAROON_PATH\)/,
    },
    {
      description: 'an SQS endpoint without queue URLs',
      env: { TIPSTREAM_SQS_ENDPOINT: 'https://sqs' },
      error:
        /set all of TIPSTREAM_SQS_ENDPOINT, TIPSTREAM_TIPS_QUEUE_URL and TIPSTREAM_TIPS_DLQ_URL/,
    },
    {
      description: 'a receive count of zero',
      env: { TIPSTREAM_MAX_RECEIVE_COUNT: '0' },
      error: /TIPSTREAM_MAX_RECEIVE_COUNT must be a positive whole number, got "0"/,
    },
    {
      description: 'a fractional visibility timeout',
      env: { TIPSTREAM_VISIBILITY_TIMEOUT_SECONDS: '1.5' },
      error: /TIPSTREAM_VISIBILITY_TIMEOUT_SECONDS must be a positive whole number, got "1.5"/,
    },
    {
      description: 'a start timeout that is not a number',
      env: { TIPSTREAM_START_TIMEOUT_SECONDS: 'soon' },
      error: /TIPSTREAM_START_TIMEOUT_SECONDS must be a positive whole number, got "soon"/,
    },
  ])('rejects $description, saying what to set', ({ env, error }) => {
    expect(() => readStackConfig(env, project)).toThrow(ConfigError);
    expect(() => readStackConfig(env, project)).toThrow(error);
  });
});
