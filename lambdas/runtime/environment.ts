import { LocalDiskObjectStore } from '../adapters/local-disk-object-store.js';
import { type Deployment, readDeployment } from '../config/deployment-settings.js';
import { readSettings } from '../config/settings.js';
import { loadSourceOptions } from '../config/source-options.js';
import type { IngestDependencies } from '../ingest/ingest-webhook.js';
import { localHome, localSecrets } from '../local/home.js';
import { type Clock, systemClock } from '../ports/clock.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { SecretProvider } from '../ports/secrets.js';

/**
 * The ingest handler's dependencies when it runs on its own, outside the local server (which passes its own).
 * On AWS (CS_PULSE_LAKE_BUCKET set by the stack): the lake bucket and the Secrets Manager secret. Otherwise: the lake
 * folder of CS_PULSE_HOME with every write fsynced and secrets from the environment or the home folder.
 */
export async function ingestDependenciesFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<IngestDependencies & { clock: Clock; lakeStartDate?: string }> {
  const settings = readSettings(env);
  const deployment = readDeployment(env);
  const { store, secrets } =
    deployment.kind === 'aws'
      ? await awsStorage(deployment)
      : await localStorage(settings.CS_PULSE_HOME, env);
  return {
    store,
    secrets,
    clock: systemClock,
    maxBodyBytes: settings.CS_PULSE_MAX_BODY_BYTES,
    sourceOptions: await loadSourceOptions(settings.CS_PULSE_CONFIG),
    ...(deployment.kind === 'aws' && deployment.lakeStartDate
      ? { lakeStartDate: deployment.lakeStartDate }
      : {}),
  };
}

interface Storage {
  readonly store: ObjectStore;
  readonly secrets: SecretProvider;
}

async function localStorage(homeFolder: string, env: NodeJS.ProcessEnv): Promise<Storage> {
  const home = localHome(homeFolder);
  return {
    store: await LocalDiskObjectStore.open({ root: home.lake, durability: 'fsync' }),
    secrets: localSecrets(home, env),
  };
}

/** Loaded only on AWS, so `npm start` and the CLI never load the AWS SDK. Clients are made once per container. */
async function awsStorage(deployment: Extract<Deployment, { kind: 'aws' }>): Promise<Storage> {
  const [{ S3ObjectStore }, { SecretsManagerSecrets }] = await Promise.all([
    import('../adapters/s3-object-store.js'),
    import('../adapters/secrets-manager-secrets.js'),
  ]);
  return {
    store: new S3ObjectStore({ bucket: deployment.lakeBucket }),
    secrets: new SecretsManagerSecrets({ secretId: deployment.secretsArn, ttlMs: deployment.secretsTtlMs }),
  };
}
