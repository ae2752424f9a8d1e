import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.js';
import {
  checkLnurlInvoice,
  checkPayParams,
  type DecodedInvoice,
  LnurlResponseError,
  parseDestination,
  parseLightningAddress,
  readKeysendDetails,
  wellKnownUrls,
} from '../../../shared/domain/lightning-address.js';

const G = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';

describe('parseLightningAddress', () => {
  it.each([
    { raw: 'carol@wallet.example', parsed: 'carol@wallet.example' },
    { raw: ' Carol@Wallet.Example ', parsed: 'carol@wallet.example' },
    { raw: 'erin@127.0.0.1:4000', parsed: 'erin@127.0.0.1:4000' },
    { raw: 'a.b_c-d+tag@sub.domain.example', parsed: 'a.b_c-d+tag@sub.domain.example' },
    { raw: 'x@[::1]:9735', parsed: 'x@[::1]:9735' },
  ])('accepts $raw', ({ raw, parsed }) => {
    expect(parseLightningAddress(raw)).toBe(parsed);
  });

  it.each([
    { description: 'not a string', raw: 42, error: /^address must be a string/ },
    {
      description: 'no @',
      raw: 'carol.wallet.example',
      error: /a Lightning Address is name@domain/,
    },
    { description: 'two @', raw: 'a@b@c.example', error: /a Lightning Address is name@domain/ },
    { description: 'no name', raw: '@wallet.example', error: /a Lightning Address is name@domain/ },
    { description: 'a space in the name', raw: 'ca rol@w.example', error: /name part/ },
    { description: 'a slash in the name', raw: '../x@w.example', error: /name part/ },
    { description: 'no domain', raw: 'carol@', error: /no valid domain/ },
    { description: 'a path after the domain', raw: 'carol@w.example/x', error: /no valid domain/ },
    { description: 'port 0', raw: 'carol@w.example:0', error: /no valid domain/ },
    { description: 'port 70000', raw: 'carol@w.example:70000', error: /no valid domain/ },
    {
      description: 'a user-info trick',
      raw: 'carol@evil.example#@good.example',
      error: /a Lightning Address is name@domain|no valid domain/,
    },
    { description: 'a name of 65 chars', raw: `${'a'.repeat(65)}@w.example`, error: /name part/ },
  ])('refuses $description', ({ raw, error }) => {
    expect(() => parseLightningAddress(raw)).toThrow(ValidationError);
    expect(() => parseLightningAddress(raw)).toThrow(error);
  });

  it('refuses a domain no URL can hold (the payer could never fetch it: the tip would crash on every delivery, its budget held)', () => {
    for (const raw of [
      'carol@999.1.1.1',
      'carol@1.2.3.4.5',
      'carol@wallet.123',
      'carol@[1:2]',
      'carol@[..]',
      'carol@[::::]',
    ]) {
      expect(() => parseLightningAddress(raw, 'recipientAddress'), raw).toThrow(ValidationError);
    }
    // What a URL can hold still passes, and its well-known URLs parse.
    for (const raw of ['carol@wallet.example', 'carol@[::1]:8080', 'carol@1.2.3.4']) {
      const parsed = parseLightningAddress(raw);
      expect(() => new URL(wellKnownUrls(parsed, 'https').lnurlp), raw).not.toThrow();
    }
  });

  it('tells a pubkey from an address', () => {
    expect(parseDestination(G, 'recipient')).toBe(G);
    expect(parseDestination('carol@w.example', 'recipient')).toBe('carol@w.example');
    expect(() => parseDestination('carol', 'recipient')).toThrow(/recipient/);
  });

  it('builds the well-known URLs (LUD-16)', () => {
    expect(wellKnownUrls(parseLightningAddress('carol@w.example'), 'https')).toEqual({
      keysend: 'https://w.example/.well-known/keysend/carol',
      lnurlp: 'https://w.example/.well-known/lnurlp/carol',
      host: 'w.example',
    });
  });
});

