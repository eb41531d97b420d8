import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SecretsManagerSecrets } from '../../lambdas/adapters/secrets-manager-secrets.js';
import { fixedClock } from '../../lambdas/ports/clock.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cs-pulse/webhooks-AbCdEf';

describe('SecretsManagerSecrets', () => {
  const client = new SecretsManagerClient({ region: 'eu-west-1' });
  const secretsManager = mockClient(client);
  afterEach(() => {
    secretsManager.reset();
    vi.restoreAllMocks();
  });

  function provider(clock = fixedClock('2026-05-01T10:00:00Z')) {
    return {
      clock,
      secrets: new SecretsManagerSecrets({ secretId: SECRET_ARN, client, clock, ttlMs: 300_000 }),
    };
  }

  it("returns a source's secrets, several when a rotation lists the new one beside the old", async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      SecretString: JSON.stringify({ generic: 'whsec_new whsec_old', stripe: 'whsec_stripe' }),
    });
    const { secrets } = provider();

    expect(await secrets.secretsFor('generic')).toEqual(['whsec_new', 'whsec_old']);
    expect(await secrets.secretsFor('stripe')).toEqual(['whsec_stripe']);
  });

  it('returns no secret for a source the secret does not name, nor for inherited object keys', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"generic":"whsec_a"}' });
    const { secrets } = provider();

    expect(await secrets.secretsFor('hubspot')).toEqual([]);
    expect(await secrets.secretsFor('constructor')).toEqual([]);
    expect(await secrets.secretsFor('__proto__')).toEqual([]);
  });

  it('reads the secret once per TTL however many deliveries ask, and concurrent asks share one request', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"generic":"whsec_a"}' });
    const { secrets, clock } = provider();

    await Promise.all([
      secrets.secretsFor('generic'),
      secrets.secretsFor('generic'),
      secrets.secretsFor('x'),
    ]);
    clock.set('2026-05-01T10:04:59Z');
    await secrets.secretsFor('generic');

    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('picks up a rotated value once the TTL has passed', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"generic":"whsec_before"}' })
      .resolves({ SecretString: '{"generic":"whsec_after whsec_before"}' });
    const { secrets, clock } = provider();
    expect(await secrets.secretsFor('generic')).toEqual(['whsec_before']);

    clock.set('2026-05-01T10:05:00Z');

    expect(await secrets.secretsFor('generic')).toEqual(['whsec_after', 'whsec_before']);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('keeps serving the last good value when a refresh fails, without logging any secret', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"generic":"whsec_kept"}' })
      .rejects(new Error('throttled'));
    const { secrets, clock } = provider();
    await secrets.secretsFor('generic');
    clock.set('2026-05-01T11:00:00Z');

    expect(await secrets.secretsFor('generic')).toEqual(['whsec_kept']);
    expect(warn).toHaveBeenCalledOnce();
    expect(JSON.stringify(warn.mock.calls)).not.toContain('whsec_kept');
  });

  it('fails when the secret cannot be read and nothing was read before', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: {},
      }),
    );
    const { secrets } = provider();

    await expect(secrets.secretsFor('generic')).rejects.toThrow(/can't find the specified secret/);
  });

  it.each([
    ['not JSON', 'whsec_leaked, not json'],
    ['JSON but not an object of strings', '{"generic":["whsec_leaked"]}'],
    ['a JSON string', '"whsec_leaked"'],
  ])('refuses a value that is %s, naming the secret but never quoting its value', async (_, value) => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: value });
    const { secrets } = provider();

    const failure = await secrets.secretsFor('generic').then(
      () => undefined,
      (error: Error) => error,
    );

    expect(failure?.message).toContain(SECRET_ARN);
    expect(failure?.message).not.toContain('whsec_leaked');
  });

  it('refuses a binary secret with a message saying to store JSON text', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2]) });
    const { secrets } = provider();

    await expect(secrets.secretsFor('generic')).rejects.toThrow(/no string value/);
  });
});
