import type { SqlValue } from '../ports/sql-engine.js';

/**
 * Athena documents that an execution parameter (`?`) may stand only in a WHERE clause ("Syntax like `SELECT ? FROM
 * table` is not supported"), while queries/ passes each query's settings through a `params` CTE that SELECTs them.
 * So the Athena engine sends the placeholders that sit in a WHERE clause as ExecutionParameters and writes the others
 * into the statement as the very literal an ExecutionParameter carries (Athena substitutes the parameter text as a SQL
 * literal: that is why its strings must arrive quoted). Either way a value is a literal, never SQL.
 */
export interface AthenaStatement {
  readonly queryString: string;
  /** The values of the placeholders left in queryString, in order, as SQL literals. */
  readonly executionParameters: readonly string[];
}

/** Keywords that open a clause; the one most recently seen at a nesting depth says which clause a `?` is in. */
const CLAUSE_KEYWORDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'FETCH',
  'JOIN',
  'ON',
  'USING',
  'WITH',
  'VALUES',
  'WINDOW',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'INSERT',
  'CREATE',
  'UNLOAD',
]);

/** For each `?` placeholder of the statement, in order: whether it stands in a WHERE clause. */
export function placeholdersInWhere(sql: string): boolean[] {
  return scanPlaceholders(sql).map((placeholder) => placeholder.inWhere);
}

/** Splits the parameters between ExecutionParameters (placeholders in WHERE) and literals written into the SQL. */
export function athenaStatement(sql: string, parameters: readonly SqlValue[]): AthenaStatement {
  const placeholders = scanPlaceholders(sql);
  if (placeholders.length !== parameters.length) {
    throw new Error(
      `the statement has ${placeholders.length} placeholders but ${parameters.length} parameters were given`,
    );
  }
  let queryString = '';
  let copiedUpTo = 0;
  const executionParameters: string[] = [];
  placeholders.forEach((placeholder, index) => {
    const literal = toAthenaLiteral(parameters[index]!);
    if (placeholder.inWhere) {
      executionParameters.push(literal);
      return;
    }
    queryString += sql.slice(copiedUpTo, placeholder.offset) + literal;
    copiedUpTo = placeholder.offset + 1;
  });
  queryString += sql.slice(copiedUpTo);
  return { queryString, executionParameters };
}

/** ExecutionParameters are SQL literals: text quoted with quotes doubled, numbers as they are. */
export function toAthenaLiteral(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot send ${value} to Athena`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return `'${value.replaceAll("'", "''")}'`;
}

interface Placeholder {
  readonly offset: number;
  readonly inWhere: boolean;
}

/**
 * A small lexer, enough for placement: it skips string literals, quoted identifiers and comments, tracks parentheses,
 * and remembers the last clause keyword at each depth. A parenthesis inherits its enclosing clause until a keyword of
 * its own (a subquery's SELECT) replaces it, so `WHERE x IN (SELECT y FROM t WHERE z = ?)` and `WHERE (a = ?)` are
 * in WHERE while `WITH params AS (SELECT CAST(? AS DATE))` is not.
 */
function scanPlaceholders(sql: string): Placeholder[] {
  const placeholders: Placeholder[] = [];
  const clauseAtDepth: string[] = [''];
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    const next = sql[i + 1];
    if (char === "'" || char === '"') {
      i = endOfQuoted(sql, i, char);
    } else if (char === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (char === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (char === '(') {
      clauseAtDepth.push(clauseAtDepth.at(-1)!);
      i++;
    } else if (char === ')') {
      if (clauseAtDepth.length > 1) clauseAtDepth.pop();
      i++;
    } else if (char === '?') {
      placeholders.push({ offset: i, inWhere: clauseAtDepth.at(-1) === 'WHERE' });
      i++;
    } else if (/[A-Za-z_]/.test(char)) {
      let end = i + 1;
      while (end < sql.length && /[A-Za-z0-9_]/.test(sql[end]!)) end++;
      const word = sql.slice(i, end).toUpperCase();
      if (CLAUSE_KEYWORDS.has(word)) clauseAtDepth[clauseAtDepth.length - 1] = word;
      i = end;
    } else {
      i++;
    }
  }
  return placeholders;
}

/** The index just past a quoted string or identifier; a doubled quote inside it is an escaped quote. */
function endOfQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}
