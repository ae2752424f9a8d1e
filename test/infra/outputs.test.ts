import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';

it('outputs what the deployment guide and the tipstream CLI need, and no secret value', () => {
  const { app, stateful, service } = buildApp(
    new App({ context: { 'aws:cdk:bundling-stacks': [] } }),
  );
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
