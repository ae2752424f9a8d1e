import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schnorrSigner } from '../../../shared/domain/schnorr-signer.js';
import { secp } from '../../../shared/domain/secp.js';

const secretKey = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((key) => secp.utils.isValidSecretKey(key));
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('schnorrSigner', () => {
  it('signs byte for byte as noble schnorr.sign, for any key, message and aux randomness', () => {
    fc.assert(
      fc.property(secretKey, fc.uint8Array({ maxLength: 64 }), bytes32, (key, message, aux) => {
        const signer = schnorrSigner(key);
        expect(Buffer.from(signer.sign(message, aux)).toString('hex')).toBe(
          Buffer.from(secp.schnorr.sign(message, key, aux)).toString('hex'),
        );
        expect(Buffer.from(signer.publicKey)).toEqual(Buffer.from(secp.schnorr.getPublicKey(key)));
      }),
      { numRuns: 60 },
    );
  });

  it('matches the BIP-340 test vector 1 (odd-y key, given aux)', () => {
    const key = secp.etc.hexToBytes(
      'B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF'.toLowerCase(),
    );
    const message = secp.etc.hexToBytes(
      '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89'.toLowerCase(),
    );
    const aux = secp.etc.hexToBytes(`${'0'.repeat(63)}1`);
    expect(Buffer.from(schnorrSigner(key).sign(message, aux)).toString('hex').toUpperCase()).toBe(
      '6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE33418906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A',
    );
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => schnorrSigner(new Uint8Array(31))).toThrow(/secretKey/);
  });
});
