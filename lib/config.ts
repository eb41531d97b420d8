import type { IConstruct } from 'constructs';
import { z } from 'zod';

/**
 * Everything a deployment can change, read from CDK context (cdk.json `context`, or `cdk deploy -c key=value`) and
 * validated here, once, before any construct is built. Values given with `-c` arrive as strings, so numbers and
 * booleans are coerced. docs/deploy.md lists every key.
 */

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const MIB = 1024 * 1024;

const booleanFromContext = z.preprocess(
  (value) => (value === 'true' ? true : value === 'false' ? false : value),
  z.boolean(),
);

const listFromContext = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== '')
      : value,
  z.array(z.string().min(1)),
);

const logRetention = z.coerce
  .number()
  .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
    message: `CloudWatch Logs retention must be one of ${LOG_RETENTION_DAYS.join(', ')} days`,
  });

/** An EventBridge schedule: `rate(15 minutes)` or `cron(0 * * * ? *)`. */
const scheduleExpression = z
  .string()
  .regex(
    /^(rate\(\s*[1-9]\d*\s+(minute|minutes|hour|hours|day|days)\s*\)|cron\(\s*\S+(\s+\S+){5}\s*\))$/,
    'use an EventBridge schedule such as "rate(15 minutes)" or "cron(0 6 * * ? *)"',
  );

export const csPulseConfigSchema = z
  .object({
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,19}$/, 'lower-case letters, digits and dashes, starting with a letter, ≤ 20')
      .default('dev')
      .describe('Deployment name: the stack is CsPulse-<stage>, so several stages fit in one account.'),
    retainData: booleanFromContext
      .default(true)
      .describe(
        'Keep the lake, KPI table and secret when the stack is deleted (false only for throw-away stages).',
      ),
    maxBodyBytes: z.coerce
      .number()
      .int()
      .positive()
      .max(
        4 * MIB,
        'a Lambda invocation carries at most 6 MB, event and encoding included: keep bodies ≤ 4 MiB',
      )
      .default(MIB)
      .describe('Largest webhook body accepted (413 above it).'),
    throttleRateLimit: z.coerce
      .number()
      .int()
      .positive()
      .default(50)
      .describe('Steady requests per second the HTTP API accepts.'),
    throttleBurstLimit: z.coerce
      .number()
      .int()
      .positive()
      .default(100)
      .describe('Burst of requests the HTTP API accepts.'),
    lakeStartDate: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
      .default('2015-01-01')
      .describe('Earliest dt= partition Athena looks at (partition projection range start).'),
    rawInfrequentAccessDays: z.coerce
      .number()
      .int()
      .min(30, 'S3 moves objects to Standard-IA only after 30 days')
      .default(90)
      .describe('Days after which raw/ bodies move to S3 Standard-IA.'),
    rawRetentionDays: z.coerce
      .number()
      .int()
      .positive()
      .optional()
      .describe('Days after which raw/ bodies are deleted (default: kept; replay needs them).'),
    noncurrentVersionRetentionDays: z.coerce
      .number()
      .int()
      .positive()
      .default(30)
      .describe('Days an overwritten or deleted lake object version is kept.'),
    accessLogRetentionDays: z.coerce
      .number()
      .int()
      .positive()
      .default(90)
      .describe('Days S3 server access logs are kept.'),
    logRetentionDays: logRetention
      .default(30)
      .describe('Days Lambda and API access logs are kept in CloudWatch Logs.'),
    queryResultsRetentionDays: z.coerce
      .number()
      .int()
      .positive()
      .default(7)
      .describe('Days Athena query results are kept.'),
    queryBytesScannedCutoff: z.coerce
      .number()
      .int()
      .min(10 * MIB, 'Athena accepts no cutoff below 10 MB')
      .default(10 * 1024 * MIB)
      .describe('Largest number of bytes one Athena query may scan before it is cancelled.'),
    aggregationSchedule: scheduleExpression
      .default('rate(1 hour)')
      .describe('How often the incremental KPI aggregation runs.'),
    backfillSchedule: scheduleExpression
      .default('cron(30 2 * * ? *)')
      .describe('When the daily backfill of recent KPI periods runs (UTC).'),
    backfillDays: z.coerce
      .number()
      .int()
      .min(1)
      .max(400)
      .default(3)
      .describe('The backfill recomputes the periods of lake data written in this many past days.'),
    compactionSchedule: scheduleExpression
      .default('cron(15 0 * * ? *)')
      .describe('When the compaction of closed days into Parquet runs (UTC).'),
    compactionMaxDays: z.coerce
      .number()
      .int()
      .positive()
      .default(30)
      .describe('Days of each table one compaction run folds in at most (a backlog takes several runs).'),
    lowSampleMin: z.coerce
      .number()
      .int()
      .min(0)
      .default(30)
      .describe('KPI periods with fewer responses (customers, for churn) than this are flagged low_sample.'),
    churnHorizonDays: z.coerce
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .describe(
        'Churn drivers: an account churned after a survey response when it left within this many days.',
      ),
    alarmEmail: z.email().optional().describe('Address subscribed to the alarm topic (confirm the e-mail).'),
    apiAuth: z
      .enum(['iam', 'jwt'])
      .default('iam')
      .describe('How the read API authenticates callers: IAM (SigV4) or a JWT issuer.'),
    jwtIssuer: z
      .url({ protocol: /^https$/ })
      .optional()
      .describe('JWT issuer URL, with apiAuth=jwt.'),
    jwtAudience: listFromContext
      .optional()
      .describe('Accepted JWT audiences, comma-separated, with apiAuth=jwt.'),
    sourceConfig: z
      .string()
      .min(1)
      .optional()
      .describe('Mapping config file (docs/sources.md) bundled with the ingest Lambda.'),
  })
  .superRefine((config, context) => {
    if (config.apiAuth !== 'jwt') return;
    if (!config.jwtIssuer)
      context.addIssue({ code: 'custom', path: ['jwtIssuer'], message: 'required when apiAuth is jwt' });
    if (!config.jwtAudience?.length)
      context.addIssue({ code: 'custom', path: ['jwtAudience'], message: 'required when apiAuth is jwt' });
  })
  .superRefine((config, context) => {
    if (config.throttleBurstLimit < config.throttleRateLimit) {
      context.addIssue({
        code: 'custom',
        path: ['throttleBurstLimit'],
        message: 'must be at least throttleRateLimit',
      });
    }
    if (config.rawRetentionDays !== undefined && config.rawRetentionDays <= config.rawInfrequentAccessDays) {
      context.addIssue({
        code: 'custom',
        path: ['rawRetentionDays'],
        message: 'must exceed rawInfrequentAccessDays (or leave it unset to keep raw bodies)',
      });
    }
  });

