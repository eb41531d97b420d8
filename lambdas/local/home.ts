import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  environmentSecrets,
  type SecretProvider,
  secretVariableName,
  splitSecrets,
} from '../ports/secrets.js';

/** The local home folder (`CS_PULSE_HOME`, default `./.cs-pulse`): everything `npm start` keeps. */
export interface LocalHome {
  readonly root: string;
  /** The stand-in for the S3 bucket: the same key layout. */
  readonly lake: string;
  readonly journal: string;
  readonly secretsFile: string;
  readonly kpiStore: string;
  readonly stateFile: string;
}

export function localHome(root: string): LocalHome {
  const absolute = path.resolve(root);
  return {
    root: absolute,
    lake: path.join(absolute, 'lake'),
    journal: path.join(absolute, 'journal'),
    secretsFile: path.join(absolute, 'secrets.json'),
    kpiStore: path.join(absolute, 'kpi-store'),
    stateFile: path.join(absolute, 'state.json'),
  };
}

export type SecretsFile = Record<string, string>;

export async function readSecretsFile(home: LocalHome): Promise<SecretsFile> {
  try {
    return JSON.parse(await readFile(home.secretsFile, 'utf8')) as SecretsFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

/** A fresh Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function generateStandardWebhooksSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Makes sure the generic source has a secret: `CS_PULSE_SECRET_GENERIC` wins; otherwise one is generated on first
 * start and kept (mode 0600) in the home folder. Returns where the secret came from, for the start-up banner.
 */
export async function ensureGenericSecret(
  home: LocalHome,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ secret: string; origin: 'environment' | 'generated' | 'file' }> {
  const fromEnv = splitSecrets(env[secretVariableName('generic')])[0];
  if (fromEnv) return { secret: fromEnv, origin: 'environment' };
  const stored = await readSecretsFile(home);
  if (stored.generic) return { secret: stored.generic, origin: 'file' };
  const secret = generateStandardWebhooksSecret();
  await mkdir(home.root, { recursive: true });
  await writeFile(home.secretsFile, `${JSON.stringify({ ...stored, generic: secret }, null, 2)}\n`, {
    mode: 0o600,
  });
  return { secret, origin: 'generated' };
}

/** Secrets from the environment first, then from the home folder's secrets file. */
export function localSecrets(home: LocalHome, env: NodeJS.ProcessEnv = process.env): SecretProvider {
  const fromEnvironment = environmentSecrets(env);
  return {
    async secretsFor(source) {
      const secrets = await fromEnvironment.secretsFor(source);
      if (secrets.length > 0) return secrets;
      const stored = (await readSecretsFile(home))[source];
      return stored ? splitSecrets(stored) : [];
    },
  };
}
