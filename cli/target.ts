import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readServiceFile, type ServiceFile } from '../shared/config/service-file.js';
import { readLocalStack, resolveRunDir, type StackFile } from '../shared/config/stack-file.js';
import { UnreachableError, UsageError } from './errors.js';

/** The API the CLI talks to, and as which platform. */
export interface ApiTarget {
  /** Base URL without `/v1`, no trailing slash. */
  apiUrl: string;
  platformId: string;
  secret: string;
  /** A loopback API: node names (carol, dave…) resolve through the local stack.json. */
  local: boolean;
  /** Where the URL came from: the running `npm start`, or flags/environment. */
  source: 'local-service' | 'configured';
}

/** Global options that choose the target. Secrets never come as a flag value (shell history). */
export interface TargetFlags {
  api?: string;
  platform?: string;
  secretFile?: string;
}

export interface TargetSources {
  flags: TargetFlags;
  env: Record<string, string | undefined>;
  /** `.tipstream/service.json` of a running `npm start`, if any. */
  service?: ServiceFile;
  /** `.tipstream/platform-secret` (the local platform's secret), if any. */
  localSecret?: string;
  /** The contents of `--secret-file`, if given. */
  secretFromFile?: string;
}

const NOTHING_TO_TALK_TO =
  'no Tipstream API to talk to: the local service is not running. Start it with "npm start" ' +
  '(it writes .tipstream/service.json), or point at a deployed API with TIPSTREAM_API_URL, ' +
  'TIPSTREAM_PLATFORM_ID and TIPSTREAM_PLATFORM_SECRET (or --api <url>, --platform <id>, --secret-file <path>)';

/** Normalises an API base URL: http(s) only, no trailing slash, no `/v1` suffix. */
export const normaliseApiUrl = (raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `API URL ${JSON.stringify(raw)} is not a URL: use e.g. https://api.example.com`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`API URL ${raw} must be http:// or https://`);
  }
  return url.toString().replace(/\/+$/, '').replace(/\/v1$/, '');
};

/** Whether a URL points at this machine (the local stack's API). */
export const isLoopbackUrl = (apiUrl: string): boolean => {
  const host = new URL(apiUrl).hostname;
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\./.test(host);
};

/**
 * Chooses the API, platform and secret: flags, then TIPSTREAM_* variables, then the local
 * service that `npm start` recorded. Errors say exactly what to run or set.
 */
export const resolveTarget = ({
  flags,
  env,
  service,
  localSecret,
  secretFromFile,
}: TargetSources): ApiTarget => {
  const explicitUrl = flags.api ?? (env.TIPSTREAM_API_URL || undefined);
  const rawUrl = explicitUrl ?? service?.apiUrl;
  if (!rawUrl) throw new UnreachableError(NOTHING_TO_TALK_TO);
  const apiUrl = normaliseApiUrl(rawUrl);
  const isLocalService = service !== undefined && normaliseApiUrl(service.apiUrl) === apiUrl;
  const platformId =
    flags.platform ??
    (env.TIPSTREAM_PLATFORM_ID || undefined) ??
    (isLocalService ? service.platformId : undefined);
  if (!platformId) {
    throw new UsageError(
      `which platform should sign requests to ${apiUrl}? set TIPSTREAM_PLATFORM_ID or pass --platform <id>`,
    );
  }
  const secret =
    secretFromFile?.trim() ||
    env.TIPSTREAM_PLATFORM_SECRET?.trim() ||
    (isLocalService && platformId === service.platformId ? localSecret?.trim() : undefined);
  if (!secret) {
    throw new UsageError(
      `no signing secret for platform ${platformId}: set TIPSTREAM_PLATFORM_SECRET or pass --secret-file <path> (never the secret itself as an argument: it would stay in your shell history)`,
    );
  }
  return {
    apiUrl,
    platformId,
    secret,
    local: isLoopbackUrl(apiUrl),
    source: explicitUrl === undefined ? 'local-service' : 'configured',
  };
};

/** The project folder (where `.tipstream` lives), whatever the working directory. */
export const projectDir = fileURLToPath(new URL('..', import.meta.url));

/** The local stack's stack.json, if a stack was started here. */
export const loadStack = (
  env: Record<string, string | undefined> = process.env,
): Promise<StackFile | undefined> => readLocalStack(env, projectDir);

/**
 * The secret in `--secret-file`. An empty file is an error (not a silent fall back to another
 * secret); a file other users may read is used, with a warning that says how to close it.
 */
const readSecretFile = async (path: string, warn: (text: string) => void): Promise<string> => {
  const fail = (error: NodeJS.ErrnoException): never => {
    throw new UsageError(`cannot read --secret-file ${path}: ${error.code ?? error.message}`);
  };
  const { mode } = await stat(path).catch(fail);
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    warn(
      `warning: --secret-file ${path} can be read by other users of this machine (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): chmod 600 ${path}`,
    );
  }
  const secret = (await readFile(path, 'utf8').catch(fail)).trim();
  if (secret === '') {
    throw new UsageError(`--secret-file ${path} is empty: put the platform's signing secret in it`);
  }
  return secret;
};

/** Reads flags, environment and the local run folder, then resolves the target. */
export const loadTarget = async (
  flags: TargetFlags,
  env: Record<string, string | undefined> = process.env,
  warn: (text: string) => void = () => {},
): Promise<ApiTarget> => {
  const dir = resolveRunDir(env, projectDir);
  const secretFromFile =
    flags.secretFile === undefined ? undefined : await readSecretFile(flags.secretFile, warn);
  const service = await readServiceFile(dir).catch(() => undefined);
  const localSecret = await readFile(`${dir}/platform-secret`, 'utf8').catch(() => undefined);
  return resolveTarget({ flags, env, service, localSecret, secretFromFile });
};
