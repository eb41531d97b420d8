/**
 * docs/BENCHMARKS.md is one report with a section per benchmark. A full run rewrites it; a run of one section
 * (`--only`) replaces that section alone and dates it, so the others keep the numbers of the run that made them.
 */

/** The `## <title>` section of a report, up to the next `## ` heading, without its trailing blank lines. */
export function findSection(report: string, title: string): string | undefined {
  return splitSections(report).sections.find((section) => headingOf(section) === title);
}

/** The report with its `## <title>` section replaced by `section` (or added at the end when it has none). */
export function replaceSection(report: string, title: string, section: string): string {
  const { preamble, sections } = splitSections(report);
  const index = sections.findIndex((candidate) => headingOf(candidate) === title);
  const replaced = index === -1 ? [...sections, section] : sections.with(index, section);
  return `${[preamble, ...replaced].map((part) => part.trimEnd()).join('\n\n')}\n`;
}

function splitSections(report: string): { preamble: string; sections: string[] } {
  const parts = report.split(/^(?=## )/m);
  const preamble = parts[0]?.startsWith('## ') ? '' : (parts.shift() ?? '');
  return { preamble, sections: parts.map((part) => part.trimEnd()) };
}

function headingOf(section: string): string {
  return section.slice(3, section.indexOf('\n') === -1 ? undefined : section.indexOf('\n')).trim();
}
