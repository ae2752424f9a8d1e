import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

/**
 * A JSON secret from Secrets Manager through Powertools parameters: served from cache, re-read
 * at most every `maxAgeSeconds`, so a rotation reaches running containers within that time.
 */
export const readJsonSecret = async <T>(
  arn: string,
  maxAgeSeconds: number,
): Promise<T | undefined> =>
  (await getSecret(arn, { transform: 'json', maxAge: maxAgeSeconds })) as T | undefined;
