import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../lambdas/ports/clock.js';
import { lakeFiles, rawRecords, tableRows } from '../support/lake-files.js';
import { startTestApp, type TestApp } from '../support/local-app.js';

const NOW = new Date('2025-03-10T12:00:00.000Z');
const WEBHOOK_PATH = '/webhooks/salesforce';
/** The org of the Account fixtures, in 18-character form; it is configured in its 15-character form. */
const ORG_ID = '00D5g000004XyZaEAK';
/** The org of the third-party fixture (vendor-webhooks.md §3.1), configured in its 18-character form. */
const SAMPLE_ORG_ID = '00De0000000pmu1EAA';
const OTHER_ORG_ID = '00D8d000001BcDeEAK';

const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, '../fixtures/salesforce', name), 'utf8');
/** One Account notification, in the shape of Salesforce's outbound messaging WSDL. */
const ACCOUNT = fixture('account-notification.xml');
/** Two Account notifications and an Opportunity one in one SOAP message. */
const BATCH = fixture('account-notifications-batch.xml');
/** A real Outbound Message for a custom object (State_Province__c), verbatim from a Perl module's test fixture. */
const CUSTOM_OBJECT_SAMPLE = fixture('perl-module-state-province.xml');

const SOAP_HEADERS = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };

const xml = new XMLParser({ removeNSPrefix: true, parseTagValue: false });

function expectAcknowledgement(response: Awaited<ReturnType<TestApp['post']>>) {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
  expect(xml.parse(response.body)).toEqual({
    '?xml': '',
    Envelope: { Body: { notificationsResponse: { Ack: 'true' } } },
  });
  expect(response.body).toContain(
    '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>',
  );
}

