import { describe, expect, it } from 'vitest';
import { UnreachableError, UsageError } from '../../cli/errors.js';
import { isLoopbackUrl, normaliseApiUrl, resolveTarget } from '../../cli/target.js';
import type { ServiceFile } from '../../shared/config/service-file.js';
import { thrown } from '../shared/domain/helpers.js';

const service: ServiceFile = {
  apiUrl: 'http://127.0.0.1:40001',
  platformId: 'local-dev',
  pid: 1,
  startedAt: '2026-11-24T00:00:00.000Z',
};

describe('resolveTarget', () => {
  it('talks to the running npm start by default, with the local platform and its secret', () => {
    expect(resolveTarget({ flags: {}, env: {}, service, localSecret: 'tss_local\n' })).toEqual({
      apiUrl: 'http://127.0.0.1:40001',
      platformId: 'local-dev',
      secret: 'tss_local',
      local: true,
      source: 'local-service',
    });
  });

  it('takes a deployed API from the environment', () => {
    const target = resolveTarget({
      flags: {},
      env: {
        TIPSTREAM_API_URL: 'https://api.example.com/v1/',
        TIPSTREAM_PLATFORM_ID: 'streamco',
        TIPSTREAM_PLATFORM_SECRET: 'tss_env',
      },
      service,
      localSecret: 'tss_local',
    });
    expect(target).toEqual({
      apiUrl: 'https://api.example.com',
      platformId: 'streamco',
      secret: 'tss_env',
      local: false,
      source: 'configured',
    });
  });

  it('prefers flags over the environment, and --secret-file over TIPSTREAM_PLATFORM_SECRET', () => {
    const target = resolveTarget({
      flags: { api: 'http://localhost:9999', platform: 'flagged', secretFile: 'f' },
      env: {
        TIPSTREAM_API_URL: 'https://api.example.com',
        TIPSTREAM_PLATFORM_ID: 'env',
        TIPSTREAM_PLATFORM_SECRET: 'tss_env',
      },
      secretFromFile: 'tss_file\n',
    });
    expect(target).toMatchObject({
      apiUrl: 'http://localhost:9999',
      platformId: 'flagged',
      secret: 'tss_file',
      local: true,
      source: 'configured',
    });
  });

  it('never uses the local secret for another platform or another API', () => {
    const otherPlatform = thrown(() =>
      resolveTarget({
        flags: { platform: 'streamco' },
        env: {},
        service,
        localSecret: 'tss_local',
      }),
    );
    expect(otherPlatform).toBeInstanceOf(UsageError);
    expect(otherPlatform.message).toMatch(/no signing secret for platform streamco/);
    expect(otherPlatform.message).toMatch(/TIPSTREAM_PLATFORM_SECRET.*--secret-file/);
    const otherApi = thrown(() =>
      resolveTarget({
        flags: { api: 'https://api.example.com', platform: 'local-dev' },
        env: {},
        service,
        localSecret: 'tss_local',
      }),
    );
    expect(otherApi.message).toMatch(/no signing secret for platform local-dev/);
  });

  it('asks for a platform when the API is not the local one', () => {
    const error = thrown(() =>
      resolveTarget({ flags: { api: 'https://api.example.com' }, env: {}, service }),
    );
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/TIPSTREAM_PLATFORM_ID or pass --platform/);
  });

  it('says what to run when there is nothing to talk to', () => {
    const error = thrown(() => resolveTarget({ flags: {}, env: {} }));
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error.message).toMatch(/"npm start"/);
    expect(error.message).toMatch(
      /TIPSTREAM_API_URL, TIPSTREAM_PLATFORM_ID and TIPSTREAM_PLATFORM_SECRET/,
    );
  });

  it.each([
    { raw: 'not a url', error: /is not a URL/ },
    { raw: 'ftp://example.com', error: /must be http/ },
  ])('refuses API URL $raw', ({ raw, error }) => {
    expect(() => normaliseApiUrl(raw)).toThrow(error);
  });

  it.each([
    { url: 'http://127.0.0.1:1', local: true },
    { url: 'http://localhost:8080', local: true },
    { url: 'http://[::1]:8080', local: true },
    { url: 'https://api.example.com', local: false },
    { url: 'http://10.0.0.1', local: false },
  ])('$url is local: $local', ({ url, local }) => {
    expect(isLoopbackUrl(url)).toBe(local);
  });
});
