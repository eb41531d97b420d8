import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { type Clock, systemClock } from '../ports/clock.js';
import { type SecretProvider, splitSecrets } from '../ports/secrets.js';

export interface SecretsManagerSecretsOptions {
  /** ARN or name of the secret holding `{ "<source>": "<secret>[ <next secret>]" }`. */
  readonly secretId: string;
  /** @default a new SecretsManagerClient for the Lambda's region */
  readonly client?: SecretsManagerClient;
  /**
   * How long a fetched value is used before it is read again, so a rotated secret reaches warm Lambdas within this
   * time. @default 300_000 (5 minutes)
   */
  readonly ttlMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
}

const secretValueSchema = z.record(z.string(), z.string());

export class SecretsError extends Error {}

/**
 * Every source's signing secrets from one Secrets Manager secret. The value is read at most once per TTL however
 * many deliveries arrive, and a failed refresh keeps serving the last good value (a Secrets Manager hiccup must not
 * turn every delivery into a failure). Secret values never appear in errors or logs.
 */
export class SecretsManagerSecrets implements SecretProvider {
  private readonly secretId: string;
  private readonly client: SecretsManagerClient;
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private cached:
    | { readonly values: Readonly<Record<string, string>>; readonly fetchedAt: number }
    | undefined;
  private refreshing: Promise<Readonly<Record<string, string>>> | undefined;

  constructor(options: SecretsManagerSecretsOptions) {
    this.secretId = options.secretId;
    this.client = options.client ?? new SecretsManagerClient({});
    this.ttlMs = options.ttlMs ?? 5 * 60 * 1000;
    this.clock = options.clock ?? systemClock;
  }

  async secretsFor(source: string): Promise<readonly string[]> {
    const values = await this.currentValues();
    return Object.hasOwn(values, source) ? splitSecrets(values[source]) : [];
  }

  private async currentValues(): Promise<Readonly<Record<string, string>>> {
    const now = this.clock.now().getTime();
    if (this.cached && now - this.cached.fetchedAt < this.ttlMs) return this.cached.values;
    // Concurrent deliveries on an expired cache share one request.
    this.refreshing ??= this.fetch()
      .then((values) => {
        this.cached = { values, fetchedAt: this.clock.now().getTime() };
        return values;
      })
      .catch((error: unknown) => {
        if (!this.cached) throw error;
        console.warn(
          JSON.stringify({
            message: 'could not refresh the webhook secrets; using the values read before',
            secretId: this.secretId,
            error: (error as Error).name,
          }),
        );
        return this.cached.values;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private async fetch(): Promise<Readonly<Record<string, string>>> {
    const response = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    if (response.SecretString === undefined) {
      throw new SecretsError(`the secret ${this.secretId} has no string value; store JSON text`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.SecretString);
    } catch {
      // The JSON error message quotes the text around the fault, which is the secret itself: drop it.
      throw new SecretsError(`the secret ${this.secretId} is not JSON; store { "<source>": "<secret>" }`);
    }
    const result = secretValueSchema.safeParse(parsed);
    if (!result.success) {
      const paths = result.error.issues.map((issue) => issue.path.join('.') || '(root)');
      throw new SecretsError(
        `the secret ${this.secretId} must be a JSON object of strings; wrong at: ${paths.join(', ')}`,
      );
    }
    return result.data;
  }
}
