import { XMLParser } from 'fast-xml-parser';
import type { FieldError } from '../../http/problem.js';
import type { Acknowledgement, Verification, WebhookRequest } from '../source.js';
import { canonicalSalesforceId, sameSalesforceId } from './salesforce-organization-id.js';

/**
 * Salesforce Outbound Messages (developer.salesforce.com, "Understanding the Outbound Messaging WSDL"): a SOAP 1.1
 * `notifications` call with the sending org's `OrganizationId` and up to 100 `Notification`s, each an `Id` and an
 * `sObject` holding the fields chosen for the message. Salesforce signs nothing: what a receiver can check is that
 * the message names an org it expects (plus, outside cs-pulse, TLS client certificates and IP allowlists). It
 * retries until it reads the `notificationsResponse` acknowledgement below.
 */

export interface OutboundNotification {
  /** The notification id: stable across Salesforce's retries of the same notification. */
  readonly id: string;
  /** The sObject's type from its `xsi:type` (`Account`), when given. */
  readonly objectType: string | undefined;
  /** Each simple field of the sObject: its text, or null when sent as `xsi:nil`. */
  readonly fields: Readonly<Record<string, string | null>>;
}

export interface OutboundMessage {
  readonly organizationId: string;
  readonly notifications: readonly OutboundNotification[];
}

export type OutboundMessageParse =
  | { readonly ok: true; readonly message: OutboundMessage }
  | {
      readonly ok: false;
      readonly status: 400 | 422;
      readonly detail: string;
      readonly errors?: readonly FieldError[];
    };

const parser = new XMLParser({
  // Prefixes are the sender's choice (`soapenv:`, `sf:`…); the element names are what the WSDL fixes.
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Every value stays text: ids such as `0012…` and plan codes must not turn into numbers.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // The five XML entities and numeric character references (`&#233;`), and no HTML named entities.
  htmlEntities: {} as unknown as boolean,
});

type XmlNode = Record<string, unknown>;

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The text of a simple element, null for `xsi:nil="true"`, undefined for anything that is not a simple value. */
function textOf(value: unknown): string | null | undefined {
  if (typeof value === 'string') return value;
  if (!isNode(value)) return undefined;
  if (value['@_nil'] === 'true' || value['@_nil'] === '1') return null;
  const text = value['#text'];
  if (typeof text === 'string') return text;
  const children = Object.keys(value).filter((key) => !key.startsWith('@_'));
  return children.length === 0 ? '' : undefined;
}

/** Parses well-formed XML, or says why it is not. */
function parseXml(text: string): { ok: true; document: XmlNode } | { ok: false; detail: string } {
  // SOAP 1.1 messages must not carry a DTD; refusing one also keeps entity-expansion tricks out of the parser.
  if (/<!DOCTYPE/i.test(text)) return { ok: false, detail: 'a SOAP message must not contain a DOCTYPE' };
  try {
    const document: unknown = parser.parse(text, true);
    return isNode(document)
      ? { ok: true, document }
      : { ok: false, detail: 'the body is not an XML document' };
  } catch (error) {
    return { ok: false, detail: `the body is not well-formed XML: ${(error as Error).message}` };
  }
}

function notificationsElement(document: XmlNode): XmlNode | undefined {
  const envelope = document.Envelope;
  const body = isNode(envelope) ? envelope.Body : undefined;
  const notifications = isNode(body) ? body.notifications : undefined;
  return isNode(notifications) ? notifications : undefined;
}

/** The body as text; a UTF-8 byte-order mark, which some SOAP stacks write, is not part of the document. */
function xmlText(body: Buffer): string {
  return body.toString('utf8').replace(/^\uFEFF/, '');
}

