import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../lambdas/ports/clock.js';
import { hubspotSignatureHeaders } from '../support/hubspot.js';
import { lakeFiles, latestCopies, rawRecords, tableRows } from '../support/lake-files.js';
import { startTestApp, type TestApp } from '../support/local-app.js';

const NOW = new Date('2025-03-10T12:00:00.000Z');
const CLIENT_SECRET = '8c2f1b9e-4d7a-4f0e-9b61-3a5d7e2c9f40';
const ROTATED_SECRET = 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b';
const WEBHOOK_PATH = '/webhooks/hubspot';

const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, '../fixtures/hubspot', name), 'utf8');
/** HubSpot's company notifications (shape of its Webhooks API docs): creation, mapped and unmapped changes. */
const COMPANY_BATCH = fixture('company-batch.json');
/** The request body of HubSpot's v1 validation docs and SDK test, verbatim: a contact creation. */
const SDK_CONTACT_CREATION = fixture('sdk-contact-creation.json');
/** HubSpot's older docs sample (says `eventType`): contact notifications only. */
const DOCS_LEGACY_CONTACTS = fixture('docs-legacy-contact-batch.json');

type Response = Awaited<ReturnType<TestApp['post']>>;

describe('POST /webhooks/hubspot over real HTTP', () => {
  let app: TestApp;
  const clock = fixedClock(NOW);

  beforeAll(async () => {
    app = await startTestApp({
      clock,
      env: { CS_PULSE_SECRET_HUBSPOT: `${CLIENT_SECRET} ${ROTATED_SECRET}` },
    });
  });
  afterAll(async () => app.stop());

  /** POSTs a body signed by HubSpot's SDK; `signedUrl` is the URI HubSpot would sign when it differs. */
  function postSigned(
    body: string,
    options: {
      version?: 'v1' | 'v2' | 'v3';
      secret?: string;
      timestamp?: number;
      path?: string;
      signedUrl?: string;
      send?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Response> {
    const requestPath = options.path ?? WEBHOOK_PATH;
    const signed = hubspotSignatureHeaders(options.secret ?? CLIENT_SECRET, body, {
      url: options.signedUrl ?? `${app.url}${requestPath}`,
      version: options.version ?? 'v3',
      timestamp: options.timestamp ?? NOW.getTime(),
    });
    return app.post(requestPath, options.send ?? body, { ...signed, ...options.headers });
  }

  const companyRows = async (table: string, accountId = '9876543210') =>
    (await tableRows(app.home.lake, table)).filter((row) => row.account_id === accountId);

  async function expectNothingStored(action: () => Promise<Response>, status = 401) {
    const before = await lakeFiles(app.home.lake);
    const response = await action();
    expect(response.status).toBe(status);
    expect(response.body.status).toBe(status);
    expect([...(await lakeFiles(app.home.lake)).keys()]).toEqual([...before.keys()]);
  }

  it('maps company creation and property changes to account.updated rows and ignores the rest', async () => {
    const response = await postSigned(COMPANY_BATCH);
    expect(response.status).toBe(202);
    // 1 creation + name, plan, industry and (object.propertyChange 0-2) country; annualrevenue, a deal and a
    // contact are acknowledged and ignored.
    expect(response.body).toMatchObject({ accepted: 5, ignored: 3 });

    const accounts = await companyRows('accounts');
    expect(accounts.map((row) => [row.event_id, row.occurred_at, row.name, row.plan]).sort()).toEqual([
      ['62515:2410457:1842950221:9876543210:1741521600000:', '2025-03-09 12:00:00.000', null, null],
      [
        '62515:2410458:1842950222:9876543210:1741521601000:name',
        '2025-03-09 12:00:01.000',
        'Globex Corporation',
        null,
      ],
      [
        '62515:2410459:1842950223:9876543210:1741521602000:plan',
        '2025-03-09 12:00:02.000',
        null,
        'enterprise',
      ],
      ['62515:2410460:1842950224:9876543210:1741521603000:industry', '2025-03-09 12:00:03.000', null, null],
      ['62515:2410461:1842950225:9876543210:1741521604000:country', '2025-03-09 12:00:04.000', null, null],
    ]);
    expect(
      accounts.every((row) => row.source === 'hubspot' && row.received_at === '2025-03-10 12:00:00.000'),
    ).toBe(true);
    expect(accounts[0]!._key).toMatch(/^tables\/accounts\/dt=2025-03-09\/merged-[0-9a-f]{32}\.jsonl$/);

    const attributes = await companyRows('account_attributes');
    expect(attributes.map((row) => `${row.attribute_key}=${row.attribute_value}`).sort()).toEqual([
      'country=Germany',
      'industry=COMPUTER_SOFTWARE',
      'plan=enterprise',
    ]);
    // Neither the deal nor the contact became an account.
    expect(await companyRows('accounts', '31415926')).toEqual([]);
    expect(await companyRows('accounts', '1246965')).toEqual([]);

    const raw = (await rawRecords(app.home.lake)).find((record) => record.body === COMPANY_BATCH);
    expect(raw).toMatchObject({ source: 'hubspot', status: 'accepted', problem: null });
    expect(raw!.headers['x-hubspot-request-timestamp']).toBe(String(NOW.getTime()));
    expect(raw!.headers['x-hubspot-signature-v3']).toBeUndefined();
  });

  it('counts a retried batch once: same raw object, the same rows counted', async () => {
    const notifications = JSON.parse(COMPANY_BATCH) as Record<string, unknown>[];
    const first = JSON.stringify(notifications.map((n) => ({ ...n, objectId: 5550001 })));
    const retry = JSON.stringify(notifications.map((n) => ({ ...n, objectId: 5550001, attemptNumber: 1 })));
    expect((await postSigned(first)).status).toBe(202);
    const rawObjectsAfterFirst = [...(await lakeFiles(app.home.lake, 'raw')).keys()].sort();
    const rowsAfterFirst = await companyRows('accounts', '5550001');
    expect(rowsAfterFirst).toHaveLength(5);

    clock.set(new Date(NOW.getTime() + 60_000));
    try {
      const response = await postSigned(retry, { timestamp: NOW.getTime() + 60_000 });
      expect(response.status).toBe(202);
    } finally {
      clock.set(NOW);
    }
    expect([...(await lakeFiles(app.home.lake, 'raw')).keys()].sort()).toEqual(rawObjectsAfterFirst);
    // The retry's rows are stored as later copies of the same events: the views count each event once.
    const rowsAfterRetry = latestCopies(await companyRows('accounts', '5550001'));
    expect(rowsAfterRetry.every((row) => row.received_at > rowsAfterFirst[0]!.received_at)).toBe(true);
    expect(rowsAfterRetry.map((row) => row.event_id).sort()).toEqual(
      rowsAfterFirst.map((row) => row.event_id).sort(),
    );
    const raws = (await rawRecords(app.home.lake)).filter((record) => record.body.includes('5550001'));
    expect(raws).toHaveLength(1);
    expect(raws[0]!.body).toBe(retry);
  });

  it('keeps distinct changes apart even when HubSpot repeats an eventId', async () => {
    const change = (propertyValue: string, occurredAt: number) => ({
      eventId: 100,
      subscriptionId: 2410459,
      portalId: 62515,
      appId: 1160452,
      occurredAt,
      subscriptionType: 'company.propertyChange',
      attemptNumber: 0,
      objectId: 5550002,
      propertyName: 'plan',
      propertyValue,
      changeSource: 'CRM_UI',
    });
    const body = JSON.stringify([change('starter', 1741600000000), change('growth', 1741600500000)]);
    const response = await postSigned(body);
    expect(response.body).toMatchObject({ accepted: 2, ignored: 0 });
    const plans = (await companyRows('accounts', '5550002')).map((row) => row.plan).sort();
    expect(plans).toEqual(['growth', 'starter']);
  });

  it('accepts the legacy v1 and v2 signatures made by the SDK', async () => {
    const v1Body = JSON.stringify([{ ...JSON.parse(COMPANY_BATCH)[2], objectId: 5550003 }]);
    const v1 = await postSigned(v1Body, { version: 'v1' });
    expect(v1.status).toBe(202);
    expect(v1.body.accepted).toBe(1);

    const v2Body = JSON.stringify([{ ...JSON.parse(COMPANY_BATCH)[2], objectId: 5550004 }]);
    const v2 = await postSigned(v2Body, { version: 'v2' });
    expect(v2.status).toBe(202);
    expect((await companyRows('account_attributes', '5550004')).map((row) => row.attribute_value)).toEqual([
      'enterprise',
    ]);
  });

  it('accepts a v3 signature made with a rotated second secret', async () => {
    const body = JSON.stringify([{ ...JSON.parse(COMPANY_BATCH)[1], objectId: 5550005 }]);
    expect((await postSigned(body, { secret: ROTATED_SECRET })).status).toBe(202);
  });

  it('signs the v3 URI with the escapes HubSpot decodes, and only those', async () => {
    const body = JSON.stringify([{ ...JSON.parse(COMPANY_BATCH)[1], objectId: 5550006 }]);
    const query = '?portal=62515&return=https%3A%2F%2Fexample.com%2Fdone%3Fok%3D1%26x%3D%28a%2Cb%29&q=a%20b';
    // What HubSpot signs: %3A %2F %3F %28 %2C %29 decoded; %26, %3D and %20 are not in its table and stay.
    const signedUrl = `${app.url}${WEBHOOK_PATH}?portal=62515&return=https://example.com/done?ok%3D1%26x%3D(a,b)&q=a%20b`;
    const response = await postSigned(body, { path: `${WEBHOOK_PATH}${query}`, signedUrl });
    expect(response.status).toBe(202);

    await expectNothingStored(() =>
      postSigned(body, { path: `${WEBHOOK_PATH}${query}`, signedUrl: `${app.url}${WEBHOOK_PATH}${query}` }),
    );
  });

  it('refuses a tampered body with 401 and stores nothing', async () => {
    const tampered = COMPANY_BATCH.replace('"enterprise"', '"free"');
    await expectNothingStored(() => postSigned(COMPANY_BATCH, { send: tampered }));
    await expectNothingStored(() => postSigned(COMPANY_BATCH, { send: tampered, version: 'v1' }));
    await expectNothingStored(() => postSigned(COMPANY_BATCH, { send: tampered, version: 'v2' }));
  });

  it('refuses a signature made with the wrong secret', async () => {
    await expectNothingStored(() => postSigned(COMPANY_BATCH, { secret: 'not-the-client-secret' }));
    await expectNothingStored(() =>
      postSigned(COMPANY_BATCH, { secret: 'not-the-client-secret', version: 'v1' }),
    );
  });

  it('refuses v3 timestamps more than 5 minutes old or ahead, and accepts the edges', async () => {
    const fiveMinutes = 5 * 60 * 1000;
    await expectNothingStored(() =>
      postSigned(COMPANY_BATCH, { timestamp: NOW.getTime() - fiveMinutes - 1 }),
    );
    await expectNothingStored(() =>
      postSigned(COMPANY_BATCH, { timestamp: NOW.getTime() + fiveMinutes + 1 }),
    );
    await expectNothingStored(() =>
      postSigned(COMPANY_BATCH, { timestamp: NOW.getTime() - 24 * 3600 * 1000 }),
    );

    const edge = (objectId: number) => JSON.stringify([{ ...JSON.parse(COMPANY_BATCH)[1], objectId }]);
    expect((await postSigned(edge(5550007), { timestamp: NOW.getTime() - fiveMinutes })).status).toBe(202);
    expect((await postSigned(edge(5550008), { timestamp: NOW.getTime() + fiveMinutes })).status).toBe(202);
  });

  it('lets v3 decide when both are sent: a valid v1 does not rescue a stale v3', async () => {
    const legacy = hubspotSignatureHeaders(CLIENT_SECRET, COMPANY_BATCH, { url: '', version: 'v1' });
    await expectNothingStored(() =>
      postSigned(COMPANY_BATCH, { timestamp: NOW.getTime() - 10 * 60 * 1000, headers: legacy }),
    );
  });

  it('refuses requests without a signature or with an unknown legacy version', async () => {
    await expectNothingStored(() => app.post(WEBHOOK_PATH, COMPANY_BATCH));
    const v1 = hubspotSignatureHeaders(CLIENT_SECRET, COMPANY_BATCH, { url: '', version: 'v1' });
    await expectNothingStored(() =>
      app.post(WEBHOOK_PATH, COMPANY_BATCH, { ...v1, 'x-hubspot-signature-version': 'v9' }),
    );
    const v3 = hubspotSignatureHeaders(CLIENT_SECRET, COMPANY_BATCH, {
      url: `${app.url}${WEBHOOK_PATH}`,
      timestamp: NOW.getTime(),
    });
    await expectNothingStored(() =>
      app.post(WEBHOOK_PATH, COMPANY_BATCH, { 'x-hubspot-signature-v3': v3['x-hubspot-signature-v3']! }),
    );
  });

  it("acknowledges HubSpot's documented contact samples and ignores them", async () => {
    const sdk = await postSigned(SDK_CONTACT_CREATION, { version: 'v1' });
    expect(sdk.status).toBe(202);
    expect(sdk.body).toMatchObject({ accepted: 0, ignored: 1 });

    const legacy = await postSigned(DOCS_LEGACY_CONTACTS);
    expect(legacy.status).toBe(202);
    expect(legacy.body).toMatchObject({ accepted: 0, ignored: 2 });

    expect(await companyRows('accounts', '123')).toEqual([]);
    expect(await companyRows('accounts', '1246978')).toEqual([]);
    const raw = (await rawRecords(app.home.lake)).find((record) => record.body === SDK_CONTACT_CREATION);
    expect(raw?.status).toBe('accepted');
  });

  it('quarantines malformed JSON with 400', async () => {
    const body = '[{"eventId":1,"subscriptionType":"company.creation",';
    const response = await postSigned(body);
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/not valid JSON/);
    const raw = (await rawRecords(app.home.lake)).find((record) => record.body === body);
    expect(raw).toMatchObject({ status: 'quarantined', problem: { status: 400 } });
  });

  it('quarantines a body that is not a notification array, or a company notification without its ids, with 422', async () => {
    const notArray = '{"eventId":1,"subscriptionType":"company.creation"}';
    const response = await postSigned(notArray);
    expect(response.status).toBe(422);

    const withoutObjectId = JSON.stringify([{ ...JSON.parse(COMPANY_BATCH)[1], objectId: undefined }]);
    const missing = await postSigned(withoutObjectId);
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([expect.objectContaining({ path: '[0].objectId' })]);

    const records = await rawRecords(app.home.lake);
    for (const body of [notArray, withoutObjectId]) {
      expect(records.find((record) => record.body === body)).toMatchObject({
        status: 'quarantined',
        problem: { status: 422 },
      });
    }
  });

  it('never answers 500 to validly signed random or mutated bodies', async () => {
    const notifications = JSON.parse(COMPANY_BATCH) as Record<string, unknown>[];
    const fields = [...new Set(notifications.flatMap((n) => Object.keys(n)))];
    const mutation = fc.record({
      index: fc.nat({ max: notifications.length - 1 }),
      field: fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 12 })),
      value: fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constant(undefined),
        fc.constantFrom('company.propertyChange', 'object.propertyChange', '0-2', 'plan', 'name', ''),
        fc.double(),
        fc.bigInt().map((n) => Number(n)),
      ),
    });
    const mutated = fc.array(mutation, { minLength: 1, maxLength: 6 }).map((mutations) => {
      const copy = notifications.map((n) => ({ ...n }));
      for (const { index, field, value } of mutations) copy[index]![field] = value;
      return JSON.stringify(copy);
    });
    const body = fc.oneof(
      mutated,
      fc.json({ maxDepth: 3 }),
      fc.string({ maxLength: 200 }),
      fc.constantFrom('', '[]', '[null]', '[[]]', '[{}]', 'null', '"x"'),
    );
    await fc.assert(
      fc.asyncProperty(body, async (generated) => {
        // What goes over the wire is UTF-8: sign exactly the text the server will read.
        const text = Buffer.from(generated, 'utf8').toString('utf8');
        const response = await postSigned(text);
        expect([202, 400, 422]).toContain(response.status);
      }),
      { numRuns: 60 },
    );
  });
});

