import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TipId } from '../../../shared/domain/brands.js';
import { ByteLengthError } from '../../../shared/domain/errors.js';
import {
  chooseSendMethod,
  deriveAmpPaymentAddr,
  type PaymentMethod,
  type RouteAssessment,
} from '../../../shared/domain/payment-method.js';

const LARGE = 1_000_000_000n; // 1,000,000 sats

describe('chooseSendMethod', () => {
  it.each<{
    description: string;
    requested: PaymentMethod;
    assessment?: RouteAssessment;
    method: 'keysend' | 'amp';
    reason: RegExp;
  }>([
    {
      description: 'keysend as asked, without looking at routes',
      requested: 'keysend',
      method: 'keysend',
      reason: /^keysend, as requested$/,
    },
    {
      description: 'AMP as asked, without looking at routes',
      requested: 'amp',
      method: 'amp',
      reason: /^AMP, as requested$/,
    },
    {
      description: 'auto: one path carries it → keysend (AMP advertised or not)',
      requested: 'auto',
      assessment: { singlePath: true, advertisesAmp: true },
      method: 'keysend',
      reason: /^auto: one path carries 1,000,000 sats, so keysend$/,
    },
    {
      description: 'auto: no single path, AMP advertised → AMP',
      requested: 'auto',
      assessment: { singlePath: false, advertisesAmp: true },
      method: 'amp',
      reason: /no single path carries 1,000,000 sats and the recipient advertises AMP .*so AMP$/,
    },
    {
      description: 'auto: neither works → keysend, with the reason it will likely fail',
      requested: 'auto',
      assessment: { singlePath: false, advertisesAmp: false },
      method: 'keysend',
      reason:
        /does not advertise AMP \(feature bit 30\/31\), so neither keysend nor AMP is likely to work/,
    },
  ])('$description', ({ requested, assessment, method, reason }) => {
    const choice = chooseSendMethod(requested, LARGE, assessment);
    expect(choice.method).toBe(method);
    expect(choice.reason).toMatch(reason);
  });

  it('refuses auto without an assessment (a programming error, not input)', () => {
    expect(() => chooseSendMethod('auto', LARGE)).toThrow(/needs a route assessment/);
  });
});

describe('deriveAmpPaymentAddr', () => {
  const key = new Uint8Array(32).fill(0x42);

  it('is HMAC-SHA256(key, "tipstream:amp-addr:v1:" + tipId), as specified', () => {
    const expected = createHmac('sha256', key).update('tipstream:amp-addr:v1:tip-1').digest('hex');
    expect(Buffer.from(deriveAmpPaymentAddr(key, 'tip-1' as TipId)).toString('hex')).toBe(expected);
  });

  it('differs from the keysend preimage of the same tip (domain separation)', () => {
    const preimage = createHmac('sha256', key).update('tipstream:v1:tip-1').digest('hex');
    expect(Buffer.from(deriveAmpPaymentAddr(key, 'tip-1' as TipId)).toString('hex')).not.toBe(
      preimage,
    );
  });

  it.each([
    { description: 'a short key', key: new Uint8Array(31), error: /got 31 bytes/ },
    { description: 'not bytes', key: 'secret' as unknown as Uint8Array, error: /got string/ },
  ])('rejects $description', ({ key: bad, error }) => {
    expect(() => deriveAmpPaymentAddr(bad, 'tip-1' as TipId)).toThrow(ByteLengthError);
    expect(() => deriveAmpPaymentAddr(bad, 'tip-1' as TipId)).toThrow(error);
  });
});
