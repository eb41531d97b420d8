/**
 * Whether a key is one the lake may use: not empty, not absolute, no empty, `.` or `..` segment. The local folder
 * needs this to stay inside its root; S3 would accept such keys, but then the bucket and the folder would no longer
 * mirror each other, so both stores refuse them.
 */
export function isValidObjectKey(key: string): boolean {
  return (
    key !== '' &&
    !key.startsWith('/') &&
    !key.split('/').some((part) => part === '..' || part === '.' || part === '')
  );
}

export function assertValidObjectKey(key: string): void {
  if (!isValidObjectKey(key)) throw new Error(`invalid object key: ${JSON.stringify(key)}`);
}
