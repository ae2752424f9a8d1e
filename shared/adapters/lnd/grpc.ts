import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuthenticatedLnd } from 'lightning';
import grpcServices from 'lightning/grpc/grpc_services.json' with { type: 'json' };
import apiForProto from 'lightning/lnd_grpc/api_for_proto.js';
import grpcCredentials from 'lightning/lnd_grpc/grpc_credentials.js';
import { bundledProtosPath } from './bundled-protos.js';

/** Clients by credentials: one per node for the whole container. */
const clients = new Map<string, AuthenticatedLnd>();

type ServiceName = keyof typeof grpcServices.serviceTypes;
const protoFiles: Record<string, string> = grpcServices.protoFiles;
const packageTypes: Record<string, string> = grpcServices.packageTypes;

/** Where this code's protos are: the bundle's copy, else lightning's own folder. */
const protosPath = () =>
  bundledProtosPath() ??
  fileURLToPath(new URL('./protos/', import.meta.resolve('lightning/grpc/grpc_services.json')));

/**
 * `lightning`'s gRPC client for a node, built once per credentials and shared (the payer's node
 * and its stuck-payment inspector talk to the same LND; gRPC multiplexes their calls), with each
 * of LND's services built on its first use: `authenticatedLndGrpc` parses the protos of all
 * twelve at once (`lightning.proto` again for each service that imports it), ~1 s of CPU on a cold
 * container, where this service uses three (Lightning, Router, Signer: `npm run bench:bundles`
 * times both). Otherwise what `authenticatedLndGrpc` does (lightning/lnd_grpc): the same
 * credentials, channel options, cipher suites and proto files. A rotated macaroon is other
 * credentials, so a new client.
 */
export const lndGrpc = (credentials: {
  socket: string;
  cert: string;
  macaroon: string;
}): AuthenticatedLnd => {
  const key = `${credentials.socket}\n${credentials.cert}\n${credentials.macaroon}`;
  const known = clients.get(key);
  if (known) return known;
  const { credentials: channelCredentials } = grpcCredentials(credentials);
  if (credentials.cert && process.env.GRPC_SSL_CIPHER_SUITES !== grpcServices.grpcSslCipherSuites) {
    process.env.GRPC_SSL_CIPHER_SUITES = grpcServices.grpcSslCipherSuites;
  }
  const path = protosPath();
  const built = new Map<ServiceName, unknown>();
  const lnd = {} as AuthenticatedLnd;
  for (const name of Object.keys(grpcServices.serviceTypes) as ServiceName[]) {
    Object.defineProperty(lnd, name, {
      enumerable: true,
      get() {
        if (!built.has(name)) {
          const service = grpcServices.serviceTypes[name];
          built.set(
            name,
            apiForProto({
              credentials: channelCredentials,
              params: {
                'grpc.max_receive_message_length': -1,
                'grpc.max_send_message_length': -1,
              },
              service,
              path: join(path, protoFiles[service] ?? ''),
              socket: credentials.socket,
              type: packageTypes[service] ?? '',
            }),
          );
        }
        return built.get(name);
      },
    });
  }
  clients.set(key, lnd);
  return lnd;
};
