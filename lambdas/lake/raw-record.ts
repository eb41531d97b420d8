import { z } from 'zod';

/**
 * One archived request: the exact body a source signed, when it came, and the headers worth keeping. Credentials
 * (Authorization, cookies) are never archived. Bodies are kept as text when they are UTF-8 and as base64 otherwise,
 * so the archive reproduces the signed bytes exactly.
 */
export const rawRecordSchema = z.object({
  format: z.literal(1),
  source: z.string(),
  delivery_id: z.string(),
  received_at: z.string(),
  status: z.enum(['accepted', 'quarantined']),
  /** Why a quarantined body was refused (the problem the sender got). */
  problem: z.object({ status: z.number(), detail: z.string() }).nullable(),
  headers: z.record(z.string(), z.string()),
  body_encoding: z.enum(['utf8', 'base64']),
  body: z.string(),
});

export type RawRecord = z.infer<typeof rawRecordSchema>;

export function encodeBody(body: Buffer): Pick<RawRecord, 'body' | 'body_encoding'> {
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body)
    ? { body_encoding: 'utf8', body: text }
    : { body_encoding: 'base64', body: body.toString('base64') };
}

export function decodeBody(record: Pick<RawRecord, 'body' | 'body_encoding'>): Buffer {
  return record.body_encoding === 'utf8'
    ? Buffer.from(record.body, 'utf8')
    : Buffer.from(record.body, 'base64');
}