describe('readKeysendDetails', () => {
  it('reads the node and its customData records, ascending by type, values as UTF-8', () => {
    const details = readKeysendDetails({
      status: 'OK',
      tag: 'keysend',
      pubkey: G,
      customData: [
        { customKey: '7000000', customValue: 'b' },
        { customKey: '696969', customValue: 'wallet-1' },
        { customKey: '', customValue: undefined },
      ].slice(0, 2),
    });
    expect(details.pubkey).toBe(G);
    expect(details.records.map((record) => record.type)).toEqual([696969n, 7000000n]);
    expect(Buffer.from(details.records[0]?.value ?? []).toString()).toBe('wallet-1');
  });

  it('takes empty customData entries as none', () => {
    expect(readKeysendDetails({ tag: 'keysend', pubkey: G, customData: [{}] }).records).toEqual([]);
  });

  it.each([
    { description: 'not an object', doc: [], error: /not a JSON object/ },
    {
      description: 'status ERROR',
      doc: { status: 'ERROR', tag: 'keysend', pubkey: G },
      error: /status "ERROR"/,
    },
    { description: 'another tag', doc: { tag: 'payRequest', pubkey: G }, error: /not "keysend"/ },
    { description: 'a bad pubkey', doc: { tag: 'keysend', pubkey: '02ab' }, error: /pubkey/ },
    {
      description: 'customData not an array',
      doc: { tag: 'keysend', pubkey: G, customData: {} },
      error: /must be an array/,
    },
    {
      description: 'a key that is not digits',
      doc: { tag: 'keysend', pubkey: G, customData: [{ customKey: 'x', customValue: 'v' }] },
      error: /customKey must be a record type/,
    },
    {
      description: 'a reserved type',
      doc: {
        tag: 'keysend',
        pubkey: G,
        customData: [{ customKey: '5482373484', customValue: 'v' }],
      },
      error: /keysend details/,
    },
    {
      description: 'a type below 65536',
      doc: { tag: 'keysend', pubkey: G, customData: [{ customKey: '100', customValue: 'v' }] },
      error: /keysend details/,
    },
    {
      description: 'an empty value',
      doc: { tag: 'keysend', pubkey: G, customData: [{ customKey: '696969', customValue: '' }] },
      error: /customValue must be a non-empty string/,
    },
    {
      description: 'a type twice',
      doc: {
        tag: 'keysend',
        pubkey: G,
        customData: [
          { customKey: '696969', customValue: 'a' },
          { customKey: '696969', customValue: 'b' },
        ],
      },
      error: /appears twice/,
    },
  ])('refuses $description', ({ doc, error }) => {
    expect(() => readKeysendDetails(doc)).toThrow(LnurlResponseError);
    expect(() => readKeysendDetails(doc)).toThrow(error);
  });
});

const METADATA = JSON.stringify([['text/plain', 'Tip erin']]);
const params = {
  callback: 'https://w.example/cb',
  minSendableMsat: 1_000n,
  maxSendableMsat: 10_000n,
  metadata: METADATA,
};

describe('checkPayParams', () => {
  it('accepts an amount within the range', () => {
    expect(() => checkPayParams(params, 1_000n)).not.toThrow();
    expect(() => checkPayParams(params, 10_000n)).not.toThrow();
  });

  it.each([
    {
      description: 'below min',
      given: params,
      amount: 999n,
      error: /accepts 1000 to 10000 msat, not 999 msat/,
    },
    { description: 'above max', given: params, amount: 10_001n, error: /not 10001 msat/ },
    {
      description: 'metadata not JSON',
      given: { ...params, metadata: '[' },
      amount: 1_000n,
      error: /not JSON/,
    },
    {
      description: 'metadata without text/plain',
      given: { ...params, metadata: '[["text/identifier","a@b"]]' },
      amount: 1_000n,
      error: /text\/plain/,
    },
    {
      description: 'metadata not an array',
      given: { ...params, metadata: '{}' },
      amount: 1_000n,
      error: /LUD-06/,
    },
  ])('refuses $description', ({ given, amount, error }) => {
    expect(() => checkPayParams(given, amount)).toThrow(LnurlResponseError);
    expect(() => checkPayParams(given, amount)).toThrow(error);
  });
});

describe('checkLnurlInvoice', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const invoice: DecodedInvoice = {
    paymentHash: 'ab'.repeat(32),
    amountMsat: 5_000n,
    payee: G,
    descriptionHash: bytesToHex(sha256(utf8ToBytes(METADATA))),
    expiresAt: new Date(now.getTime() + 3_600_000),
  };
  const expected = { amountMsat: 5_000n, metadata: METADATA, now, minValidMs: 120_000 };

  it('accepts the invoice for the amount asked, committing to the metadata', () => {
    expect(() => checkLnurlInvoice(invoice, expected)).not.toThrow();
  });

  it.each([
    {
      description: 'another amount',
      invoice: { ...invoice, amountMsat: 5_001n },
      error: /is for 5001 msat, not the 5000 msat asked for/,
    },
    {
      description: 'no amount',
      invoice: { ...invoice, amountMsat: undefined },
      error: /is for no amount/,
    },
    {
      description: 'no description hash',
      invoice: { ...invoice, descriptionHash: undefined },
      error: /does not commit to its metadata/,
    },
    {
      description: 'another description hash',
      invoice: { ...invoice, descriptionHash: 'cd'.repeat(32) },
      error: /does not commit to its metadata/,
    },
    {
      description: 'expiring too soon',
      invoice: { ...invoice, expiresAt: new Date(now.getTime() + 60_000) },
      error: /expires in 60 s, too soon/,
    },
    {
      description: 'expired',
      invoice: { ...invoice, expiresAt: new Date(now.getTime() - 1_000) },
      error: /expires in 0 s/,
    },
  ])('refuses $description', ({ invoice: bad, error }) => {
    expect(() => checkLnurlInvoice(bad, expected)).toThrow(LnurlResponseError);
    expect(() => checkLnurlInvoice(bad, expected)).toThrow(error);
  });
});
