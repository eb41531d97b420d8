import { describe, expect, it } from 'vitest';
import { findSection, replaceSection } from '../../bench/report-file.js';

const REPORT = `# Benchmarks

_Written on day 1._

## Machine

- 2 cores

## Webhook ingest

| a | b |
| - | - |

### Findings

- slow

## KPI backfill

old numbers
`;

describe('the benchmark report file', () => {
  it('replaces one section, its ### subsections included, and keeps the others byte for byte', () => {
    const updated = replaceSection(
      REPORT,
      'Webhook ingest',
      '## Webhook ingest\n\n_Measured on day 2._\n\nnew table\n',
    );
    expect(updated).toBe(
      REPORT.replace(
        /## Webhook ingest[\s\S]*?(?=## KPI backfill)/,
        '## Webhook ingest\n\n_Measured on day 2._\n\nnew table\n\n',
      ),
    );
    expect(findSection(updated, 'KPI backfill')).toBe('## KPI backfill\n\nold numbers');
    expect(findSection(updated, 'Machine')).toBe('## Machine\n\n- 2 cores');
  });

  it('adds a section the report does not have yet at the end', () => {
    const updated = replaceSection(REPORT, 'Read API', '## Read API\n\np99');
    expect(updated.endsWith('old numbers\n\n## Read API\n\np99\n')).toBe(true);
    expect(findSection(updated, 'Webhook ingest')).toBe(findSection(REPORT, 'Webhook ingest'));
  });
});
