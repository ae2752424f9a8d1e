import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { secp } from '../../shared/domain/secp.js';
import { type StackClients, stackClients } from './helpers.js';

const stack = inject('stack');

describe('DynamoDB tip ledger: reading many tips at once', () => {
  let clients: StackClients;
  const tipIds: string[] = [];

  beforeAll(async () => {
    clients = await stackClients(stack);
    const run = randomUUID().slice(0, 8);
    // 250 tips: three BatchGetItem chunks of 100. Each ends FAILED at once, so no reconciler
    // on the shared stack ever tries to pay these made-up recipients.
    for (let index = 0; index < 250; index += 1) {
      const tipId = `it-ledger-${run}:${index}`;
      const recipient = Buffer.from(secp.getPublicKey(randomBytes(32), true)).toString('hex');
      const { record } = await clients.ledger.createTip(
        {
          tipId,
          fingerprint: createHash('sha256').update(tipId).digest('hex'),
          platformId: 'it-ledger',
          recipient,
          amountMsat: BigInt(1000 + index),
          records: [],
          paymentHash: randomBytes(32).toString('hex'),
          keyVersion: 1,
        },
        new Date(),
      );
      const sending = await clients.ledger.markSending(
        tipId,
        'RECEIVED',
        record.attempt,
        new Date(),
        new Date(),
      );
      await clients.ledger.markFailed(sending, { code: 'NO_ROUTE', reason: 'test' }, new Date());
      tipIds.push(tipId);
    }
  }, 120_000);

  afterAll(() => clients?.destroy());

  it('returns every known tip once, the same as getTip, and leaves unknown ids out', async () => {
    const unknown = [`it-ledger-missing-${randomUUID()}`, `it-ledger-missing-${randomUUID()}`];
    const tips = await clients.ledger.getTips([...tipIds, ...unknown, tipIds[0] ?? '']);
    expect(tips.size).toBe(250);
    for (const id of unknown) expect(tips.has(id)).toBe(false);
    for (const tipId of [tipIds[0], tipIds[99], tipIds[100], tipIds[249]] as string[]) {
      expect(tips.get(tipId)).toEqual(await clients.ledger.getTip(tipId));
    }
    expect(tips.get(tipIds[137] ?? '')?.amountMsat).toBe(1137n);
    expect(tips.get(tipIds[137] ?? '')?.state).toBe('FAILED');
  });

  it('answers an empty list without calling DynamoDB', async () => {
    expect((await clients.ledger.getTips([])).size).toBe(0);
  });
});
