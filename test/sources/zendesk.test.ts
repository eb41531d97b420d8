import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixture, lakeFiles, rawRecords, surveyRows } from '../support/home-files.js';
import { zendeskHeaders } from '../support/vendor-signatures.js';
import { vendorSourceHarness } from '../support/vendor-source-harness.js';

// Looks like Zendesk's base64 secrets and, like them, is used verbatim as the HMAC key.
const SECRET = 'dGhpc19pc19hX3Rlc3Rfc2lnbmluZ19zZWNyZXQ=';
const CES_FIELD = '360001234567';

const { start, post } = vendorSourceHarness('zendesk', SECRET, zendeskHeaders);

describe('zendesk source', () => {
  it('maps a good rating from the recommended trigger body to a two-point CSAT response', async () => {
    const target = await start();
    const body = await fixture('zendesk', 'satisfaction-good.json');

    const response = await post(target, body);

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ accepted: 1, ignored: 0 });
    expect(await surveyRows(target.home.root)).toEqual([
      expect.objectContaining({
        source: 'zendesk',
        event_id: 'ticket-35436-csat',
        account_id: 'acct_northwind',
        occurred_at: '2026-03-02 14:05:00.000',
        survey: 'csat',
        score: 1,
        scale_min: 0,
        scale_max: 1,
        respondent_id: '20978392',
        comment: 'Quick and friendly, thanks!',
        touchpoint: 'support-ticket',
      }),
    ]);
  });

  it('maps a bad rating and a CES custom field, with the account taken per account_id_from', async () => {
    const target = await start({
      ces_field_id: CES_FIELD,
      account_id_from: ['organization_external_id', 'requester_external_id'],
    });
    const body = await fixture('zendesk', 'satisfaction-bad-with-ces.json');

    const response = await post(target, body);

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ accepted: 2, ignored: 0 });
    const rows = (await surveyRows(target.home.root)).sort((a, b) => a.survey.localeCompare(b.survey));
    expect(rows).toEqual([
      expect.objectContaining({
        event_id: 'ticket-35501-ces',
        account_id: 'u-7731',
        survey: 'ces',
        score: 3,
        scale_min: 1,
        scale_max: 7,
      }),
      expect.objectContaining({
        event_id: 'ticket-35501-csat',
        account_id: 'u-7731',
        survey: 'csat',
        score: 0,
        comment: 'Took three replies to get an answer.',
      }),
    ]);
  });

  it('takes the Zendesk organization id when the external id is empty (default account_id_from)', async () => {
    const target = await start();
    const body = await fixture('zendesk', 'satisfaction-bad-with-ces.json');

    expect((await post(target, body)).status).toBe(202);

    expect(await surveyRows(target.home.root)).toEqual([
      expect.objectContaining({ account_id: '10007', survey: 'csat', score: 0 }),
    ]);
  });

  it('refuses a tampered body, a wrong secret and a missing signature with 401 and stores nothing', async () => {
    const target = await start();
    const body = await fixture('zendesk', 'satisfaction-good.json');
    const signed = zendeskHeaders(SECRET, body);

    const tampered = await post(target, body.replace('"good"', '"bad"'), signed);
    const wrongSecret = await post(target, body, zendeskHeaders('another-secret', body));
    const unsigned = await target.post('/webhooks/zendesk', body, {});

    expect([tampered.status, wrongSecret.status, unsigned.status]).toEqual([401, 401, 401]);
    expect(await lakeFiles(target.home.root, '')).toEqual([]);
  });

  it('enforces a five-minute replay window on the signed timestamp, in both directions', async () => {
    const target = await start();
    const body = await fixture('zendesk', 'satisfaction-good.json');
    const minutes = (n: number) => new Date(Date.now() + n * 60_000);

    const stale = await post(target, body, zendeskHeaders(SECRET, body, minutes(-6)));
    const future = await post(target, body, zendeskHeaders(SECRET, body, minutes(6)));
    const notRfc3339 = await post(target, body, zendeskHeaders(SECRET, body, String(Date.now())));

    expect([stale.status, future.status, notRfc3339.status]).toEqual([401, 401, 401]);
    expect(stale.body.detail).toMatch(/seconds from the server's time/);
    expect(await lakeFiles(target.home.root, '')).toEqual([]);

    const skewed = await post(target, body, zendeskHeaders(SECRET, body, minutes(-4)));
    expect(skewed.status).toBe(202);
  });

  it('counts a redelivered rating once', async () => {
    const target = await start();
    const body = await fixture('zendesk', 'satisfaction-good.json');

    const first = await post(target, body);
    const retry = await post(target, body, zendeskHeaders(SECRET, body, new Date(Date.now() + 1000)));

    expect([first.status, retry.status]).toEqual([202, 202]);
    expect(retry.body.delivery_id).toBe(first.body.delivery_id);
    expect(await surveyRows(target.home.root)).toHaveLength(1);
  });

  it('acknowledges and ignores event-subscription deliveries, other triggers and offered surveys', async () => {
    const target = await start();
    const subscription = await fixture('zendesk', 'event-subscription-user-active-changed.json');
    const otherTrigger = JSON.stringify({ ticket: { id: '1', status: 'solved' } });
    const offered = JSON.stringify({ ticket: { id: '2' }, satisfaction: { rating: 'offered', comment: '' } });
    const noAccount = JSON.stringify({
      ticket: { id: '3', organization: { id: '', external_id: '' } },
      satisfaction: { rating: 'good' },
    });

    for (const body of [subscription, otherTrigger, offered, noAccount]) {
      const response = await post(target, body);
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({ accepted: 0, ignored: 1 });
    }
    expect(await surveyRows(target.home.root)).toEqual([]);
    const raw = await rawRecords(target.home.root, 'zendesk');
    expect(raw.map((record) => record.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
  });

  it('answers a malformed body with 400 and an unknown rating with 422, both quarantined', async () => {
    const target = await start();
    const malformed =
      '{"ticket": {"id": "1"}, "satisfaction": {"rating": "good", "comment": "he said "hi""}}';
    const localized = JSON.stringify({
      ticket: { id: '9', organization: { id: '10002' } },
      satisfaction: { rating: 'Gut, ich bin zufrieden' },
    });

    const broken = await post(target, malformed);
    const unknown = await post(target, localized);

    expect(broken.status).toBe(400);
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([
      expect.objectContaining({ path: 'satisfaction.rating', message: expect.stringMatching(/good.*bad/) }),
    ]);
    expect(await surveyRows(target.home.root)).toEqual([]);
    const raw = await rawRecords(target.home.root, 'zendesk');
    expect(raw.map((record) => [record.status, record.problem.status]).sort()).toEqual([
      ['quarantined', 400],
      ['quarantined', 422],
    ]);
  });

  it('never answers a validly signed body with a 500', async () => {
    const target = await start({ ces_field_id: CES_FIELD });
    const text = fc.oneof(
      fc.string(),
      fc.constantFrom('', 'good', 'bad', 'Good, I’m satisfied', 'offered', '7'),
    );
    const scalar = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const triggerBody = fc.record(
      {
        ticket: fc.record(
          {
            id: scalar,
            updated_at: fc.oneof(
              scalar,
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            ),
            organization: fc.oneof(
              fc.record({ id: scalar, external_id: scalar }, { requiredKeys: [] }),
              scalar,
            ),
            requester: fc.record({ id: scalar, external_id: scalar }, { requiredKeys: [] }),
            custom_fields: fc.oneof(fc.dictionary(fc.constantFrom(CES_FIELD, 'x'), scalar), scalar),
          },
          { requiredKeys: [] },
        ),
        satisfaction: fc.oneof(fc.record({ rating: scalar, comment: scalar }, { requiredKeys: [] }), scalar),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      triggerBody.map((value) => JSON.stringify(value)),
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
