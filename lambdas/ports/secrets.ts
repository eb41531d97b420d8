/** Where each source's signing secrets come from: env or a local file for `npm start`, Secrets Manager on AWS. */
export interface SecretProvider {
  /** Every secret currently valid for the source (several during a rotation); empty when none is configured. */
  secretsFor(source: string): Promise<readonly string[]>;
}

/** The variable holding a source's secrets: `CS_PULSE_SECRET_STRIPE` for `stripe`. */
export function secretVariableName(source: string): string {
  return `CS_PULSE_SECRET_${source.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Splits a variable that lists several secrets, separated by spaces or commas, for rotation. */
export function splitSecrets(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter((secret) => secret.length > 0);
}

/** Reads `CS_PULSE_SECRET_<SOURCE>` from an environment. */
export function environmentSecrets(env: NodeJS.ProcessEnv = process.env): SecretProvider {
  return { secretsFor: async (source) => splitSecrets(env[secretVariableName(source)]) };
}
