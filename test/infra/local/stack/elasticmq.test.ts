import { describe, expect, it } from 'vitest';
import { elasticMqConfig, TIPS_DLQ, TIPS_QUEUE } from '../../../../infra/local/stack/elasticmq.js';

describe('elasticMqConfig', () => {
  const config = elasticMqConfig(19324, 'eu-west-1', {
    maxReceiveCount: 3,
    visibilityTimeoutSeconds: 45,
  });

  it('binds to loopback on the given port only', () => {
    expect(config).toContain('bind-port = 19324');
    expect(config).toContain('bind-hostname = "127.0.0.1"');
    expect(config).toMatch(/node-address \{[^}]*port = 19324/);
  });

  it('redrives the tips queue to its DLQ after the configured receives', () => {
    const tips = config.slice(config.indexOf(`  ${TIPS_QUEUE} {`));
    expect(tips).toMatch(
      new RegExp(`deadLettersQueue \\{\\s*name = "${TIPS_DLQ}"\\s*maxReceiveCount = 3`),
    );
    expect(tips).toContain('defaultVisibilityTimeout = 45 seconds');
    expect(config).toContain(`  ${TIPS_DLQ} {`);
  });

  it('uses the region in queue ARNs', () => {
    expect(config).toMatch(/aws \{\s*region = eu-west-1/);
  });
});
