import fc from 'fast-check';

const REMOVE = Symbol('remove');
type Path = readonly (string | number)[];

/** Every path into a JSON value, the root's children first. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((child, index) => [index, child])
    : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

function withChange(base: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value === REMOVE ? null : value;
  const [head, ...rest] = path;
  if (typeof base !== 'object' || base === null) return base;
  const copy: any = Array.isArray(base) ? [...base] : { ...base };
  if (rest.length === 0 && value === REMOVE) {
    if (Array.isArray(copy)) copy.splice(head as number, 1);
    else delete copy[head as string];
  } else {
    copy[head as string] = withChange(copy[head as string], rest, value);
  }
  return copy;
}

const oddValues = fc.constantFrom<unknown>(
  null,
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  '',
  'x',
  '12.5',
  [],
  {},
  true,
  REMOVE,
);

/**
 * Bodies a buggy or hostile sender might sign: a real payload with a few fields replaced by random or odd JSON
 * values or removed, plus arbitrary JSON and arbitrary text. Top-level fields listed in `choices` take one of the
 * given values, so the mutations reach each mapped type's code; paths ending in a `focus` key (the fields the source
 * reads) are mutated more often than the rest.
 */
export function mutatedJsonBodies(
  base: unknown,
  options: { choices?: Readonly<Record<string, readonly string[]>>; focus?: readonly string[] } = {},
): fc.Arbitrary<string> {
  const choices = options.choices ?? {};
  const paths = pathsOf(base);
  const focus = new Set(options.focus ?? []);
  const focused = paths.filter((path) => focus.has(String(path[path.length - 1])));
  const mutation = fc.record({
    path:
      focused.length > 0
        ? fc.oneof({ arbitrary: fc.constantFrom(...focused), weight: 3 }, fc.constantFrom(...paths))
        : fc.constantFrom(...paths),
    value: fc.oneof({ arbitrary: oddValues, weight: 2 }, fc.jsonValue({ maxDepth: 2 })),
  });
  const chosen = fc.record(
    Object.fromEntries(Object.entries(choices).map(([key, values]) => [key, fc.constantFrom(...values)])),
  );
  const mutated = fc
    .tuple(chosen, fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([picked, changes]) => {
      let value: unknown = { ...(base as object), ...picked };
      for (const change of changes) value = withChange(value, change.path, change.value);
      return JSON.stringify(value);
    });
  return fc.oneof(
    { arbitrary: mutated, weight: 8 },
    { arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)), weight: 1 },
    { arbitrary: fc.string(), weight: 1 },
  );
}
