// Types for the two files of `lightning` that shared/adapters/lnd/grpc.ts builds its clients with
// (the package declares neither): see lightning/lnd_grpc/authenticated_lnd_grpc.js, their caller.
declare module 'lightning/lnd_grpc/api_for_proto.js' {
  /** A gRPC client of one LND service (`type`.`service`) from one proto file. */
  export default function apiForProto(args: {
    credentials: unknown;
    params: Record<string, number>;
    service: string;
    path: string;
    socket: string;
    type: string;
  }): unknown;
}

declare module 'lightning/lnd_grpc/grpc_credentials.js' {
  /** Channel credentials from LND's TLS certificate and a macaroon (base64 or hex). */
  export default function grpcCredentials(args: { cert?: string; macaroon?: string }): {
    credentials: unknown;
  };
}