export function parseOutboundMessage(body: Buffer): OutboundMessageParse {
  const xml = parseXml(xmlText(body));
  if (!xml.ok) return { ok: false, status: 400, detail: xml.detail };
  const notifications = notificationsElement(xml.document);
  if (!notifications) {
    return {
      ok: false,
      status: 400,
      detail: 'the body is not a SOAP envelope holding an Outbound Message (Envelope/Body/notifications)',
    };
  }
  const errors: FieldError[] = [];
  const organizationId = textOf(notifications.OrganizationId);
  if (!organizationId) errors.push({ path: 'notifications.OrganizationId', message: 'is missing' });
  const parsed: OutboundNotification[] = [];
  asList(notifications.Notification).forEach((notification, index) => {
    const path = `notifications.Notification[${index}]`;
    const id = isNode(notification) ? textOf(notification.Id) : undefined;
    const sObject = isNode(notification) ? notification.sObject : undefined;
    if (!id) errors.push({ path: `${path}.Id`, message: 'is missing' });
    if (!isNode(sObject)) errors.push({ path: `${path}.sObject`, message: 'is missing' });
    if (!id || !isNode(sObject)) return;
    const fields: Record<string, string | null> = {};
    for (const [name, value] of Object.entries(sObject)) {
      if (name.startsWith('@_') || name === '#text') continue;
      const text = textOf(value);
      // Related records and repeated elements are not fields cs-pulse maps; they are left out, not refused.
      if (text !== undefined) fields[name] = text;
    }
    const type = sObject['@_type'];
    parsed.push({
      id,
      objectType: typeof type === 'string' ? type.slice(type.indexOf(':') + 1) : undefined,
      fields,
    });
  });
  if (errors.length > 0)
    return { ok: false, status: 422, detail: 'the Outbound Message is incomplete', errors };
  return { ok: true, message: { organizationId: organizationId!, notifications: parsed } };
}

/**
 * The OrganizationIds a body claims. From the parsed envelope when the XML is well-formed; when it is not, from a
 * plain scan of its `OrganizationId` elements, so that a broken message from an allowed org is still taken in as
 * quarantined (400) while one naming no allowed org stays a 401 that stores nothing.
 */
function claimedOrganizationIds(text: string): string[] {
  const xml = parseXml(text);
  if (xml.ok) {
    const notifications = notificationsElement(xml.document);
    const organizationId = notifications ? textOf(notifications.OrganizationId) : undefined;
    return organizationId ? [organizationId] : [];
  }
  const pattern =
    /<(?:[A-Za-z_][\w.-]*:)?OrganizationId(?:\s[^>]*)?>([^<]*)<\/(?:[A-Za-z_][\w.-]*:)?OrganizationId\s*>/g;
  return [...text.matchAll(pattern)].map((match) => match[1]!.trim());
}

/** Authenticates an Outbound Message by its OrganizationId against the allowed org ids (15 or 18 characters). */
export function verifySalesforceOrganization(
  request: WebhookRequest,
  allowedOrganizationIds: readonly string[],
): Verification {
  const allowed = allowedOrganizationIds.filter((id) => canonicalSalesforceId(id) !== undefined);
  if (allowed.length === 0) {
    return {
      ok: false,
      reason: 'the configured Salesforce secret holds no valid 15- or 18-character org id',
    };
  }
  const claimed = claimedOrganizationIds(xmlText(request.rawBody));
  if (claimed.length === 0) return { ok: false, reason: 'the message names no OrganizationId' };
  const unknown = claimed.find((id) => !allowed.some((allowedId) => sameSalesforceId(id, allowedId)));
  if (unknown !== undefined) return { ok: false, reason: 'the OrganizationId is not an allowed org' };
  return { ok: true };
}

/** The acknowledgement the outbound messaging WSDL defines; without it Salesforce keeps retrying for 24 hours. */
export const OUTBOUND_MESSAGE_ACK: Acknowledgement = {
  statusCode: 200,
  headers: { 'content-type': 'text/xml; charset=utf-8' },
  body:
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">' +
    '<soapenv:Body>' +
    '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>' +
    '</soapenv:Body>' +
    '</soapenv:Envelope>\n',
};
