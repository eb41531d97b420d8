/**
 * Checks for SQL that Athena (Trino) and DuckDB would both run but answer differently, or that only one of them runs.
 * ../shared/reference/sql-portability.md explains each trap.
 */
export function withoutCommentsAndStrings(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/'(?:[^']|'')*'/g, "''");
}

export function portabilityProblems(sql: string): string[] {
  const code = withoutCommentsAndStrings(sql);
  const problems: string[] = [];
  // Trino reads 1.5 as DECIMAL(2,1): dividing a DECIMAL keeps its scale (3.8416 / 74 = 0.0519), DuckDB gives a DOUBLE.
  for (const literal of code.match(/(?<![\w.])\d+\.\d+(?![\d.]*e)/gi) ?? []) {
    problems.push(`decimal literal ${literal}: write ${literal}e0 (a DOUBLE in both engines)`);
  }
  // date_diff counts elapsed units in Trino and crossed boundaries in DuckDB; they agree only on truncated arguments.
  const withStrings = sql.replace(/--[^\n]*/g, '');
  for (const call of withStrings.matchAll(/date_diff\s*\(\s*'(\w+)'\s*,/gi)) {
    const rest = withStrings.slice((call.index ?? 0) + call[0].length);
    const unit = call[1]!.toLowerCase();
    const portable = new RegExp(
      `^\\s*date_trunc\\s*\\(\\s*'${unit}'[\\s\\S]*?,\\s*date_trunc\\s*\\(\\s*'${unit}'`,
      'i',
    );
    if (!(unit === 'day' || portable.test(rest))) {
      problems.push(
        `date_diff('${unit}', …) on untruncated values: wrap both arguments in date_trunc('${unit}', …)`,
      );
    }
  }
  const engineOnly: [RegExp, string][] = [
    [/\bdate_add\s*\(/i, "date_add has a different arity in DuckDB: write ts + INTERVAL 'n' DAY"],
    [/::/, 'the :: cast is DuckDB-only: write CAST(x AS type)'],
    [/\/\//, '// is DuckDB integer division: Trino has none; cast instead'],
    [
      /\b(strftime|strptime|epoch|generate_series|list_\w+|regexp_matches|json_extract_string)\s*\(/i,
      'a DuckDB-only function',
    ],
    [
      /\b(date_format|date_parse|json_extract_scalar|cardinality)\s*\(/i,
      'a Trino function DuckDB answers differently (see sql-portability.md)',
    ],
    [/\bINTERVAL\s+\d/i, "write INTERVAL '7' DAY (quoted number, singular unit): the only form both accept"],
  ];
  for (const [pattern, message] of engineOnly) if (pattern.test(code)) problems.push(message);
  return problems;
}

/** The number of positional parameters in a statement. */
export function parameterCount(sql: string): number {
  return (withoutCommentsAndStrings(sql).match(/\?/g) ?? []).length;
}
