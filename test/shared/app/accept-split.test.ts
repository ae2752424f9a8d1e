import { describe, expect, it } from 'vitest';
import { acceptSplit } from '../../../shared/app/accept-split.js';
import { InvalidRequestError } from '../../../shared/app/errors.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import { API_PLATFORM, G, HOP, makeIntake } from './fakes.js';

const split = (body: Record<string, unknown>, policy = {}) => {
  const harness = makeIntake(policy);
  return {
    harness,
    run: () =>
      acceptSplit({ platform: API_PLATFORM, idempotencyKey: 'boost-1', body }, harness.deps),
  };
};

const RECIPIENTS = [
  { pubkey: G, split: 50, name: 'host' },
  { pubkey: HOP, split: 40, name: 'cohost' },
];

describe('acceptSplit', () => {
  it('splits by ratio in whole sats, conserving the total, and enqueues each part with the whole boost', async () => {
    const { harness, run } = split({
      amountMsat: 9_000,
      recipients: RECIPIENTS,
      message: 'great show',
      senderName: 'alice',
    });
    const { result, parts, belowMinimum } = await run();
    expect(result.kind).toBe('accepted');
    expect(parts.map((part) => part.amountMsat)).toEqual(['5000', '4000']);
    expect(parts.every((part) => part.tipId !== undefined)).toBe(true);
    expect(belowMinimum).toEqual([]);
    const sent = harness.queue.sent.map((message) => JSON.parse(message));
    expect(sent).toHaveLength(2);
    expect(sent[0].boostagram).toMatchObject({
      action: 'boost',
      value_msat_total: 9000,
      name: 'host',
      message: 'great show',
    });
    expect(sent[0].senderName).toBe('alice');
    expect(sent[0].splitOf).toMatchObject({ index: 0, count: 2 });
  });

  it("sends each part by its recipient's method (absent: keysend)", async () => {
    const { harness, run } = split({
      amountMsat: 9_000,
      recipients: [{ ...RECIPIENTS[0], method: 'auto' }, RECIPIENTS[1]],
    });
    expect((await run()).result.kind).toBe('accepted');
    const sent = harness.queue.sent.map((message) => JSON.parse(message));
    expect(sent.map((tip) => tip.method)).toEqual(['auto', undefined]);
  });

  it('reports parts below the minimum instead of paying them', async () => {
    const { run } = split({
      amountMsat: 100_000,
      recipients: [
        { pubkey: G, split: 99 },
        { pubkey: HOP, split: 1 },
      ],
      minPartMsat: 5_000,
    });
    const { parts, belowMinimum } = await run();
    expect(parts.map((part) => part.recipient)).toEqual([G]);
    expect(belowMinimum).toEqual([
      {
        recipient: HOP,
        name: undefined,
        amountMsat: '1000',
        reason: 'below the minimum part of 5000 msat: not paid',
      },
    ]);
  });

  it.each([
    {
      description: 'an unknown field',
      body: { amountMsat: 1000, recipients: RECIPIENTS, tipId: 'x' },
      error: InvalidRequestError,
      message: /unknown field\(s\) tipId/,
    },
    {
      description: 'an amount that is not whole sats',
      body: { amountMsat: 1500, recipients: RECIPIENTS },
      error: InvalidRequestError,
      message: /multiple of 1000 msat/,
    },
    {
      description: 'a zero amount',
      body: { amountMsat: '0', recipients: RECIPIENTS },
      error: InvalidRequestError,
      message: /greater than 0/,
    },
    {
      description: 'a minimum part that is not a whole number',
      body: { amountMsat: 1000, recipients: RECIPIENTS, minPartMsat: 1.5 },
      error: InvalidRequestError,
      message: /minPartMsat must be a whole number/,
    },
    {
      description: 'no recipients at all',
      body: { amountMsat: 1000 },
      error: ValidationError,
      message: /splits must be an array/,
    },
  ])('refuses $description, enqueuing nothing', async ({ body, error, message }) => {
    const { harness, run } = split(body);
    await expect(run()).rejects.toThrow(error);
    await expect(run()).rejects.toThrow(message);
    expect(harness.queue.sent).toEqual([]);
  });

  it('splits in msat when the operator allows msat payments', async () => {
    const { run } = split(
      { amountMsat: 1_001, recipients: RECIPIENTS, minPartMsat: 1 },
      { allowMsat: true },
    );
    const { parts } = await run();
    const total = parts.reduce((sum, part) => sum + BigInt(part.amountMsat), 0n);
    expect(total).toBe(1_001n);
  });
});