describe('POST /webhooks/salesforce over real HTTP', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      clock: fixedClock(NOW),
      env: { CS_PULSE_SECRET_SALESFORCE: `${ORG_ID.slice(0, 15)},${SAMPLE_ORG_ID}` },
    });
  });
  afterAll(async () => app.stop());

  const post = (body: string, headers: Record<string, string> = {}) =>
    app.post(WEBHOOK_PATH, body, { ...SOAP_HEADERS, ...headers });

  const rowsOf = async (table: string, accountId: string) =>
    (await tableRows(app.home.lake, table)).filter((row) => row.account_id === accountId);

  async function expectNothingStored(body: string, status = 401) {
    const before = await lakeFiles(app.home.lake);
    const response = await post(body);
    expect(response.status).toBe(status);
    expect([...(await lakeFiles(app.home.lake)).keys()]).toEqual([...before.keys()]);
    return response;
  }

  it('maps an Account notification to account.updated and answers with the SOAP acknowledgement', async () => {
    const response = await post(ACCOUNT);
    expectAcknowledgement(response);

    const accounts = await rowsOf('accounts', '0015g00000AbCdEAAV');
    expect(accounts).toEqual([
      expect.objectContaining({
        source: 'salesforce',
        event_id: '04l5g00000Kp9XwAAJ',
        occurred_at: '2025-03-09 08:15:30.000',
        received_at: '2025-03-10 12:00:00.000',
        name: 'Initech GmbH & Co. KG',
        plan: 'enterprise',
      }),
    ]);
    expect(accounts[0]!._key).toMatch(/^tables\/accounts\/dt=2025-03-09\/merged-[0-9a-f]{32}\.jsonl$/);
    const attributes = await rowsOf('account_attributes', '0015g00000AbCdEAAV');
    expect(attributes.map((row) => `${row.attribute_key}=${row.attribute_value}`).sort()).toEqual([
      'BillingCountry=Germany',
      'Industry=Technology',
      'Type=Customer - Direct',
      'plan=enterprise',
    ]);
    const raw = (await rawRecords(app.home.lake)).find((record) => record.body === ACCOUNT);
    expect(raw).toMatchObject({ source: 'salesforce', status: 'accepted', problem: null });
    expect(raw!.headers).toMatchObject({ 'content-type': 'text/xml; charset=utf-8', soapaction: '""' });
  });

  it('maps every Account notification of a message and ignores the other object types', async () => {
    expectAcknowledgement(await post(BATCH));
    const french = await rowsOf('accounts', '0015g00000QrStUAAV');
    expect(french).toEqual([
      expect.objectContaining({
        event_id: '04l5g00000Kp9XxAAJ',
        name: 'Société Générale de Logiciels',
        plan: 'starter',
        occurred_at: '2025-03-08 22:40:00.000',
      }),
    ]);
    // Industry came as xsi:nil: no attribute row, rather than an empty one.
    expect(
      (await rowsOf('account_attributes', '0015g00000QrStUAAV')).map((row) => row.attribute_key).sort(),
    ).toEqual(['BillingCountry', 'Type', 'plan']);
    const initech = (await rowsOf('accounts', '0015g00000AbCdEAAV')).map((row) => [row.event_id, row.plan]);
    expect(initech).toContainEqual(['04l5g00000Kp9XyAAJ', 'growth']);
    // The Opportunity notification made no account.
    expect(await rowsOf('accounts', '0065g00000Zz1AaAAJ')).toEqual([]);
    const raw = (await rawRecords(app.home.lake)).find((record) => record.body === BATCH);
    expect(raw?.status).toBe('accepted');
  });

  it('counts a redelivered message once: same lake objects, same rows', async () => {
    const body = ACCOUNT.replaceAll('04l5g00000Kp9XwAAJ', '04l5g00000Kp9XvAAJ').replaceAll(
      '0015g00000AbCdEAAV',
      '0015g00000AbCdFAAV',
    );
    expectAcknowledgement(await post(body));
    const objects = [...(await lakeFiles(app.home.lake)).keys()].sort();
    expectAcknowledgement(await post(body));
    expect([...(await lakeFiles(app.home.lake)).keys()].sort()).toEqual(objects);
    expect(await rowsOf('accounts', '0015g00000AbCdFAAV')).toHaveLength(1);
  });

  it('acknowledges a message for another sObject type and ignores it', async () => {
    expectAcknowledgement(await post(CUSTOM_OBJECT_SAMPLE));
    expect(await rowsOf('accounts', 'a29e0000000K4P0AAK')).toEqual([]);
    const raw = (await rawRecords(app.home.lake)).find((record) => record.body === CUSTOM_OBJECT_SAMPLE);
    expect(raw?.status).toBe('accepted');
  });

  it('refuses an org that is not allowed with 401 and stores nothing', async () => {
    const response = await expectNothingStored(ACCOUNT.replace(ORG_ID, OTHER_ORG_ID));
    expect(response.body.detail).toMatch(/not an allowed org/);
    // Ids are case-sensitive: the same letters in another case are another org.
    await expectNothingStored(ACCOUNT.replace(ORG_ID, ORG_ID.toUpperCase()));
    await expectNothingStored(ACCOUNT.replace(ORG_ID, `${ORG_ID.slice(0, 15).toLowerCase()}`));
    // The 15-character form of an allowed org is that org.
    expectAcknowledgement(
      await post(ACCOUNT.replace(ORG_ID, ORG_ID.slice(0, 15)).replaceAll('Kp9XwAAJ', 'Kp9XuAAJ')),
    );
  });

  it('refuses a message that names no org, or a malformed one that names no allowed org', async () => {
    await expectNothingStored(ACCOUNT.replace(/<OrganizationId>.*<\/OrganizationId>/, ''));
    await expectNothingStored(ACCOUNT.replace(ORG_ID, OTHER_ORG_ID).slice(0, 700));
    await expectNothingStored('not xml at all');
  });

  it('quarantines malformed XML from an allowed org with 400', async () => {
    const truncated = ACCOUNT.slice(0, ACCOUNT.indexOf('<sf:Plan__c>'));
    const tablesBefore = await lakeFiles(app.home.lake, 'tables');
    const response = await post(truncated);
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/not well-formed XML/);
    const raw = (await rawRecords(app.home.lake)).find((record) => record.body === truncated);
    expect(raw).toMatchObject({ status: 'quarantined', problem: { status: 400 } });
    expect(await lakeFiles(app.home.lake, 'tables')).toEqual(tablesBefore);
  });

  it('quarantines a message with a DOCTYPE with 400', async () => {
    const withDoctype = ACCOUNT.replace(
      '<soapenv:Envelope',
      '<!DOCTYPE lol [<!ENTITY lol "lol">]>\n<soapenv:Envelope',
    ).replaceAll('Kp9XwAAJ', 'Kp9XtAAJ');
    const response = await post(withDoctype);
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/DOCTYPE/);
  });

  it('quarantines notifications with missing or invalid fields with 422', async () => {
    const withoutId = ACCOUNT.replace('<Id>04l5g00000Kp9XwAAJ</Id>', '');
    const missing = await post(withoutId);
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([
      { path: 'notifications.Notification[0].Id', message: 'is missing' },
    ]);

    const badDate = ACCOUNT.replace('2025-03-09T08:15:30.000Z', 'last Tuesday').replaceAll(
      'Kp9XwAAJ',
      'Kp9XsAAJ',
    );
    const invalid = await post(badDate);
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors[0].path).toBe('notifications.Notification[0].occurred_at');
    expect(invalid.body.errors[0].message).toMatch(/LastModifiedDate/);

    const records = await rawRecords(app.home.lake);
    for (const body of [withoutId, badDate]) {
      expect(records.find((record) => record.body === body)).toMatchObject({
        status: 'quarantined',
        problem: { status: 422 },
      });
    }
  });

  it('uses the time received when the message has no timestamp field', async () => {
    const body = ACCOUNT.replace(/<sf:LastModifiedDate>.*<\/sf:LastModifiedDate>/, '')
      .replaceAll('Kp9XwAAJ', 'Kp9XrAAJ')
      .replaceAll('0015g00000AbCdEAAV', '0015g00000AbCdGAAV');
    expectAcknowledgement(await post(body));
    expect((await rowsOf('accounts', '0015g00000AbCdGAAV'))[0]).toMatchObject({
      occurred_at: '2025-03-10 12:00:00.000',
    });
  });

  it('reads a message that starts with a UTF-8 byte-order mark', async () => {
    const body = `\uFEFF${ACCOUNT.replaceAll('Kp9XwAAJ', 'Kp9XoAAJ')}`;
    expectAcknowledgement(await post(body));
    expect((await tableRows(app.home.lake, 'accounts')).map((row) => row.event_id)).toContain(
      '04l5g00000Kp9XoAAJ',
    );
  });

  it('refuses a SOAP message sent as JSON with 415', async () => {
    const response = await post(ACCOUNT.replaceAll('Kp9XwAAJ', 'Kp9XqAAJ'), {
      'content-type': 'application/json',
    });
    expect(response.status).toBe(415);
  });

  it('never answers 500 to random or mutated bodies from an allowed org', async () => {
    const afterOrg = ACCOUNT.indexOf('</OrganizationId>') + '</OrganizationId>'.length;
    const mutatedFixture = fc
      .array(
        fc.record({
          at: fc.nat({ max: ACCOUNT.length - afterOrg - 1 }),
          remove: fc.nat({ max: 8 }),
          insert: fc.oneof(
            fc.string({ maxLength: 8 }),
            fc.constantFrom('<', '>', '&', '&amp;', '&#233;', '</Notification>', '<sf:Plan__c/>', '"', ']]>'),
          ),
        }),
        { minLength: 1, maxLength: 4 },
      )
      .map((edits) => {
        let text = ACCOUNT;
        for (const { at, remove, insert } of edits) {
          const position = afterOrg + Math.min(at, text.length - afterOrg);
          text = text.slice(0, position) + insert + text.slice(position + remove);
        }
        return text;
      });
    const escapeXml = (text: string) =>
      text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const fieldName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,15}$/);
    const generatedMessage = fc
      .array(
        fc.record({
          id: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('')),
          type: fc.constantFrom('sf:Account', 'sf:Contact', 'Account', ''),
          fields: fc.dictionary(fieldName, fc.oneof(fc.string({ maxLength: 30 }), fc.constant(null))),
        }),
        { maxLength: 4 },
      )
      .map(
        (notifications) =>
          `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><e:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${ORG_ID}</OrganizationId>${notifications
            .map(
              ({ id, type, fields }) =>
                `<Notification><Id>${escapeXml(id)}</Id><sObject xsi:type="${type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">${Object.entries(
                  fields,
                )
                  .map(([name, value]) =>
                    value === null
                      ? `<sf:${name} xsi:nil="true"/>`
                      : `<sf:${name}>${escapeXml(value)}</sf:${name}>`,
                  )
                  .join('')}</sObject></Notification>`,
            )
            .join('')}</notifications></e:Body></e:Envelope>`,
      );
    const junkAroundOrg = fc
      .tuple(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }))
      .map(([before, after]) => `${before}<OrganizationId>${ORG_ID}</OrganizationId>${after}`);
    const body = fc.oneof(mutatedFixture, generatedMessage, junkAroundOrg);

    await fc.assert(
      fc.asyncProperty(body, async (generated) => {
        const response = await post(generated);
        // 401 too: random text before the org element can itself look like another OrganizationId.
        expect([200, 400, 401, 422]).toContain(response.status);
      }),
      { numRuns: 60 },
    );
  });
});

