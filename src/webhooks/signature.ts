import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook call signatures (docs/api.md "Webhooks"): header `Homecore-Signature: t=<unix seconds>,v1=<hex>`
 * where `<hex>` = HMAC-SHA256(secret, `${t}.${body}`) over the exact body bytes. The timestamp in the
 * signed text lets receivers refuse replays older than a few minutes.
 */
export const SIGNATURE_HEADER = 'homecore-signature';
export const WEBHOOK_ID_HEADER = 'homecore-webhook-id';

/** A per-webhook signing secret, shown once by webhooks.create. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signatureHeader(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** Receiver side (tests, docs example): true when `header` signs `body` with `secret` within `toleranceS`. */
export function verifySignature(secret: string, header: string, body: string, nowS: number, toleranceS = 300): boolean {
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowS - t) > toleranceS) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  const given = Buffer.from(v1);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
