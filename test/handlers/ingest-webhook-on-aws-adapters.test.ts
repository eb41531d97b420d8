import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store.js';
import { SecretsManagerSecrets } from '../../lambdas/adapters/secrets-manager-secrets.js';
import { parseSourceOptions } from '../../lambdas/config/source-options.js';
import { createIngestWebhookHandler } from '../../lambdas/handlers/ingest-webhook.js';
import { rawRecordSchema } from '../../lambdas/lake/raw-record.js';
import { fixedClock } from '../../lambdas/ports/clock.js';
import type { ObjectStore } from '../../lambdas/ports/object-store.js';
import { webhookEvent } from '../support/api-gateway-events.js';
import { capturedObservability } from '../support/captured-observability.js';
import { surveyEvent } from '../support/events.js';
import { type LocalS3, startLocalS3 } from '../support/s3rver.js';
import { standardWebhooksHeaders } from '../support/standard-webhooks.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cs-pulse/webhooks-AbCdEf';
const BUCKET = 'cs-pulse-lake-e2e';

/**
 * The ingest Lambda as it runs on AWS: API Gateway's event in, the S3 adapter writing to a real S3 API (s3rver),
 * the signing secret read through the Secrets Manager adapter (its client mocked: there is no local stand-in).
 */
describe('ingest webhook handler on the AWS adapters', () => {
  let localS3: LocalS3;
  let store: S3ObjectStore;
  const clock = fixedClock('2026-04-10T08:30:00Z');
  const secretsClient = new SecretsManagerClient({ region: 'eu-west-1' });
  const secretsManager = mockClient(secretsClient);
  let invoke: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  const observability = capturedObservability();

  beforeAll(async () => {
    localS3 = await startLocalS3();
    await localS3.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    store = new S3ObjectStore({ bucket: BUCKET, client: localS3.client });
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      SecretString: JSON.stringify({ generic: SECRET }),
    });
    const handler = createIngestWebhookHandler(
      async () => ({
        store,
        secrets: new SecretsManagerSecrets({ secretId: SECRET_ARN, client: secretsClient, clock }),
        clock,
        maxBodyBytes: 1024 * 1024,
        sourceOptions: parseSourceOptions({}),
      }),
      observability,
    );
    invoke = (event) =>
      handler(event, { awsRequestId: 'test' } as Context) as Promise<APIGatewayProxyStructuredResultV2>;
  });

  afterAll(async () => {
    await store?.close();
    await localS3?.stop();
  });

  async function keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const object of store.listObjects(prefix)) keys.push(object.key);
    return keys;
  }

  it('archives the signed body and writes its table rows to the bucket', async () => {
    observability.published.length = 0;
    const body = JSON.stringify(surveyEvent('evt_aws_1', 'acct_1', 'nps', 9, '2026-04-09T23:59:00Z'));

    const response = await invoke(
      webhookEvent(
        'generic',
        body,
        standardWebhooksHeaders(SECRET, body, { id: 'msg_aws_1', sentAt: clock.now() }),
        clock.now(),
      ),
    );

    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body!)).toMatchObject({ accepted: 1, ignored: 0, delivery_id: 'msg_aws_1' });
    const [rawKey] = await keysUnder('raw/source=generic/dt=2026-04-10/');
    const raw = rawRecordSchema.parse(JSON.parse(Buffer.from((await store.getObject(rawKey!))!).toString()));
    expect(raw).toMatchObject({ status: 'accepted', delivery_id: 'msg_aws_1', body });
    const [rowsKey] = await keysUnder('tables/survey_responses/dt=2026-04-09/');
    const row = JSON.parse(Buffer.from((await store.getObject(rowsKey!))!).toString());
    expect(row).toMatchObject({ event_id: 'evt_aws_1', account_id: 'acct_1', survey: 'nps', score: 9 });
    // One metrics flush for the invocation: the events it took, the source as metadata (never a dimension).
    expect(observability.published).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            expect.objectContaining({ Namespace: 'CsPulseTest', Dimensions: [['service']] }),
          ],
        }),
        source: 'generic',
        WebhookEventsAccepted: 1,
        WebhookEventsIgnored: 0,
      }),
    ]);
  });

  it('answers 401 to a body signed with another secret and stores nothing of it', async () => {
    const body = JSON.stringify(surveyEvent('evt_forged', 'acct_2', 'csat', 5, '2026-04-09T10:00:00Z'));
    const before = await keysUnder('');
    observability.published.length = 0;

    const response = await invoke(
      webhookEvent(
        'generic',
        body,
        standardWebhooksHeaders('whsec_dGhpcyBpcyBub3QgdGhlIHNlY3JldA==', body, { sentAt: clock.now() }),
        clock.now(),
      ),
    );

    expect(response.statusCode).toBe(401);
    expect(await keysUnder('')).toEqual(before);
    // Counted as refused and as a signature refusal (what lib/operations.ts alarms on), with nothing accepted.
    expect(observability.published).toHaveLength(1);
    expect(observability.published[0]).toMatchObject({
      source: 'generic',
      status: '401',
      WebhooksRejected: 1,
      WebhookSignaturesRejected: 1,
    });
    expect(observability.published[0]).not.toHaveProperty('WebhookEventsAccepted');
  });

  it('stores events dated before lakeStartDate like any other, and reports them, as Athena would not see them', async () => {
    const guarded = createIngestWebhookHandler(
      async () => ({
        store,
        secrets: new SecretsManagerSecrets({ secretId: SECRET_ARN, client: secretsClient, clock }),
        clock,
        maxBodyBytes: 1024 * 1024,
        sourceOptions: parseSourceOptions({}),
        lakeStartDate: '2026-01-01',
      }),
      observability,
    );
    const deliver = async (eventId: string, occurredAt: string) => {
      const body = JSON.stringify(surveyEvent(eventId, 'acct_4', 'ces', 3, occurredAt));
      return (await guarded(
        webhookEvent(
          'generic',
          body,
          standardWebhooksHeaders(SECRET, body, { id: `msg_${eventId}`, sentAt: clock.now() }),
          clock.now(),
        ),
        { awsRequestId: 'test' } as Context,
      )) as APIGatewayProxyStructuredResultV2;
    };
    observability.published.length = 0;

    const early = await deliver('evt_early', '2025-12-31T23:00:00Z');
    const onTime = await deliver('evt_on_time', '2026-01-01T00:00:00Z');

    expect([early.statusCode, onTime.statusCode]).toEqual([202, 202]);
    expect(await keysUnder('tables/survey_responses/dt=2025-12-31/')).toHaveLength(1);
    expect(observability.published).toHaveLength(2);
    expect(observability.published[0]).toMatchObject({
      WebhooksBeforeLakeStart: 1,
      WebhookEventsAccepted: 1,
    });
    expect(observability.published[1]).not.toHaveProperty('WebhooksBeforeLakeStart');
    expect(JSON.parse(early.body!)).toEqual({ accepted: 1, ignored: 0, delivery_id: 'msg_evt_early' });
  });

  it('counts a 503 for a source without its secret as a server error, not as a sender refused', async () => {
    // The secret holds only `generic`: a Stripe delivery cannot be checked, so it is refused until the operator acts.
    const body = JSON.stringify({ id: 'evt_1', type: 'customer.subscription.created' });
    const before = await keysUnder('');
    observability.published.length = 0;

    const response = await invoke(
      webhookEvent('stripe', body, { 'stripe-signature': 't=1,v1=00' }, clock.now()),
    );

    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body!)).toMatchObject({ status: 503 });
    expect(await keysUnder('')).toEqual(before);
    expect(observability.published).toHaveLength(1);
    expect(observability.published[0]).toMatchObject({
      source: 'stripe',
      status: '503',
      WebhookServerErrors: 1,
    });
    expect(observability.published[0]).not.toHaveProperty('WebhooksRejected');
  });

  it('counts a delivery the lake could not take as a server error and answers a 500 problem', async () => {
    const failing = createIngestWebhookHandler(
      async () => ({
        store: {
          putObjects: async () => {
            throw new Error('S3 is down');
          },
          getObject: (key) => store.getObject(key),
          listObjects: (prefix) => store.listObjects(prefix),
          deleteObjects: (keys) => store.deleteObjects(keys),
          close: async () => {},
        } satisfies ObjectStore,
        secrets: new SecretsManagerSecrets({ secretId: SECRET_ARN, client: secretsClient, clock }),
        clock,
        maxBodyBytes: 1024 * 1024,
        sourceOptions: parseSourceOptions({}),
      }),
      observability,
    );
    const body = JSON.stringify(surveyEvent('evt_aws_down', 'acct_3', 'nps', 7, '2026-04-09T12:00:00Z'));
    observability.published.length = 0;

    const response = (await failing(
      webhookEvent(
        'generic',
        body,
        standardWebhooksHeaders(SECRET, body, { id: 'msg_aws_down', sentAt: clock.now() }),
        clock.now(),
      ),
      { awsRequestId: 'test' } as Context,
    )) as APIGatewayProxyStructuredResultV2;

    expect(response.statusCode).toBe(500);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body!)).not.toHaveProperty('detail', expect.stringContaining('S3'));
    expect(observability.published).toHaveLength(1);
    expect(observability.published[0]).toMatchObject({ source: 'generic', WebhookServerErrors: 1 });
    expect(observability.published[0]).not.toHaveProperty('WebhookEventsAccepted');
  });
});
