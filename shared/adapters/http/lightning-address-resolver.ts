import { parseLnUrlPayResponse } from '@getalby/lightning-tools/lnurl';
import type { LightningAddress } from '../../domain/brands.js';
import {
  checkPayParams,
  type KeysendDetails,
  LnurlResponseError,
  type PayParams,
  readKeysendDetails,
  wellKnownUrls,
} from '../../domain/lightning-address.js';
import type {
  AddressResolution,
  AddressResolver,
  LnurlOffer,
} from '../../ports/address-resolver.js';
import { PermanentPaymentError, TransientPaymentError } from '../../ports/errors.js';
import {
  DEFAULT_FETCH_POLICY,
  type FetchAnswer,
  FetchFailedError,
  type FetchPolicy,
  FetchRefusedError,
  guardedGet,
} from './guarded-fetch.js';

export interface ResolverOptions {
  fetch: FetchPolicy;
  /**
   * How long keysend details and LNURL-pay parameters are reused per address (never invoices):
   * tips to one creator come in bursts. 0 turns it off.
   */
  cacheTtlMs: number;
  /** Addresses kept at most (least recently stored dropped first). */
  cacheSize?: number;
}

/** Keysend details and LNURL-pay parameters are kept 5 minutes per address by default. */
export const DEFAULT_RESOLVER_CACHE_TTL_MS = 5 * 60_000;

type Known = { kind: 'keysend'; details: KeysendDetails } | { kind: 'lnurl'; params: PayParams };

/**
 * Lightning Address resolution over the SSRF-guarded fetcher: keysend details, else LNURL-pay
 * (LUD-06/16). `@getalby/lightning-tools` parses the LNURL-pay answer; it never fetches anything
 * itself.
 */
