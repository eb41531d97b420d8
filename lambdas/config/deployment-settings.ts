import { z } from 'zod';
import { SettingsError } from './settings.js';

/**
 * The variables the CDK stack sets on the Lambdas. Their presence is what tells the runtime it is on AWS: with
 * CS_PULSE_LAKE_BUCKET set the lake is that bucket and the secrets come from Secrets Manager; without it everything
 * stays on local disk (CS_PULSE_HOME) and no AWS API is called.
 */
const deploymentSchema = z
  .object({
    CS_PULSE_LAKE_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not an S3 bucket name')
      .optional()
      .describe('The lake bucket; set by the stack on AWS.'),
    CS_PULSE_SECRETS_ARN: z
      .string()
      .min(1)
      .optional()
      .describe(
        'ARN of the Secrets Manager secret with every source signing secret; required with the bucket.',
      ),
    CS_PULSE_LAKE_START_DATE: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
      .optional()
      .describe(
        "The first dt= partition Athena projects (the stack's lakeStartDate); rows before it go unseen.",
      ),
    CS_PULSE_SECRETS_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(300)
      .describe('How long a Lambda reuses the secret value before reading it again (rotation delay).'),
  })
  .refine((env) => env.CS_PULSE_LAKE_BUCKET === undefined || env.CS_PULSE_SECRETS_ARN !== undefined, {
    path: ['CS_PULSE_SECRETS_ARN'],
    message: 'required when CS_PULSE_LAKE_BUCKET is set',
  });

export type Deployment =
  | { readonly kind: 'local' }
  | {
      readonly kind: 'aws';
      readonly lakeBucket: string;
      readonly secretsArn: string;
      readonly secretsTtlMs: number;
      /** Athena sees no dt partition before this day (partition projection's range). */
      readonly lakeStartDate: string | undefined;
    };

export function readDeployment(env: NodeJS.ProcessEnv = process.env): Deployment {
  const result = deploymentSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new SettingsError(`invalid settings:\n${lines.join('\n')}`);
  }
  const settings = result.data;
  if (settings.CS_PULSE_LAKE_BUCKET === undefined) return { kind: 'local' };
  return {
    kind: 'aws',
    lakeBucket: settings.CS_PULSE_LAKE_BUCKET,
    secretsArn: settings.CS_PULSE_SECRETS_ARN!,
    secretsTtlMs: settings.CS_PULSE_SECRETS_TTL_SECONDS * 1000,
    lakeStartDate: settings.CS_PULSE_LAKE_START_DATE,
  };
}
