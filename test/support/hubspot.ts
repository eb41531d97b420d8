import { Signature } from '@hubspot/api-client';

/**
 * Signs a request the way HubSpot does, with HubSpot's own SDK (not our verifier's code), and returns the headers.
 * `url` is the URI as HubSpot signs it: for v3 that is the target URL after HubSpot's percent-decoding.
 */
export function hubspotSignatureHeaders(
  clientSecret: string,
  body: string,
  options: { url: string; version?: 'v1' | 'v2' | 'v3'; timestamp?: number; method?: string },
): Record<string, string> {
  const version = options.version ?? 'v3';
  const method = options.method ?? 'POST';
  if (version === 'v3') {
    const timestamp = options.timestamp ?? Date.now();
    return {
      'x-hubspot-signature-v3': Signature.getSignature(method, 'v3', {
        signature: '',
        clientSecret,
        requestBody: body,
        url: options.url,
        timestamp,
      }),
      'x-hubspot-request-timestamp': String(timestamp),
    };
  }
  return {
    'x-hubspot-signature': Signature.getSignature(method, version, {
      signature: '',
      clientSecret,
      requestBody: body,
      url: options.url,
    }),
    'x-hubspot-signature-version': version,
  };
}
