import { schnorr } from '@noble/secp256k1';
import '../../../../shared/domain/secp.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createReceiptSigner } from '../../../../shared/adapters/crypto/receipt-signer.js';
import { ReceiptError } from '../../../../shared/domain/errors.js';
import { receiptDigest, signReceipt, verifyReceipt } from '../../../../shared/domain/receipt.js';
import { checkProperty } from '../../../support/fast-check.js';
import { unsignedReceipt } from '../../../support/receipt-arbitrary.js';
import { thrown } from '../../domain/helpers.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (hexText: string) => new Uint8Array(Buffer.from(hexText, 'hex'));

/** secp256k1's group order: private keys are 1 … N - 1. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const scalarBytes = (value: bigint) => bytes(value.toString(16).padStart(64, '0'));
/** Any valid private key, the extremes included. */
const privateKey = fc
  .oneof(fc.constantFrom(1n, N - 1n), fc.bigInt({ min: 1n, max: N - 1n }))
  .map(scalarBytes);
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('createReceiptSigner', () => {
  // BIP-340's own test vectors (bitcoin/bips bip-0340/test-vectors.csv, indexes 0-3): secret
  // key, public key, aux_rand, message, signature.
  it.each([
    {
      index: 0,
      key: '0000000000000000000000000000000000000000000000000000000000000003',
      publicKey: 'f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9',
      aux: '0000000000000000000000000000000000000000000000000000000000000000',
      message: '0000000000000000000000000000000000000000000000000000000000000000',
      signature:
        'e907831f80848d1069a5371b402410364bdf1c5f8307b0084c55f1ce2dca821525f66a4a85ea8b71e482a74f382d2ce5ebeee8fdb2172f477df4900d310536c0',
    },
    {
      index: 1,
      key: 'b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef',
      publicKey: 'dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659',
      aux: '0000000000000000000000000000000000000000000000000000000000000001',
      message: '243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89',
      signature:
        '6896bd60eeae296db48a229ff71dfe071bde413e6d43f917dc8dcf8c78de33418906d11ac976abccb20b091292bff4ea897efcb639ea871cfa95f6de339e4b0a',
    },
    {
      index: 2,
      key: 'c90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b14e5c9',
      publicKey: 'dd308afec5777e13121fa72b9cc1b7cc0139715309b086c960e18fd969774eb8',
      aux: 'c87aa53824b4d7ae2eb035a2b5bbbccc080e76cdc6d1692c4b0b62d798e6d906',
      message: '7e2d58d8b3bcdf1abadec7829054f90dda9805aab56c77333024b9d0a508b75c',
      signature:
        '5831aaeed7b44bb74e5eab94ba9d4294c49bcf2a60728d8b4c200f50dd313c1bab745879a5ad954a72c45a91c3a51d3c7adea98d82f8481e0e1e03674a6f3fb7',
    },
    {
      index: 3,
      key: '0b432b2677937381aef05bb02a66ecd012773062cf3fa2549e44f58ed2401710',
      publicKey: '25d1dff95105f5253c4022f628a996ad3a0d95fbf21d468a1b33f8c160d8f517',
      aux: 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
      message: 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
      signature:
        '7eb0509757e246f19449885651611cb965ecc1a187dd51b64fda1edc9637d5ec97582b9cb13db3933705b32ba982af5af25fd78881ebb32771fc5922efc66ea3',
    },
  ])('signs BIP-340 test vector $index', ({ key, publicKey, aux, message, signature }) => {
    const signer = createReceiptSigner(bytes(key), () => bytes(aux));
    expect(signer.publicKey).toBe(publicKey);
    expect(hex(signer.sign(bytes(message)))).toBe(signature);
  });

  it('gives the bytes noble gives for the same key, message and aux randomness', () => {
    checkProperty(
      fc.property(privateKey, bytes32, bytes32, (key, digest, aux) => {
        const signer = createReceiptSigner(key, () => aux);
        expect(signer.publicKey).toBe(hex(schnorr.getPublicKey(key)));
        expect(hex(signer.sign(digest))).toBe(hex(schnorr.sign(digest, key, aux)));
      }),
      40,
    );
  });

  it("signs receipts that the domain's (noble) verifyReceipt accepts, for any key", () => {
    checkProperty(
      fc.property(privateKey, unsignedReceipt, (key, receipt) => {
        const signed = signReceipt(receipt, createReceiptSigner(key));
        expect(
          verifyReceipt(JSON.parse(JSON.stringify(signed)), hex(schnorr.getPublicKey(key))),
        ).toEqual({ ok: true });
      }),
      40,
    );
  });

  it("is refused for a receipt that names another operator's key", () => {
    checkProperty(
      fc.property(privateKey, privateKey, unsignedReceipt, (key, other, receipt) => {
        const operatorPubkey = hex(schnorr.getPublicKey(other));
        // k and N - k share an x-only key: BIP-340 signs for either.
        fc.pre(operatorPubkey !== hex(schnorr.getPublicKey(key)));
        const error = thrown(() =>
          signReceipt({ ...receipt, operatorPubkey }, createReceiptSigner(key)),
        );
        expect(error).toBeInstanceOf(ReceiptError);
        expect(error.message).toBe(
          `cannot sign: receipt.operatorPubkey ${operatorPubkey} is not the key's public key ${hex(schnorr.getPublicKey(key))}`,
        );
      }),
      20,
    );
  });

  it('uses fresh aux randomness: the same digest twice gives two valid, different signatures', () => {
    const key = scalarBytes(0x11n);
    const signer = createReceiptSigner(key);
    const digest = receiptDigest({
      version: 1,
      tipId: 'p:t',
      platformId: 'p',
      recipient: 'alice@example.com',
      amountMsat: '1000',
      feeMsat: '0',
      paymentHash: '00'.repeat(32),
      preimage: '00'.repeat(32),
      hops: [],
      settledAt: '2026-01-01T00:00:00Z',
      attempts: 1,
      operatorPubkey: signer.publicKey,
    });
    const first = signer.sign(digest);
    const second = signer.sign(digest);
    expect(hex(first)).not.toBe(hex(second));
    for (const signature of [first, second]) {
      expect(schnorr.verify(signature, digest, schnorr.getPublicKey(key))).toBe(true);
    }
  });

  it("keeps its own copy of the key: the caller's buffer changing later changes nothing", () => {
    const key = scalarBytes(0x11n);
    const aux = new Uint8Array(32).fill(7);
    const signer = createReceiptSigner(key, () => aux);
    const digest = new Uint8Array(32).fill(1);
    const before = hex(signer.sign(digest));
    key.fill(0x22);
    expect(hex(signer.sign(digest))).toBe(before);
    expect(signer.publicKey).toBe(hex(schnorr.getPublicKey(scalarBytes(0x11n))));
  });

  it.each([
    {
      description: 'a 31-byte key',
      make: () => createReceiptSigner(new Uint8Array(31)),
      error: /^receiptPrivateKey must be exactly 32 bytes, got 31 bytes/,
    },
    {
      description: 'the zero key',
      make: () => createReceiptSigner(new Uint8Array(32)),
      error: /^receiptPrivateKey is not a secp256k1 private key/,
    },
    {
      description: 'the curve order',
      make: () => createReceiptSigner(scalarBytes(N)),
      error: /^receiptPrivateKey is not a secp256k1 private key/,
    },
    {
      description: 'a key above the curve order',
      make: () => createReceiptSigner(new Uint8Array(32).fill(0xff)),
      error: /^receiptPrivateKey is not a secp256k1 private key/,
    },
    {
      description: 'a 31-byte digest',
      make: () => createReceiptSigner(scalarBytes(1n)).sign(new Uint8Array(31)),
      error: /^digest must be exactly 32 bytes, got 31 bytes/,
    },
    {
      description: 'aux randomness of 16 bytes',
      make: () =>
        createReceiptSigner(scalarBytes(1n), () => new Uint8Array(16)).sign(new Uint8Array(32)),
      error: /^auxRand must be exactly 32 bytes, got 16 bytes/,
    },
  ])('refuses $description', ({ make, error }) => {
    expect(thrown(make).message).toMatch(error);
  });
});
