/**
 * Salesforce record ids, such as the OrganizationId an Outbound Message carries, come in two forms: 15 characters,
 * case-sensitive, and 18 characters, the same 15 plus a 3-character suffix that encodes the case of the first 15 so
 * that case-insensitive tools can tell ids apart. Two ids name the same record when their first 15 characters are
 * equal, compared case-sensitively; an 18-character id whose suffix does not encode those 15 is not an id at all.
 */

const ID_PATTERN = /^[A-Za-z0-9]{15}(?:[A-Za-z0-5]{3})?$/;
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 3-character suffix that turns a 15-character id into its 18-character form. */
export function salesforceIdSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk += 1) {
    let bits = 0;
    for (let position = 0; position < 5; position += 1) {
      const character = id15.charAt(chunk * 5 + position);
      if (character >= 'A' && character <= 'Z') bits |= 1 << position;
    }
    suffix += SUFFIX_ALPHABET.charAt(bits);
  }
  return suffix;
}

/** The case-sensitive 15-character form of a well-formed id, or undefined for anything else. */
export function canonicalSalesforceId(id: string): string | undefined {
  const trimmed = id.trim();
  if (!ID_PATTERN.test(trimmed)) return undefined;
  const id15 = trimmed.slice(0, 15);
  // The suffix itself is case-insensitive: Salesforce prints it in upper case, but tools may lower it.
  if (trimmed.length === 18 && trimmed.slice(15).toUpperCase() !== salesforceIdSuffix(id15)) return undefined;
  return id15;
}

/** Whether two ids, each in 15- or 18-character form, name the same record. */
export function sameSalesforceId(a: string, b: string): boolean {
  const left = canonicalSalesforceId(a);
  return left !== undefined && left === canonicalSalesforceId(b);
}
