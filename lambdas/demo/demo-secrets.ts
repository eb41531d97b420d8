import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { type LocalHome, readSecretsFile } from '../local/home.js';
import { secretVariableName, splitSecrets } from '../ports/secrets.js';
import type { DEMO_VENDOR_SOURCES } from './delivery.js';

type VendorSource = (typeof DEMO_VENDOR_SOURCES)[number];

/** A secret in the form each vendor hands out, so the home's secrets file looks like a real set-up. */
const GENERATORS: Readonly<Record<VendorSource, () => string>> = {
  stripe: () => `whsec_${randomBytes(24).toString('hex')}`,
  hubspot: () => randomUUID(),
  delighted: () => randomBytes(16).toString('hex'),
  typeform: () => randomBytes(24).toString('base64url'),
  zendesk: () => randomBytes(32).toString('base64'),
};

/**
 * The secret the demo signs each vendor's requests with: the one the server will check. An environment variable
 * (`CS_PULSE_SECRET_STRIPE`…) wins as it does for the server; otherwise the home's secrets file, where a missing one
 * is generated and kept, so `npm start` on the same home accepts the same senders afterwards.
 */
export async function ensureVendorSecrets(
  home: LocalHome,
  sources: readonly VendorSource[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<VendorSource, string>> {
  const stored = await readSecretsFile(home);
  const secrets = {} as Record<VendorSource, string>;
  let generated = false;
  for (const source of sources) {
    const fromEnv = splitSecrets(env[secretVariableName(source)])[0];
    const fromFile = splitSecrets(stored[source])[0];
    if (fromEnv) secrets[source] = fromEnv;
    else if (fromFile) secrets[source] = fromFile;
    else {
      secrets[source] = GENERATORS[source]();
      stored[source] = secrets[source];
      generated = true;
    }
  }
  if (generated) {
    await mkdir(home.root, { recursive: true });
    await writeFile(home.secretsFile, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
  return secrets;
}
