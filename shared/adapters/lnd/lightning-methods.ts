/**
 * The `lightning` methods this service calls, each required from its own file instead of the
 * package's index: the index requires every one of its ~250 methods (and their dependencies) at
 * load, so a bundle carried and ran all of them; these files alone make the payer's and
 * reconciler's `lightning` about a third smaller and their module load ~40 ms shorter (see
 * README, Times). Each file's `module.exports` is the method itself, while its type file declares
 * it as a named export: the casts below give each the package's own declared type.
 */
import type * as Lightning from 'lightning';
import getNodeFile from 'lightning/lnd_methods/info/get_node.js';
import getRouteToDestinationFile from 'lightning/lnd_methods/info/get_route_to_destination.js';
import getWalletInfoFile from 'lightning/lnd_methods/info/get_wallet_info.js';
import getInvoicesFile from 'lightning/lnd_methods/invoices/get_invoices.js';
import decodePaymentRequestFile from 'lightning/lnd_methods/offchain/decode_payment_request.js';
import getChannelsFile from 'lightning/lnd_methods/offchain/get_channels.js';
import getPaymentFile from 'lightning/lnd_methods/offchain/get_payment.js';
import subscribeToPayViaDetailsFile from 'lightning/lnd_methods/offchain/subscribe_to_pay_via_details.js';
import subscribeToPayViaRequestFile from 'lightning/lnd_methods/offchain/subscribe_to_pay_via_request.js';
import diffieHellmanComputeSecretFile from 'lightning/lnd_methods/signer/diffie_hellman_compute_secret.js';

export const decodePaymentRequest =
  decodePaymentRequestFile as unknown as typeof Lightning.decodePaymentRequest;
export const diffieHellmanComputeSecret =
  diffieHellmanComputeSecretFile as unknown as typeof Lightning.diffieHellmanComputeSecret;
export const getChannels = getChannelsFile as unknown as typeof Lightning.getChannels;
export const getInvoices = getInvoicesFile as unknown as typeof Lightning.getInvoices;
export const getNode = getNodeFile as unknown as typeof Lightning.getNode;
export const getPayment = getPaymentFile as unknown as typeof Lightning.getPayment;
export const getRouteToDestination =
  getRouteToDestinationFile as unknown as typeof Lightning.getRouteToDestination;
export const getWalletInfo = getWalletInfoFile as unknown as typeof Lightning.getWalletInfo;
export const subscribeToPayViaDetails =
  subscribeToPayViaDetailsFile as unknown as typeof Lightning.subscribeToPayViaDetails;
export const subscribeToPayViaRequest =
  subscribeToPayViaRequestFile as unknown as typeof Lightning.subscribeToPayViaRequest;
