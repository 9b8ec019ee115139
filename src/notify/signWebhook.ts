import { createHmac } from 'node:crypto';

/** The header a generic webhook's signature travels in (README: Verifying a webhook's signature). */
export const signatureHeader = 'Siphon-Signature';

/**
 * Stripe's scheme: HMAC-SHA256, keyed with the secret's UTF-8 bytes, over `<timestamp>.<body>`
 * (the body exactly as sent), in hex; the header is `t=<unix seconds>,v1=<hex>`. The timestamp
 * inside the signed text lets a receiver refuse a replay older than its tolerance.
 */
export function signWebhook(secret: string, body: string, timestampInSeconds: number): string {
  const signature = createHmac('sha256', secret).update(`${timestampInSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${timestampInSeconds},v1=${signature}`;
}
