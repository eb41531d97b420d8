/** Parses a JSON request body, answering a sender's malformed JSON with a 400 that says where it broke. */
export function parseJsonBody(
  body: Buffer,
):
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly status: 400; readonly detail: string } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch (error) {
    return { ok: false, status: 400, detail: `the body is not valid JSON: ${(error as Error).message}` };
  }
}
