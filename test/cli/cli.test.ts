import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { surveyEvent } from '../support/events.js';
import { startTestApp } from '../support/local-app.js';

describe('the cs-pulse CLI', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'cs-pulse-cli-'));
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  it.each(['start', 'replay', 'aggregate', 'compact', 'query'])(
    '%s --help prints its usage and exits 0',
    async (command) => {
      const result = await cli([command, '--help'], {});
      expect(result.code).toBe(0);
      expect(result.out).toMatch(new RegExp(`Usage: npm (start|run ${command})`));
    },
  );

  it('answers an unknown command and a bad option with exit code 2 and the usage', async () => {
    expect((await cli(['fly'], {})).code).toBe(2);
    const bad = await cli(['aggregate', '--as-of', 'yesterday'], { CS_PULSE_HOME: home });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--as-of');
    const unknownOption = await cli(['replay', '--fast'], { CS_PULSE_HOME: home });
    expect(unknownOption.code).toBe(2);
  });

  it('refuses a bad setting with the variable named', async () => {
    const result = await cli(['aggregate'], { CS_PULSE_HOME: home, PORT: 'eighty' });
    expect(result.code).toBe(2);
    expect(result.err).toContain('PORT');
  });

  it('aggregates into the KPI store of a running server on the same home, which then serves the result', async () => {
    const app = await startTestApp({ home, env: { CS_PULSE_AGGREGATE_INTERVAL_SECONDS: '0' } });
    try {
      const occurred = new Date(Date.now() - 3600_000).toISOString();
      const response = await app.postGeneric({
        events: [surveyEvent('c-1', 'a', 'nps', 10, occurred), surveyEvent('c-2', 'b', 'nps', 0, occurred)],
      });
      expect(response.status).toBe(202);
      const result = await cli(['aggregate'], { CS_PULSE_HOME: home });
      expect(result.code).toBe(0);
      expect(result.out).toMatch(/aggregated \d+ KPI points/);
      expect(result.out).toContain('nps');
      const served = (await (await fetch(`${app.url}/v1/kpis/nps`)).json()) as any;
      expect(served.points.at(-1)).toMatchObject({ n: 2, value: 0 });

      const query = await cli(['query', 'nps', '--format', 'csv', '--param', 'grain=quarter'], {
        CS_PULSE_HOME: home,
      });
      expect(query.code).toBe(0);
      expect(query.out.split('\n')[0]).toBe(
        'period_start,segment_key,segment_value,n,value,ci_low,ci_high,change,change_significant,low_sample,promoters,passives,detractors',
      );
      expect(query.out.split('\n')).toHaveLength(2);
      const unknownParameter = await cli(['query', 'nps', '--param', 'colour=blue'], { CS_PULSE_HOME: home });
      expect(unknownParameter.code).toBe(2);
    } finally {
      await app.stop();
    }
  });

  it('aggregates on its own when no server runs, and says when the lake is empty', async () => {
    const result = await cli(['aggregate', '--backfill'], { CS_PULSE_HOME: home });
    expect(result.code).toBe(0);
    expect(result.out).toContain('no data yet');
  });
});
