import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixture, lakeFiles, rawRecords, surveyRows } from '../support/home-files.js';
import { typeformHeaders } from '../support/vendor-signatures.js';
import { vendorSourceHarness } from '../support/vendor-source-harness.js';

const SECRET = 'tf-webhook-secret-7Qx2Lm9Pz';

const { start, post } = vendorSourceHarness('typeform', SECRET, typeformHeaders);

describe('typeform source', () => {
  it('maps the form’s 0–10 opinion scale to NPS by default, with the account from the hidden field', async () => {
    const target = await start();
    const body = await fixture('typeform', 'nps-and-ces-response.json');

    const response = await post(target, body);

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      accepted: 1,
      ignored: 0,
      delivery_id: '01JNZ3K8QF9X2B7T4W6M5R1C0D',
    });
    expect(await surveyRows(target.home.root)).toEqual([
      expect.objectContaining({
        source: 'typeform',
        event_id: '01JNZ3K8QF9X2B7T4W6M5R1C0D-recommend',
        account_id: 'acct_contoso',
        occurred_at: '2026-03-04 10:03:40.000',
        survey: 'nps',
        score: 9,
        scale_min: 0,
        scale_max: 10,
        respondent_id: 'u-2291',
        comment: null,
        touchpoint: 'r7kCCJJp',
      }),
    ]);
  });

  it('maps configured fields by ref or id, with scales from the form definition and a comment field', async () => {
    const target = await start({
      fields: { recommend: 'nps', Qm8vT2nLs4Ue: 'ces' },
      comment_field: 'why',
      account_hidden_field: 'account_id',
    });
    const body = await fixture('typeform', 'nps-and-ces-response.json');

    const response = await post(target, body);

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ accepted: 2 });
    const rows = (await surveyRows(target.home.root)).sort((a, b) => a.survey.localeCompare(b.survey));
    expect(rows).toEqual([
      expect.objectContaining({
        survey: 'ces',
        score: 6,
        scale_min: 1,
        scale_max: 7,
        comment: 'Setup took minutes.',
      }),
      expect.objectContaining({ survey: 'nps', score: 9, scale_min: 0, scale_max: 10 }),
    ]);
    expect(rows[0]!.event_id).toBe('01JNZ3K8QF9X2B7T4W6M5R1C0D-effort');
  });

  it('takes an explicit scale from the options for a question whose definition has none', async () => {
    const target = await start({
      fields: { NRsxU591jIW9: { survey: 'csat', scale_min: 1, scale_max: 5 } },
      account_hidden_field: 'user_id',
    });
    const body = await fixture('typeform', 'example-payload.json');

    const response = await post(target, body);

    expect(response.body).toMatchObject({ accepted: 1, ignored: 0 });
    expect(await surveyRows(target.home.root)).toEqual([
      expect.objectContaining({
        account_id: 'abc123456',
        survey: 'csat',
        score: 2,
        scale_min: 1,
        scale_max: 5,
      }),
    ]);
  });

  it('matches a ref-keyed mapping only when the answer carries the ref', async () => {
    // Typeform's documented example answers by field id alone; newer payloads add the ref.
    const target = await start({
      fields: { readable_ref_opinion_scale: 'csat' },
      account_hidden_field: 'user_id',
    });
    const body = await fixture('typeform', 'example-payload.json');

    const response = await post(target, body);

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ accepted: 0, ignored: 1 });
  });

  it('refuses a tampered body, a wrong secret and a hex digest with 401 and stores nothing', async () => {
    const target = await start();
    const body = await fixture('typeform', 'nps-and-ces-response.json');
    const signed = typeformHeaders(SECRET, body);
    const hex = `sha256=${Buffer.from(signed['typeform-signature']!.slice(7), 'base64').toString('hex')}`;

    const tampered = await post(target, body.replace('"number": 9', '"number": 10'), signed);
    const wrongSecret = await post(target, body, typeformHeaders('another-secret', body));
    const hexDigest = await post(target, body, { 'typeform-signature': hex });

    expect([tampered.status, wrongSecret.status, hexDigest.status]).toEqual([401, 401, 401]);
    expect(await lakeFiles(target.home.root, '')).toEqual([]);
  });

  it('counts a redelivered response once', async () => {
    const target = await start();
    const body = await fixture('typeform', 'nps-and-ces-response.json');

    expect((await post(target, body)).status).toBe(202);
    expect((await post(target, body)).status).toBe(202);

    expect(await surveyRows(target.home.root)).toHaveLength(1);
    expect(await rawRecords(target.home.root, 'typeform')).toHaveLength(1);
  });

  it('acknowledges and ignores forms with no mapped question, partial responses and responses without an account', async () => {
    const target = await start();
    const example = await fixture('typeform', 'example-payload.json');
    const response = JSON.parse(await fixture('typeform', 'nps-and-ces-response.json'));
    const partial = JSON.stringify({
      ...response,
      event_type: 'form_response_partial',
      event_id: 'partial-1',
    });
    const anonymous = JSON.stringify({
      ...response,
      event_id: 'anon-1',
      form_response: { ...response.form_response, hidden: {} },
    });

    for (const body of [example, partial, anonymous]) {
      const answer = await post(target, body);
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({ accepted: 0, ignored: 1 });
    }
    expect(await surveyRows(target.home.root)).toEqual([]);
  });

  it('answers a malformed body with 400 and a score outside the form’s scale with 422, both quarantined', async () => {
    const target = await start();
    const response = JSON.parse(await fixture('typeform', 'nps-and-ces-response.json'));
    response.form_response.answers[0].number = 11;

    const malformed = await post(target, '{"event_type": form_response}');
    const outOfScale = await post(target, JSON.stringify(response));

    expect([malformed.status, outOfScale.status]).toEqual([400, 422]);
    expect(outOfScale.body.errors[0]).toMatchObject({
      message: expect.stringMatching(/outside the nps scale 0–10/),
    });
    const raw = await rawRecords(target.home.root, 'typeform');
    expect(raw.map((record) => record.status)).toEqual(['quarantined', 'quarantined']);
    expect(await surveyRows(target.home.root)).toEqual([]);
  });

  it('never answers a validly signed body with a 500', async () => {
    const target = await start({
      fields: { recommend: 'nps', effort: { survey: 'ces' }, constructor: 'csat' },
    });
    const base = JSON.parse(await fixture('typeform', 'nps-and-ces-response.json'));
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const answer = fc.record(
      {
        type: fc.oneof(fc.constantFrom('number', 'text'), scalar),
        number: scalar,
        text: scalar,
        field: fc.oneof(
          fc.record(
            {
              id: fc.oneof(fc.constantFrom('kZp3wR9yq1Xo', '__proto__'), scalar),
              ref: fc.oneof(fc.constantFrom('recommend', 'effort', 'constructor', 'toString'), scalar),
              type: fc.oneof(fc.constantFrom('nps', 'opinion_scale', 'rating'), scalar),
            },
            { requiredKeys: [] },
          ),
          scalar,
        ),
      },
      { requiredKeys: [] },
    );
    const mutated = fc
      .record(
        {
          event_type: fc.oneof(fc.constant('form_response'), scalar),
          token: scalar,
          submitted_at: fc.oneof(
            scalar,
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          ),
          hidden: fc.oneof(
            fc.dictionary(fc.constantFrom('account_id', 'user_id', '__proto__'), scalar),
            scalar,
          ),
          answers: fc.oneof(fc.array(answer, { maxLength: 4 }), scalar),
          steps: scalar,
        },
        { requiredKeys: [] },
      )
      .map((change) => {
        const body = structuredClone(base);
        const response = body.form_response;
        if ('event_type' in change) body.event_type = change.event_type;
        if ('token' in change) response.token = change.token;
        if ('submitted_at' in change) response.submitted_at = change.submitted_at;
        if ('hidden' in change) response.hidden = change.hidden;
        if ('answers' in change) response.answers = change.answers;
        if ('steps' in change) response.definition.fields[0].properties.steps = change.steps;
        return JSON.stringify(body);
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
