import { beforeAll, describe, expect, inject, it } from 'vitest';
import { fakeRecipients } from '../support/seed-tips.js';
import { apiClient, newTestPlatform, useApiOnly } from './helpers.js';

const stack = inject('stack');

/**
 * Hostile split and payout input through the real API (DynamoDB Local, ElasticMQ; nothing reads
 * the queue, nothing is paid): a 422 that says what to fix, never a 500.
 */
describe('POST /v1/splits and /v1/payouts with hostile input', () => {
  const f = useApiOnly(stack, 'hostile-input');
  let call: ReturnType<typeof apiClient>;
  const [alice = '', bob = ''] = fakeRecipients(2, 'hostile-input');

  beforeAll(async () => {
    call = apiClient(f.url, await newTestPlatform(f.clients, 'it-hostile', 1_000_000));
  });

  const xmlBlock = (doctype: string, name: string) =>
    `${doctype}<podcast:value type="lightning" method="keysend"><podcast:valueRecipient name="${name}" type="node" address="${alice}" split="1"/></podcast:value>`;

  it.each([
    {
      description: 'a split of 1e303 in the recipient list',
      body: { amountMsat: 10_000, recipients: [{ pubkey: alice, split: 1e303 }] },
      detail: /recipient 1 split 1e\+303 is above the largest split of 1,000,000,000 shares/,
    },
    {
      description: 'a split of 1e303 in a JSON value block',
      body: {
        amountMsat: 10_000,
        valueBlock: {
          type: 'lightning',
          method: 'keysend',
          recipients: [
            { type: 'node', address: alice, split: 1 },
            { type: 'node', address: bob, split: 1e303 },
          ],
        },
      },
      detail: /recipient 2 split 1e\+303 is above the largest split/,
    },
    {
      description: 'XML whose entities expand past the parser limit',
      body: {
        amountMsat: 10_000,
        valueBlock: xmlBlock(
          `<!DOCTYPE value [<!ENTITY big "${'x'.repeat(9_000)}">]>`,
          '&big;'.repeat(20),
        ),
      },
      detail: /value block has a <!DOCTYPE …>: a podcast:value element needs no document type/,
    },
    {
      description: 'XML declaring an entity larger than the parser allows',
      body: {
        amountMsat: 10_000,
        valueBlock: xmlBlock(`<!DOCTYPE value [<!ENTITY big "${'x'.repeat(10_001)}">]>`, 'host'),
      },
      detail: /value block has a <!DOCTYPE …>/,
    },
  ])('answers $description with 422 and what to fix', async ({ body, detail }) => {
    const response = await call('POST', '/v1/splits', body);
    expect(response.status, JSON.stringify(response.body)).toBe(422);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(String(response.body.detail)).toMatch(detail);
  });

  it('skips a payout row whose memo and custom value exceed the records budget, and pays the rest with allowPartial', async () => {
    const csv = [
      'pubkey,amount_sats,memo,custom_key,custom_value',
      `${alice},1,${'m'.repeat(400)},696969,${'w'.repeat(200)}`,
      `${bob},2,thanks,696969,wallet-1`,
    ].join('\n');
    const refused = await call('POST', '/v1/payouts', csv, { contentType: 'text/csv' });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      {
        line: 2,
        message: expect.stringMatching(
          /^line 2: custom records take \d+ bytes of the onion, \d+ over the 600-byte budget: shorten memo/,
        ),
      },
    ]);
    const partial = await call('POST', '/v1/payouts?allowPartial=true', csv, {
      contentType: 'text/csv',
    });
    expect(partial.status, JSON.stringify(partial.body)).toBe(202);
    expect(partial.body).toMatchObject({ rows: 1, totalMsat: '2000' });
    expect(partial.body.skipped).toEqual([expect.objectContaining({ line: 2 })]);
  });
});
