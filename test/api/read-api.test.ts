import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../lambdas/ports/clock.js';
import { surveyEvent } from '../support/events.js';
import { startTestApp, type TestApp } from '../support/local-app.js';

const NOW = new Date('2025-03-15T12:00:00Z');

describe('the read API on the local server', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('requires the bearer token when CS_PULSE_API_TOKEN is set, compared exactly', async () => {
    app = await startTestApp({
      clock: fixedClock(NOW),
      env: { CS_PULSE_API_TOKEN: 'a-long-enough-test-token' },
    });
    const none = await fetch(`${app.url}/v1/kpis`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    const wrong = await fetch(`${app.url}/v1/kpis/nps`, {
      headers: { authorization: 'Bearer a-long-enough-test-tokeN' },
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${app.url}/v1/kpis/nps`, {
      headers: { authorization: 'Bearer a-long-enough-test-token' },
    });
    expect(right.status).toBe(200);
    // Health and the API description stay public; webhooks authenticate with their own signatures.
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${app.url}/v1/openapi.json`)).status).toBe(200);
  });

  it('serves no KPIs before the first aggregation, with 200 and nulls rather than an error', async () => {
    app = await startTestApp({ clock: fixedClock(NOW) });
    const current = (await (await fetch(`${app.url}/v1/kpis`)).json()) as any;
    expect(current.computed_at).toBeNull();
    expect(current.metrics.nps).toMatchObject({ latest_complete: null, current: null });
    const series = (await (await fetch(`${app.url}/v1/kpis/csat?grain=quarter`)).json()) as any;
    expect(series).toMatchObject({ metric: 'csat', grain: 'quarter', points: [] });
  });

  it('aggregates on its own timer once new data arrives', async () => {
    app = await startTestApp({ clock: fixedClock(NOW), env: { CS_PULSE_AGGREGATE_INTERVAL_SECONDS: '1' } });
    const response = await app.postGeneric(
      {
        events: [
          surveyEvent('t-1', 'acme', 'csat', 5, '2025-03-01T00:00:00Z'),
          surveyEvent('t-2', 'acme', 'csat', 2, '2025-03-02T00:00:00Z'),
        ],
      },
      { sentAt: NOW },
    );
    expect(response.status).toBe(202);
    let value: number | undefined;
    for (let attempt = 0; attempt < 100 && value === undefined; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const body = (await (await fetch(`${app.url}/v1/kpis/csat`)).json()) as any;
      value = body.points[0]?.value;
    }
    expect(value).toBe(50);
  });

  it('publishes an OpenAPI 3.1 document whose references all resolve', async () => {
    app = await startTestApp({ clock: fixedClock(NOW) });
    const document = (await (await fetch(`${app.url}/v1/openapi.json`)).json()) as any;
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers[0].url).toBe(app.url);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/webhooks/{source}', '/v1/kpis', '/v1/kpis/{metric}', '/healthz']),
    );
    const references = JSON.stringify(document).match(/"#\/components\/schemas\/\w+"/g) ?? [];
    expect(references.length).toBeGreaterThan(3);
    for (const reference of references) {
      const name = reference.slice('"#/components/schemas/'.length, -1);
      expect(document.components.schemas[name], name).toBeDefined();
    }
    const metricEnum = document.paths['/v1/kpis/{metric}'].get.parameters[0].schema.enum;
    expect(metricEnum).toEqual(expect.arrayContaining(['nps', 'ces', 'csat', 'logo_churn_rate']));
  });
});
