import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_KEYS,
  ConfigError,
  describeConfig,
  parseCsPulseConfig,
  readCsPulseConfig,
} from '../../lib/config.js';
import { PROJECT_ROOT } from '../../lib/lambda-function.js';
import { cdkJsonContext } from './support/cdk-app.js';

describe('cs-pulse deployment config', () => {
  it('has a default for everything, so a bare `cdk deploy` works', () => {
    const config = parseCsPulseConfig({});

    expect(config).toMatchObject({
      stage: 'dev',
      retainData: true,
      maxBodyBytes: 1024 * 1024,
      apiAuth: 'iam',
      aggregationSchedule: 'rate(1 hour)',
      backfillSchedule: 'cron(30 2 * * ? *)',
      compactionSchedule: 'cron(15 0 * * ? *)',
      logRetentionDays: 30,
      queryResultsRetentionDays: 7,
      rawInfrequentAccessDays: 90,
    });
    expect(config.rawRetentionDays).toBeUndefined();
    expect(config.alarmEmail).toBeUndefined();
  });

  it('stops on a key that looks like a cs-pulse key but is not one, naming the one meant', () => {
    const app = new App({
      context: { ...cdkJsonContext(), alarmEmial: 'ops@example.com', Stage: 'prod', retaindata: 'false' },
    });

    expect(() => readCsPulseConfig(app)).toThrow(ConfigError);
    expect(() => readCsPulseConfig(app)).toThrow(/alarmEmial: not a cs-pulse key; did you mean alarmEmail\?/);
    expect(() => readCsPulseConfig(app)).toThrow(/Stage: .*did you mean stage\?/);
    expect(() => readCsPulseConfig(app)).toThrow(/retaindata: .*did you mean retainData\?/);
  });

  it('leaves CDK’s own context keys and unrelated keys alone', () => {
    const app = new App({
      context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], myTeamOwner: 'data-platform' },
    });

    expect(readCsPulseConfig(app).stage).toBe('dev');
  });

  it('reads the keys from CDK context, where `-c key=value` gives strings', () => {
    const app = new App({
      context: {
        ...cdkJsonContext(),
        stage: 'prod',
        retainData: 'false',
        maxBodyBytes: '524288',
        logRetentionDays: '90',
        rawRetentionDays: '730',
        alarmEmail: 'ops@example.com',
        apiAuth: 'jwt',
        jwtIssuer: 'https://auth.example.com/',
        jwtAudience: 'cs-pulse, dashboards',
      },
    });

    expect(readCsPulseConfig(app)).toMatchObject({
      stage: 'prod',
      retainData: false,
      maxBodyBytes: 524_288,
      logRetentionDays: 90,
      rawRetentionDays: 730,
      alarmEmail: 'ops@example.com',
      apiAuth: 'jwt',
      jwtAudience: ['cs-pulse', 'dashboards'],
    });
  });

  it('takes the same values as JSON types from cdk.json', () => {
    expect(parseCsPulseConfig({ retainData: false, maxBodyBytes: 2048, jwtAudience: ['a'] })).toMatchObject({
      retainData: false,
      maxBodyBytes: 2048,
      jwtAudience: ['a'],
    });
  });

  it.each([
    [{ stage: 'Prod_1' }, /stage: lower-case letters/],
    [{ maxBodyBytes: String(5 * 1024 * 1024) }, /maxBodyBytes: .*6 MB/],
    [{ logRetentionDays: '10' }, /logRetentionDays: CloudWatch Logs retention must be one of/],
    [
      { rawInfrequentAccessDays: '10' },
      /rawInfrequentAccessDays: S3 moves objects to Standard-IA only after 30/,
    ],
    [{ rawRetentionDays: '60' }, /rawRetentionDays: must exceed rawInfrequentAccessDays/],
    [{ aggregationSchedule: 'every 5 minutes' }, /aggregationSchedule: use an EventBridge schedule/],
    [{ alarmEmail: 'not-an-address' }, /alarmEmail/],
    [{ apiAuth: 'cognito' }, /apiAuth/],
    [{ apiAuth: 'jwt' }, /jwtIssuer: required when apiAuth is jwt[\s\S]*jwtAudience: required/],
    [{ apiAuth: 'jwt', jwtIssuer: 'http://insecure.example.com', jwtAudience: 'x' }, /jwtIssuer/],
    [{ throttleRateLimit: '100', throttleBurstLimit: '10' }, /throttleBurstLimit: must be at least/],
    [{ queryBytesScannedCutoff: '1000' }, /queryBytesScannedCutoff: Athena accepts no cutoff below 10 MB/],
    [{ retainData: 'yes' }, /retainData/],
  ])('refuses %o with a message naming the key', (values, message) => {
    expect(() => parseCsPulseConfig(values)).toThrow(ConfigError);
    expect(() => parseCsPulseConfig(values)).toThrow(message);
  });

  it('accepts the EventBridge schedule forms', () => {
    for (const schedule of ['rate(1 hour)', 'rate(5 minutes)', 'cron(0 6 * * ? *)']) {
      expect(parseCsPulseConfig({ aggregationSchedule: schedule }).aggregationSchedule).toBe(schedule);
    }
  });

  it('ignores context keys that are not its own (CDK feature flags)', () => {
    expect(parseCsPulseConfig(cdkJsonContext()).stage).toBe('dev');
  });

  it('has every key documented in docs/deploy.md', async () => {
    const doc = await readFile(path.join(PROJECT_ROOT, 'docs', 'deploy.md'), 'utf8');
    const documented = (key: string) => new RegExp(`^\\|\\s*\`${key}\`\\s*\\|`, 'm').test(doc);
    expect(CONFIG_KEYS.filter((key) => !documented(key))).toEqual([]);
  });

  it('describes every key with its default, for docs/deploy.md', () => {
    const described = describeConfig();
    expect(described.map((entry) => entry.key)).toContain('maxBodyBytes');
    expect(described.every((entry) => entry.description.length > 10)).toBe(true);
    expect(described.find((entry) => entry.key === 'stage')?.defaultValue).toBe('dev');
  });
});
