/** Renders rows as an aligned text table (numbers right-aligned), as CSV, or as JSON. */
export type OutputFormat = 'table' | 'csv' | 'json';

type Cell = string | number | boolean | null | undefined;

export function formatRows(
  rows: readonly Record<string, Cell>[],
  format: OutputFormat,
  columns?: readonly string[],
): string {
  const names = columns ?? [...new Set(rows.flatMap((row) => Object.keys(row)))];
  if (format === 'json') return JSON.stringify(rows, null, 2);
  if (rows.length === 0 && format === 'table') return '(no rows)';
  if (format === 'csv') {
    const csvCell = (cell: Cell) => {
      const text = cell === null || cell === undefined ? '' : String(cell);
      return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    };
    return [names.join(','), ...rows.map((row) => names.map((name) => csvCell(row[name])).join(','))].join(
      '\n',
    );
  }
  const text = (cell: Cell) =>
    cell === null || cell === undefined ? '' : typeof cell === 'number' ? formatNumber(cell) : String(cell);
  const widths = names.map((name) => Math.max(name.length, ...rows.map((row) => text(row[name]).length)));
  const line = (cells: readonly Cell[]) =>
    cells
      .map((cell, index) =>
        typeof cell === 'number' ? text(cell).padStart(widths[index]!) : text(cell).padEnd(widths[index]!),
      )
      .join('  ')
      .trimEnd();
  return [
    line(names),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map((row) => line(names.map((name) => row[name]))),
  ].join('\n');
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 1 : 2);
}
