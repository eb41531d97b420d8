import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDiskObjectStore } from '../../lambdas/adapters/local-disk-object-store.js';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store.js';
import { SecretsManagerSecrets } from '../../lambdas/adapters/secrets-manager-secrets.js';
import { ingestDependenciesFromEnvironment } from '../../lambdas/runtime/environment.js';
import { withTempHome } from '../support/temp-home.js';

describe('ingestDependenciesFromEnvironment', () => {
  // Every S3 and Secrets Manager client is intercepted: any AWS call the runtime makes shows up here.
  const s3 = mockClient(S3Client);
  const secretsManager = mockClient(SecretsManagerClient);
  let home: Awaited<ReturnType<typeof withTempHome>>;

  beforeEach(async () => {
    home = await withTempHome();
  });

  afterEach(async () => {
    s3.reset();
    secretsManager.reset();
    await home.cleanup();
  });

  it('uses the local lake folder and local secrets when no lake bucket is set, without calling AWS', async () => {
    const deps = await ingestDependenciesFromEnvironment({
      CS_PULSE_HOME: home.root,
      CS_PULSE_SECRET_GENERIC: 'whsec_local',
      CS_PULSE_MAX_BODY_BYTES: '2048',
    });
    try {
      expect(deps.store).toBeInstanceOf(LocalDiskObjectStore);
      expect((deps.store as LocalDiskObjectStore).root).toBe(`${home.root}/lake`);
      expect(await deps.secrets.secretsFor('generic')).toEqual(['whsec_local']);
      expect(deps.maxBodyBytes).toBe(2048);
      expect(s3.calls()).toHaveLength(0);
      expect(secretsManager.calls()).toHaveLength(0);
    } finally {
      await deps.store.close();
    }
  });

  it('uses the lake bucket and the Secrets Manager secret when the stack set them', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cs-pulse/webhooks-AbCdEf';
    secretsManager.on(GetSecretValueCommand, { SecretId: arn }).resolves({
      SecretString: '{"generic":"whsec_from_aws"}',
    });

    const deps = await ingestDependenciesFromEnvironment({
      AWS_REGION: 'eu-west-1',
      CS_PULSE_LAKE_BUCKET: 'cs-pulse-lake-123',
      CS_PULSE_SECRETS_ARN: arn,
    });

    expect(deps.store).toBeInstanceOf(S3ObjectStore);
    expect((deps.store as S3ObjectStore).bucket).toBe('cs-pulse-lake-123');
    expect(deps.secrets).toBeInstanceOf(SecretsManagerSecrets);
    expect(await deps.secrets.secretsFor('generic')).toEqual(['whsec_from_aws']);
    expect(s3.calls()).toHaveLength(0); // building the store calls nothing; the first delivery will
    await deps.store.close();
  });

  it('refuses a lake bucket without the secret ARN, naming the missing variable', async () => {
    await expect(
      ingestDependenciesFromEnvironment({
        CS_PULSE_HOME: home.root,
        CS_PULSE_LAKE_BUCKET: 'cs-pulse-lake-123',
      }),
    ).rejects.toThrow(/CS_PULSE_SECRETS_ARN: required when CS_PULSE_LAKE_BUCKET is set/);
  });

  it('refuses a lake bucket name S3 would not accept', async () => {
    await expect(
      ingestDependenciesFromEnvironment({
        CS_PULSE_LAKE_BUCKET: 'Not_A_Bucket',
        CS_PULSE_SECRETS_ARN: 'arn',
      }),
    ).rejects.toThrow(/CS_PULSE_LAKE_BUCKET: not an S3 bucket name/);
  });
});
