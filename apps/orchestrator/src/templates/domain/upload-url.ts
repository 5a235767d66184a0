import { uploadToken } from '@strata/contracts';

/**
 * Where the caller PUTs a template's bytes: the image service's upload endpoint with the
 * token for this template only (an HMAC of its id under the shared secret key, so nothing is
 * stored). Only ever returned in the 202 answer; never logged nor put in an event.
 */
export function uploadUrlOf(imageServiceUrl: string, secretKeyBase64: string, templateId: string): string {
  return `${imageServiceUrl}/uploads/${templateId}?token=${uploadToken(secretKeyBase64, templateId)}`;
}
