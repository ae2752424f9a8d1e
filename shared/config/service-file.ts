import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';

/**
 * `.tipstream/service.json`: where the running local service (`npm start`) answers. Written when
 * the service is up, removed when it stops; read by the `tipstream` CLI to find the local API.
 */
const ServiceFileSchema = z.object({
  /** Base URL of the HTTP API, without `/v1`. */
  apiUrl: z.url(),
  /** The platform `npm start` registers; its secret is in `.tipstream/platform-secret`. */
  platformId: z.string(),
  /** Base URL of the web pages (demo stream page, dashboard), when served. */
  webUrl: z.url().optional(),
  pid: z.number().int().positive(),
  startedAt: z.iso.datetime(),
});
export type ServiceFile = z.infer<typeof ServiceFileSchema>;

const serviceFilePath = (runDir: string) => join(runDir, 'service.json');

export const writeServiceFile = async (runDir: string, service: ServiceFile) =>
  writeFile(
    serviceFilePath(runDir),
    `${JSON.stringify(ServiceFileSchema.parse(service), null, 2)}\n`,
  );

/** The running local service, or undefined when none is recorded or its process is gone. */
export const readServiceFile = async (runDir: string): Promise<ServiceFile | undefined> => {
  const raw = await readFile(serviceFilePath(runDir), 'utf8').catch(() => undefined);
  if (raw === undefined) return undefined;
  const service = ServiceFileSchema.parse(JSON.parse(raw));
  try {
    process.kill(service.pid, 0);
  } catch {
    return undefined; // stale: the npm start that wrote it has exited
  }
  return service;
};

export const removeServiceFile = async (runDir: string) =>
  rm(serviceFilePath(runDir), { force: true });
