import type { z } from 'zod';
import type { CanonicalEvent } from '../domain/canonical-events.js';
import type { FieldError } from '../http/problem.js';

/** A webhook request as a source sees it: the same whether it came through API Gateway or the local server. */
export interface WebhookRequest {
  readonly method: string;
  /** The URL as the sender addressed it (scheme, host, path, query): some vendors sign it. */
  readonly url: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes received: signatures are over these, never over re-serialized JSON. */
  readonly rawBody: Buffer;
  readonly receivedAt: Date;
}

export type Verification =
  | {
      readonly ok: true /** The sender's id for this delivery, when its scheme carries one. */;
      readonly deliveryId?: string;
    }
  | { readonly ok: false; readonly reason: string };

export interface NormalizeContext<Options = Readonly<Record<string, unknown>>> {
  /** The archived headers of the request (replay has these and nothing else). */
  readonly headers: Readonly<Record<string, string>>;
  readonly receivedAt: Date;
  /** This source's section of the mapping configuration (docs/sources.md), parsed by its `optionsSchema`. */
  readonly options: Options;
}

export type Normalization =
  | {
      readonly ok: true;
      readonly events: readonly CanonicalEvent[];
      /** Vendor events acknowledged but not mapped (an event type cs-pulse does not use). */
      readonly ignored: number;
      /** The vendor's id for this delivery when only the body carries it. */
      readonly deliveryId?: string;
    }
  | {
      readonly ok: false;
      /** 400: the body is not what this source sends at all (bad JSON, XML); 422: the right shape with wrong fields. */
      readonly status: 400 | 422;
      readonly detail: string;
      readonly errors?: readonly FieldError[];
    };

/**
 * One vendor (or the generic format): how to authenticate its requests and how to map its bodies onto canonical
 * events. A source is pure: no I/O, no clock but the one passed in, so replay re-runs `normalize` on archived bodies
 * and gets the same events.
 */
/** The response a vendor expects on success, when it is not cs-pulse's default 202 JSON. */
export interface Acknowledgement {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface WebhookSource<Options = Readonly<Record<string, unknown>>> {
  /** The path segment: `POST /webhooks/<name>`. */
  readonly name: string;
  readonly title: string;
  /** Media types the source sends (compared without parameters such as charset). */
  readonly contentTypes: readonly string[];
  /** Request headers to keep in the raw archive beside the body. Never a credential. */
  readonly archivedHeaders: readonly string[];
  /**
   * The source's mapping options (account id property, survey field ids…) with their defaults: its section of the
   * config file is parsed with it at start-up, so a wrong option stops the server with a clear message.
   */
  readonly optionsSchema?: z.ZodType<Options>;
  verify(request: WebhookRequest, secrets: readonly string[]): Verification;
  normalize(body: Buffer, context: NormalizeContext<Options>): Normalization;
  /** The success answer this vendor expects (Salesforce: a SOAP acknowledgement). @default 202 `{ accepted, … }` */
  acknowledge?(outcome: { readonly accepted: number; readonly ignored: number }): Acknowledgement;
}

/** Registers a source with typed options; the registry holds sources with their option types erased. */
export function defineSource<Options>(source: WebhookSource<Options>): WebhookSource {
  return source as unknown as WebhookSource;
}
