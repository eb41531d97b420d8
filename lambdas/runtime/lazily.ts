/** Builds a value on first use and shares it after: Lambda keeps it across warm invocations. */
export function lazily<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= build().catch((error) => {
      value = undefined; // let the next invocation try again instead of caching the failure
      throw error;
    });
    return value;
  };
}
