import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../test/support/server-process.js';
import { bundlesSection } from './bundles.js';
import { ingestSection } from './ingest.js';
import { kpisSection } from './kpis.js';
import { describeMachine, type Machine } from './machine.js';
import { readApiSection } from './read-api.js';
import { replaceSection } from './report-file.js';
import type { BenchSection, ResultTable, SectionResult } from './section.js';

/** Every benchmark section, in the order they run. A new section is one module and one line here. */
const SECTIONS: readonly BenchSection[] = [ingestSection, kpisSection, readApiSection, bundlesSection];

const USAGE = `Usage: npm run bench -- [--quick] [--profile] [--only <section>] [--write | --no-write]

Runs the benchmark sections (${SECTIONS.map((s) => s.name).join(', ')}), prints their tables and rewrites
docs/BENCHMARKS.md with the results and the machine they came from.

  --quick        a short smoke run (seconds); does not touch docs/BENCHMARKS.md unless --write
  --profile      also profile the measured process (node --cpu-prof) and report where its CPU goes
  --only <name>  run one section
  --no-write     print only
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      only: { type: 'string' },
      write: { type: 'boolean' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const sections = values.only ? SECTIONS.filter((s) => s.name === values.only) : SECTIONS;
  if (sections.length === 0) {
    console.error(`no section named "${values.only}"\n\n${USAGE}`);
    return 2;
  }
  const write = values['no-write'] ? false : (values.write ?? !values.quick);
  const machine = describeMachine();
  const startedAt = new Date();
  const loadBefore = os.loadavg()[0]!;
  console.log(
    `cs-pulse bench${values.quick ? ' (quick)' : ''} on ${machine.cpu}, ${machine.cores} cores, node ${machine.node}`,
  );

  const results: { section: BenchSection; result: SectionResult }[] = [];
  for (const section of sections) {
    console.log(`\n${section.title}`);
    const began = performance.now();
    const result = await section.run({
      quick: values.quick,
      profile: values.profile,
      log: (line) => console.log(line),
    });
    console.log(`  (${((performance.now() - began) / 1000).toFixed(0)} s)\n`);
    for (const table of result.tables) console.log(`${textTable(table)}\n`);
    for (const finding of result.findings) console.log(`  ${finding}`);
    results.push({ section, result });
  }

  // Other programs on the machine move the numbers: the load average says how much there was.
  const load = { before: loadBefore, after: os.loadavg()[0]! };
  console.log(`\nload average (1 min): ${load.before.toFixed(1)} before, ${load.after.toFixed(1)} after`);
  if (write) {
    const file = path.join(REPO_ROOT, 'docs', 'BENCHMARKS.md');
    if (values.only) {
      // One section: it replaces its own in the report and says when it ran; the others keep their run's numbers.
      let report = await readFile(file, 'utf8').catch(() =>
        markdownReport([], machine, startedAt, load, false),
      );
      for (const { section, result } of results) {
        const dated = `_Measured in its own run (\`npm run bench -- --only ${section.name}\`) on ${timestamp(startedAt)} UTC, load average ${load.before.toFixed(1)} before and ${load.after.toFixed(1)} after on ${machine.cores} cores._`;
        report = replaceSection(report, section.title, sectionMarkdown(section, result, dated));
      }
      await writeFile(file, report);
    } else {
      await writeFile(file, markdownReport(results, machine, startedAt, load, values.quick));
    }
    console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
  }
  return 0;
}

function markdownReport(
  results: readonly { section: BenchSection; result: SectionResult }[],
  machine: Machine,
  startedAt: Date,
  load: { before: number; after: number },
  quick: boolean,
): string {
  const parts = [
    '# Benchmarks',
    '',
    `_Written by \`npm run bench\`${quick ? ' (`--quick`: a smoke run, not numbers to compare)' : ''} on ${timestamp(startedAt)} UTC. Numbers from another machine are not comparable; run it on yours._`,
    '',
    '## Machine',
    '',
    `- CPU: ${machine.cpu}, ${machine.cores} cores available`,
    `- Memory: ${machine.memoryGiB} GiB`,
    `- OS: ${machine.os}`,
    `- Node.js: ${machine.node}`,
    `- Load average (1 min) before and after the run: ${load.before.toFixed(1)} and ${load.after.toFixed(1)} on ${machine.cores} cores${load.before > machine.cores / 2 || load.after > machine.cores / 2 ? ': other programs were competing for the machine, so treat the numbers as a lower bound' : ''}`,
    '',
    '## How to reproduce',
    '',
    '```sh',
    'npm run bench                 # every section, rewrites this file (about 15 minutes; the first run also generates the KPI lakes)',
    'npm run bench -- --quick      # a smoke run in seconds; prints only',
    'npm run bench -- --profile    # also records where cs-pulse spends its CPU (node --cpu-prof)',
    `npm run bench -- --only ${SECTIONS.map((section) => section.name).join('|')}   # one section, replaced in this file`,
    '```',
    '',
    'Close other busy programs first: the servers and the load generator share the machine.',
  ];
  for (const { section, result } of results) parts.push('', sectionMarkdown(section, result));
  return `${parts.join('\n').trimEnd()}\n`;
}

function sectionMarkdown(section: BenchSection, result: SectionResult, dated?: string): string {
  const parts = [
    `## ${section.title}`,
    '',
    ...(dated ? [dated, ''] : []),
    ...result.method.flatMap((p) => [p, '']),
  ];
  for (const table of result.tables) parts.push(markdownTable(table), '');
  if (result.findings.length > 0) {
    parts.push('### Findings', '', ...result.findings.map((finding) => `- ${finding}`), '');
  }
  return parts.join('\n').trimEnd();
}

function timestamp(date: Date): string {
  return date.toISOString().slice(0, 16).replace('T', ' ');
}

/** A Markdown table with its columns padded the way Biome formats Markdown, so the file passes `npm run lint`. */
function markdownTable(table: ResultTable): string {
  const numeric = table.columns.map((_, index) =>
    table.rows.every((row) => /^[\d.,×% -]*$/.test(row[index] ?? '')),
  );
  const widths = table.columns.map((column, index) =>
    Math.max(3, column.length, ...table.rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells
      .map((cell, index) => (numeric[index] ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
      .join(' | ')} |`;
  const rule = widths.map((width, index) =>
    numeric[index] ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width),
  );
  return [line(table.columns), `| ${rule.join(' | ')} |`, ...table.rows.map(line)].join('\n');
}

function textTable(table: ResultTable): string {
  const widths = table.columns.map((column, index) =>
    Math.max(column.length, ...table.rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `  ${cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join('  ')}`;
  return [line(table.columns), line(widths.map((width) => '-'.repeat(width))), ...table.rows.map(line)].join(
    '\n',
  );
}

process.exitCode = await main();
