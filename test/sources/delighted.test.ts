import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixture, lakeFiles, rawRecords, surveyRows } from '../support/home-files.js';
import { delightedHeaders } from '../support/vendor-signatures.js';
import { vendorSourceHarness } from '../support/vendor-source-harness.js';

// Delighted signs with the project's private API key.
const API_KEY = 'dlx4tY8aQ2mP7vB1nK9sR3wE6zH0jC5';

const { start, post } = vendorSourceHarness('delighted', API_KEY, delightedHeaders);

async function responseEvent(name: string, change: (event: any) => void): Promise<string> {
  const event = JSON.parse(await fixture('delighted', name));
  change(event);
  return JSON.stringify(event);
}

describe('delighted source', () => {
  it('maps survey_response.created to an NPS response of the person’s account property', async () => {
    const target = await start();
    const body = await fixture('delighted', 'survey-response-created.json');

    const response = await post(target, body);

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      accepted: 1,
      ignored: 0,
      delivery_id: '3f1c0a8e2b7d4c6e9a5b1d0f8e7c6b5a4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a',
    });
    expect(await surveyRows(target.home.root)).toEqual([
      expect.objectContaining({
        source: 'delighted',
        event_id: 'response-5436',
        account_id: 'acct_fabrikam',
        occurred_at: '2026-03-02 09:51:00.000',
        survey: 'nps',
        score: 6,
        scale_min: 0,
        scale_max: 10,
        respondent_id: '5976',
        comment: null,
      }),
    ]);
  });

  it('maps CSAT and CES survey types on their scales and reads a configured account property', async () => {
    const target = await start({
      account_properties: ['Company ID'],
      survey_types: { csat: 'csat', ces: { survey: 'ces', scale_min: 1, scale_max: 5 } },
    });
    const csat = await responseEvent('survey-response-created.json', (e) => {
      e.event_id = 'csat-1';
      e.event_data.id = '7001';
      e.event_data.survey_type = 'csat';
      e.event_data.score = 4;
      e.event_data.person_properties = { 'Company ID': 'acct_tailspin' };
    });
    const ces = await responseEvent('survey-response-created.json', (e) => {
      e.event_id = 'ces-1';
      e.event_data.id = '7002';
      e.event_data.survey_type = 'ces';
      e.event_data.score = 5;
      e.event_data.person_properties = { 'Company ID': 'acct_tailspin' };
    });

    expect((await post(target, csat)).status).toBe(202);
    expect((await post(target, ces)).status).toBe(202);

    const rows = (await surveyRows(target.home.root)).sort((a, b) => a.survey.localeCompare(b.survey));
    expect(rows).toEqual([
      expect.objectContaining({
        event_id: 'response-7002',
        survey: 'ces',
        score: 5,
        scale_min: 1,
        scale_max: 5,
      }),
      expect.objectContaining({
        event_id: 'response-7001',
        survey: 'csat',
        score: 4,
        scale_min: 1,
        scale_max: 5,
      }),
    ]);
    expect(rows.every((row) => row.account_id === 'acct_tailspin')).toBe(true);
  });

  it('refuses a tampered body, a wrong key and a base64 digest with 401 and stores nothing', async () => {
    const target = await start();
    const body = await fixture('delighted', 'survey-response-created.json');
    const signed = delightedHeaders(API_KEY, body);
    const base64 = `sha256=${Buffer.from(signed['x-delighted-webhook-signature']!.slice(7), 'hex').toString('base64')}`;

    const tampered = await post(target, body.replace('"score": 6', '"score": 10'), signed);
    const wrongKey = await post(target, body, delightedHeaders('another-project-key', body));
    const base64Digest = await post(target, body, { 'x-delighted-webhook-signature': base64 });

    expect([tampered.status, wrongKey.status, base64Digest.status]).toEqual([401, 401, 401]);
    expect(await lakeFiles(target.home.root, '')).toEqual([]);
  });

  it('counts a redelivery once, and an update of the same response replaces it instead of adding one', async () => {
    const target = await start();
    const created = await fixture('delighted', 'survey-response-created.json');
    const updated = await fixture('delighted', 'survey-response-updated.json');

    expect((await post(target, created)).status).toBe(202);
    expect((await post(target, created)).status).toBe(202);
    expect(await surveyRows(target.home.root)).toHaveLength(1);

    expect((await post(target, updated)).status).toBe(202);
    const rows = await surveyRows(target.home.root);
    // Both notifications are archived; their rows share the response's event id, so the response counts once and
    // the latest received row (score 7 with the comment) is the one that stands.
    expect(new Set(rows.map((row) => row.event_id))).toEqual(new Set(['response-5436']));
    const latest = rows.sort((a, b) => a.received_at.localeCompare(b.received_at)).at(-1);
    expect(latest).toMatchObject({ score: 7, comment: 'Support was great, billing less so.' });
    expect(await rawRecords(target.home.root, 'delighted')).toHaveLength(2);
  });

  it('acknowledges and ignores unsubscribes, unmapped survey types and responses with no account property', async () => {
    const target = await start();
    const docsSample = await fixture('delighted', 'survey-response-updated-docs-sample.json');
    const unsubscribe = JSON.stringify({
      event_type: 'unsubscribe.created',
      event_id: 'unsub-1',
      event_data: { person: { id: '5975', email: 'charlie_gravis@example.com' } },
    });
    const enps = await responseEvent('survey-response-created.json', (e) => {
      e.event_id = 'enps-1';
      e.event_data.survey_type = 'enps';
    });

    // The documented sample has person_properties null: authentic, but no account to attribute it to.
    for (const body of [docsSample, unsubscribe, enps]) {
      const response = await post(target, body);
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({ accepted: 0, ignored: 1 });
    }
    expect(await surveyRows(target.home.root)).toEqual([]);
  });

  it('answers a malformed body with 400 and an out-of-scale score with 422, both quarantined', async () => {
    const target = await start();
    const outOfScale = await responseEvent('survey-response-created.json', (e) => {
      e.event_data.score = 11;
    });

    const malformed = await post(target, 'event_type=survey_response.created');
    const invalid = await post(target, outOfScale);

    expect([malformed.status, invalid.status]).toEqual([400, 422]);
    const raw = await rawRecords(target.home.root, 'delighted');
    expect(raw.map((record) => record.status)).toEqual(['quarantined', 'quarantined']);
    expect(await surveyRows(target.home.root)).toEqual([]);
  });

  it('never answers a validly signed body with a 500', async () => {
    const target = await start({ account_properties: ['account_id', 'constructor', '__proto__'] });
    const base = JSON.parse(await fixture('delighted', 'survey-response-updated.json'));
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const mutated = fc
      .record(
        {
          event_type: fc.oneof(fc.constantFrom('survey_response.created', 'survey_response.updated'), scalar),
          id: scalar,
          survey_type: fc.oneof(fc.constantFrom('nps', 'csat', 'ces', 'toString', '__proto__'), scalar),
          score: scalar,
          created_at: fc.oneof(scalar, fc.integer({ min: 0, max: 2 ** 53 })),
          person: fc.oneof(fc.record({ id: scalar }, { requiredKeys: [] }), scalar),
          person_properties: fc.oneof(
            fc.dictionary(fc.constantFrom('account_id', 'constructor', '__proto__'), scalar),
            scalar,
          ),
        },
        { requiredKeys: [] },
      )
      .map((change) => {
        const event = structuredClone(base);
        if ('event_type' in change) event.event_type = change.event_type;
        for (const key of [
          'id',
          'survey_type',
          'score',
          'created_at',
          'person',
          'person_properties',
        ] as const) {
          if (key in change) event.event_data[key] = change[key];
        }
        return JSON.stringify(event);
      });
    const body = fc.oneof(
      mutated,
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.string(),
    );

    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const response = await post(target, text);
        expect([202, 400, 422]).toContain(response.status);
      }),
      { numRuns: 60 },
    );
  });
});