describe('HubSpot mapping options', () => {
  let app: TestApp;
  let configDir: string;

  beforeAll(async () => {
    configDir = await mkdtemp(path.join(tmpdir(), 'cs-pulse-hubspot-config-'));
    const config = path.join(configDir, 'cs-pulse.config.json');
    await writeFile(
      config,
      JSON.stringify({
        sources: {
          hubspot: {
            plan_property: 'hs_plan_tier',
            name_property: 'legal_name',
            attribute_properties: ['region', 'numberofemployees'],
            account_id_template: 'hs-{portalId}-{objectId}',
          },
        },
      }),
    );
    app = await startTestApp({
      clock: fixedClock(NOW),
      env: { CS_PULSE_SECRET_HUBSPOT: CLIENT_SECRET, CS_PULSE_CONFIG: config },
    });
  });
  afterAll(async () => {
    await app.stop();
    await rm(configDir, { recursive: true, force: true });
  });

  it('maps the configured properties and account id, and ignores the default ones', async () => {
    const base = JSON.parse(COMPANY_BATCH)[1] as Record<string, unknown>;
    const change = (eventId: number, propertyName: string, propertyValue: string) => ({
      ...base,
      eventId,
      propertyName,
      propertyValue,
    });
    const body = JSON.stringify([
      change(1, 'hs_plan_tier', 'scale'),
      change(2, 'legal_name', 'Globex Corporation Ltd'),
      change(3, 'region', 'EMEA'),
      change(4, 'industry', 'COMPUTER_SOFTWARE'),
      change(5, 'plan', 'enterprise'),
    ]);
    const signed = hubspotSignatureHeaders(CLIENT_SECRET, body, {
      url: `${app.url}${WEBHOOK_PATH}`,
      timestamp: NOW.getTime(),
    });
    const response = await app.post(WEBHOOK_PATH, body, signed);
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ accepted: 3, ignored: 2 });

    const accounts = await tableRows(app.home.lake, 'accounts');
    expect(new Set(accounts.map((row) => row.account_id))).toEqual(new Set(['hs-62515-9876543210']));
    expect(accounts.map((row) => row.name).filter(Boolean)).toEqual(['Globex Corporation Ltd']);
    const attributes = await tableRows(app.home.lake, 'account_attributes');
    expect(attributes.map((row) => `${row.attribute_key}=${row.attribute_value}`).sort()).toEqual([
      'plan=scale',
      'region=EMEA',
    ]);
  });
});
