import { Template } from 'aws-cdk-lib/assertions';
import { expect, it } from 'vitest';
import { buildUnbundledApp } from './unbundled-app.js';

it('outputs what the deployment guide and the tipstream CLI need, and no secret value', () => {
  const { app, stateful, service } = buildUnbundledApp();
  app.synth();
  const statefulOutputs = Object.keys(Template.fromStack(stateful).findOutputs('*'));
  const serviceOutputs = Template.fromStack(service).findOutputs('*');
  expect(statefulOutputs).toEqual(
    expect.arrayContaining([
      'TipsQueueUrl',
      'TipsDeadLetterQueueUrl',
      'TipsTableName',
      'PlatformsTableName',
      'BatchesTableName',
    ]),
  );
  expect(Object.keys(serviceOutputs)).toEqual(
    expect.arrayContaining(['ApiUrl', 'LndSecretArn', 'KeysSecretArn', 'DashboardName']),
  );
  // ARNs are references (Ref), never a value read from a secret.
  expect(serviceOutputs.LndSecretArn?.Value).toEqual({
    Ref: expect.stringMatching(/^LndConnection/),
  });
  expect(JSON.stringify(serviceOutputs)).not.toMatch(/SecretString|resolve:secretsmanager/);
});

it('uses secrets the operator already has, by complete ARN, instead of creating them', () => {
  const lndSecretArn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:ops/lnd-payer-AbCdEf';
  const keysSecretArn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:ops/tip-keys-GhIjKl';
  const { app, service } = buildUnbundledApp({
    'tipstream:lndSecretArn': lndSecretArn,
    'tipstream:keysSecretArn': keysSecretArn,
  });
  app.synth(); // cdk-nag runs here too
  const template = Template.fromStack(service);
  template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  const grants = JSON.stringify(template.findResources('AWS::IAM::Policy'));
  expect(grants).toContain(lndSecretArn);
  expect(grants).toContain(keysSecretArn);
  const payer = Object.values(template.findResources('AWS::Lambda::Function')).find(
    (fn) => fn.Properties.Environment?.Variables?.TIPSTREAM_LND_SECRET_ARN,
  );
  expect(payer?.Properties.Environment.Variables).toMatchObject({
    TIPSTREAM_LND_SECRET_ARN: lndSecretArn,
    TIPSTREAM_KEYS_SECRET_ARN: keysSecretArn,
  });
});