describe('Salesforce mapping options', () => {
  let app: TestApp;
  let configDir: string;

  beforeAll(async () => {
    configDir = await mkdtemp(path.join(tmpdir(), 'cs-pulse-salesforce-config-'));
    const config = path.join(configDir, 'cs-pulse.config.json');
    await writeFile(
      config,
      JSON.stringify({
        sources: {
          salesforce: {
            account_id_field: 'Customer_Id__c',
            plan_field: 'Tier__c',
            attribute_fields: ['Region__c'],
            timestamp_field: 'SystemModstamp',
          },
        },
      }),
    );
    app = await startTestApp({
      clock: fixedClock(NOW),
      env: { CS_PULSE_SECRET_SALESFORCE: ORG_ID, CS_PULSE_CONFIG: config },
    });
  });
  afterAll(async () => {
    await app.stop();
    await rm(configDir, { recursive: true, force: true });
  });

  it('takes the account id, plan, attributes and time from the configured fields', async () => {
    const body = ACCOUNT.replace(
      '<sf:Type>Customer - Direct</sf:Type>',
      '<sf:Customer_Id__c>acme-42</sf:Customer_Id__c><sf:Tier__c>scale</sf:Tier__c>' +
        '<sf:Region__c>EMEA</sf:Region__c><sf:SystemModstamp>2025-03-07T10:00:00.000+01:00</sf:SystemModstamp>',
    );
    expectAcknowledgement(await app.post(WEBHOOK_PATH, body, SOAP_HEADERS));
    const accounts = await tableRows(app.home.lake, 'accounts');
    expect(accounts).toEqual([
      expect.objectContaining({
        account_id: 'acme-42',
        plan: 'scale',
        name: 'Initech GmbH & Co. KG',
        occurred_at: '2025-03-07 09:00:00.000',
      }),
    ]);
    const attributes = await tableRows(app.home.lake, 'account_attributes');
    expect(attributes.map((row) => `${row.attribute_key}=${row.attribute_value}`).sort()).toEqual([
      'Region__c=EMEA',
      'plan=scale',
    ]);
  });

  it('quarantines a notification without the configured account id field with 422', async () => {
    const response = await app.post(WEBHOOK_PATH, ACCOUNT.replaceAll('Kp9XwAAJ', 'Kp9XpAAJ'), SOAP_HEADERS);
    expect(response.status).toBe(422);
    expect(response.body.errors[0].message).toMatch(/Customer_Id__c/);
  });
});
