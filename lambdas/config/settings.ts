import { z } from 'zod';

/**
 * Every setting cs-pulse reads from its environment, parsed once at start-up. A bad value stops the process with a
 * message naming the variable, instead of surfacing later as a confusing failure.
 */
const settingsSchema = z.object({
  CS_PULSE_HOME: z
    .string()
    .min(1)
    .default('.cs-pulse')
    .describe('Folder for the local lake, journal, KPI store and secrets.'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Interface the local server listens on.'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('Port of the local server.'),
  CS_PULSE_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .max(10 * 1024 * 1024, 'API Gateway refuses bodies over 10 MiB')
    .default(1024 * 1024)
    .describe('Largest webhook body accepted (413 above it).'),
  CS_PULSE_API_TOKEN: z
    .string()
    .min(16, 'use at least 16 characters')
    .optional()
    .describe('Bearer token the local read API requires, when set.'),
  CS_PULSE_CONFIG: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Mapping config file for the vendor sources (default: ./cs-pulse.config.json, else <home>/cs-pulse.config.json, when present).',
    ),
  CS_PULSE_AGGREGATE_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(60)
    .describe('How often `npm start` aggregates when new data arrived; 0 turns the timer off.'),
  CS_PULSE_LOW_SAMPLE_MIN: z.coerce
    .number()
    .int()
    .min(0)
    .default(30)
    .describe('KPI periods with fewer responses (customers, for churn) than this are flagged low_sample.'),
  CS_PULSE_CHURN_HORIZON_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(90)
    .describe(
      'Churn drivers: an account churned after a survey response when it left within this many days.',
    ),
});

export type Settings = z.infer<typeof settingsSchema>;

export class SettingsError extends Error {}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const result = settingsSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new SettingsError(`invalid settings:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Name, default and meaning of every setting, for `--help` and the README. */
export function describeSettings(): { name: string; description: string; defaultValue: unknown }[] {
  return Object.entries(settingsSchema.shape).map(([name, schema]) => ({
    name,
    description: schema.description ?? '',
    defaultValue: (schema as z.ZodTypeAny).safeParse(undefined).data,
  }));
}