export type CsPulseConfig = z.infer<typeof csPulseConfigSchema>;

/** The context keys cs-pulse reads. */
export const CONFIG_KEYS = Object.keys(csPulseConfigSchema.shape) as (keyof CsPulseConfig)[];

export class ConfigError extends Error {}

/** Parses a plain object of context values (tests pass one directly). */
export function parseCsPulseConfig(values: Readonly<Record<string, unknown>>): CsPulseConfig {
  const known = Object.fromEntries(
    CONFIG_KEYS.filter((key) => values[key] !== undefined).map((key) => [key, values[key]]),
  );
  const result = csPulseConfigSchema.safeParse(known);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid cs-pulse context (cdk.json or -c):\n${lines.join('\n')}`);
  }
  return result.data;
}

/**
 * Reads and validates cs-pulse's keys from a construct's CDK context (normally the App). A key that is not cs-pulse's
 * but looks like one (`alarmEmial`, `Stage`) stops synthesis: taken silently it would deploy with the default, an
 * alarm e-mail nobody gets. CDK's own keys (feature flags such as `@aws-cdk/…`, `aws:cdk:…`) have a `@`, `:` or `/`.
 */
export function readCsPulseConfig(scope: IConstruct): CsPulseConfig {
  const misspelt = Object.keys(scope.node.getAllContext() as Record<string, unknown>)
    .filter((key) => !/[@:/]/.test(key) && !(CONFIG_KEYS as string[]).includes(key))
    .map((key) => [key, closestConfigKey(key)] as const)
    .filter((pair): pair is readonly [string, keyof CsPulseConfig] => pair[1] !== undefined);
  if (misspelt.length > 0) {
    const lines = misspelt.map(([key, meant]) => `  ${key}: not a cs-pulse key; did you mean ${meant}?`);
    throw new ConfigError(`invalid cs-pulse context (cdk.json or -c):\n${lines.join('\n')}`);
  }
  return parseCsPulseConfig(
    Object.fromEntries(CONFIG_KEYS.map((key) => [key, scope.node.tryGetContext(key)])),
  );
}

/** The cs-pulse key this one is probably a slip for: the same ignoring case, or at most two edits away. */
function closestConfigKey(key: string): keyof CsPulseConfig | undefined {
  let best: { key: keyof CsPulseConfig; distance: number } | undefined;
  for (const known of CONFIG_KEYS) {
    const distance = known.toLowerCase() === key.toLowerCase() ? 0 : editDistance(known, key);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { key: known, distance };
  }
  return best?.key;
}

/** Levenshtein distance (insertions, deletions, substitutions), one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Name, default and meaning of every context key, for docs/deploy.md. */
export function describeConfig(): { key: string; description: string; defaultValue: unknown }[] {
  return CONFIG_KEYS.map((key) => {
    const schema = csPulseConfigSchema.shape[key] as z.ZodType;
    return { key, description: schema.description ?? '', defaultValue: schema.safeParse(undefined).data };
  });
}