export const createLightningAddressResolver = (
  options: ResolverOptions = { fetch: DEFAULT_FETCH_POLICY, cacheTtlMs: 0 },
): AddressResolver => {
  const cache = new Map<string, { known: Known; until: number }>();
  const cacheSize = options.cacheSize ?? 10_000;
  const remember = (address: string, known: Known) => {
    if (options.cacheTtlMs <= 0) return;
    cache.delete(address);
    cache.set(address, { known, until: Date.now() + options.cacheTtlMs });
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
  };
  const recall = (address: string): Known | undefined => {
    const entry = cache.get(address);
    if (entry && entry.until > Date.now()) return entry.known;
    cache.delete(address);
    return undefined;
  };

  const urlsOf = (address: LightningAddress) => {
    const host = address.slice(address.lastIndexOf('@') + 1);
    return wellKnownUrls(address, options.fetch.allowHosts.includes(host) ? 'http' : 'https');
  };

  const get = async (address: string, what: string, url: string): Promise<FetchAnswer> => {
    try {
      return await guardedGet(url, options.fetch);
    } catch (error) {
      if (error instanceof FetchRefusedError) {
        throw new PermanentPaymentError(
          'ADDRESS_UNRESOLVED',
          `${address}: ${what} refused: ${error.message}`,
          { cause: error },
        );
      }
      if (error instanceof FetchFailedError) {
        throw new TransientPaymentError(`${address}: ${what} failed: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  };

  const permanent = (address: string, message: string, cause?: unknown) =>
    new PermanentPaymentError('ADDRESS_UNRESOLVED', `${address}: ${message}`, { cause });

  /** A 5xx (or 429) may pass; anything else that is not 200 is the server's final word. */
  const transientStatus = (status: number) => status >= 500 || status === 429 || status === 408;

  /** LUD-06 errors are `{status: "ERROR", reason}`, on any HTTP status. */
  const lnurlError = (json: unknown): string | undefined => {
    if (typeof json !== 'object' || json === null) return undefined;
    const { status, reason } = json as { status?: unknown; reason?: unknown };
    if (typeof status !== 'string' || status.toUpperCase() !== 'ERROR') return undefined;
    return typeof reason === 'string' ? reason.slice(0, 200) : 'no reason given';
  };

  /** Keysend details, or why there are none (`undefined` + the words for the failure message). */
  const keysendDetails = async (
    address: LightningAddress,
  ): Promise<{ details?: KeysendDetails; note: string }> => {
    const answer = await get(address, 'keysend details', urlsOf(address).keysend);
    if (transientStatus(answer.status)) {
      throw new TransientPaymentError(
        `${address}: the keysend details server answered ${answer.status}`,
      );
    }
    if (answer.status !== 200) return { note: 'no keysend details' };
    if (lnurlError(answer.json) !== undefined) {
      return { note: `no keysend details (${lnurlError(answer.json)})` };
    }
    try {
      return { details: readKeysendDetails(answer.json), note: '' };
    } catch (error) {
      if (!(error instanceof LnurlResponseError)) throw error;
      // A wallet with broken keysend details may still take invoices.
      return { note: `unusable keysend details (${error.message})` };
    }
  };

  const payParams = async (address: LightningAddress, note: string): Promise<PayParams> => {
    const prefix = note ? `${note} and ` : '';
    const answer = await get(address, `${prefix}LNURL-pay`, urlsOf(address).lnurlp);
    if (transientStatus(answer.status)) {
      throw new TransientPaymentError(
        `${address}: ${prefix}the LNURL server answered ${answer.status}`,
      );
    }
    const refused = lnurlError(answer.json);
    if (answer.status !== 200) {
      throw permanent(
        address,
        `${prefix}the LNURL server answered ${answer.status}${refused ? ` (${refused})` : ''}`,
      );
    }
    if (refused !== undefined) {
      throw permanent(address, `${prefix}the LNURL server refused: ${refused}`);
    }
    try {
      const raw = answer.json as Parameters<typeof parseLnUrlPayResponse>[0];
      const parsed = await parseLnUrlPayResponse(raw);
      if (typeof raw.metadata !== 'string') throw new Error('metadata is not a string');
      return {
        callback: parsed.callback,
        minSendableMsat: BigInt(parsed.min),
        maxSendableMsat: BigInt(parsed.max),
        metadata: raw.metadata,
      };
    } catch (error) {
      throw permanent(
        address,
        `${prefix}the LNURL server's pay parameters are unusable (${(error as Error).message})`,
        error,
      );
    }
  };

  const invoiceFrom = async (
    address: LightningAddress,
    params: PayParams,
    amountMsat: bigint,
  ): Promise<LnurlOffer> => {
    try {
      checkPayParams(params, amountMsat);
    } catch (error) {
      if (error instanceof LnurlResponseError) throw permanent(address, error.message, error);
      throw error;
    }
    let callback: URL;
    try {
      callback = new URL(params.callback);
    } catch (error) {
      throw permanent(address, 'the LNURL callback is not a URL', error);
    }
    callback.searchParams.set('amount', amountMsat.toString());
    const answer = await get(address, 'the LNURL invoice request', callback.toString());
    if (transientStatus(answer.status)) {
      throw new TransientPaymentError(`${address}: the LNURL callback answered ${answer.status}`);
    }
    const refused = lnurlError(answer.json);
    if (refused !== undefined) {
      throw permanent(address, `the LNURL server refused the invoice: ${refused}`);
    }
    const pr = (answer.json as { pr?: unknown } | undefined)?.pr;
    if (answer.status !== 200 || typeof pr !== 'string' || !/^ln[a-z0-9]+$/i.test(pr)) {
      throw permanent(
        address,
        `the LNURL callback answered ${answer.status} without an invoice (pr)`,
      );
    }
    return { kind: 'lnurl', invoice: pr.toLowerCase(), metadata: params.metadata };
  };

  const lnurlParams = async (address: LightningAddress, note: string) => {
    const known = recall(address);
    if (known?.kind === 'lnurl') return known.params;
    const params = await payParams(address, note);
    remember(address, { kind: 'lnurl', params });
    return params;
  };

  return {
    async resolve(address, amountMsat): Promise<AddressResolution> {
      const known = recall(address);
      if (known?.kind === 'keysend') {
        return { kind: 'keysend', ...known.details };
      }
      if (known?.kind === 'lnurl') return invoiceFrom(address, known.params, amountMsat);
      const { details, note } = await keysendDetails(address);
      if (details) {
        remember(address, { kind: 'keysend', details });
        return { kind: 'keysend', ...details };
      }
      return invoiceFrom(address, await lnurlParams(address, note), amountMsat);
    },
    async requestInvoice(address, amountMsat) {
      return invoiceFrom(address, await lnurlParams(address, ''), amountMsat);
    },
  };
};
