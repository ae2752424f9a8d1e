import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The folder, beside a Lambda bundle's `index.mjs`, that holds `lightning`'s `.proto` files:
 * esbuild inlines the library's code but not the protos it reads at run time (from
 * `<its folder>/../grpc/protos`, a folder a bundle does not have), so infra copies them here.
 * Kept apart from the gRPC client so infra can name the folder without loading `lightning`.
 */
export const BUNDLED_PROTOS_DIR = 'lnd-protos';

/**
 * Where this code's protos are: the copied folder when running from a bundle (this module is then
 * inside `index.mjs`), else undefined for `lightning`'s own folder in node_modules.
 */
export const bundledProtosPath = (): string | undefined => {
  const bundled = fileURLToPath(new URL(`./${BUNDLED_PROTOS_DIR}/`, import.meta.url));
  return existsSync(bundled) ? bundled : undefined;
};
