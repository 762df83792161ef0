import { Agent, request } from 'undici';
import { API_VERSION } from '../domain/meta.js';
import { AllowedHosts, DestinationRefusedError, guardedLookup, refuseUrl } from './destination.js';
import { SIGNATURE_HEADER, signatureHeader, WEBHOOK_ID_HEADER } from './signature.js';

export interface SenderSettings {
  requestTimeoutMs: number;
  allowedHosts: readonly string[];
  /** `meta.serial` of the payload (config `service.serial`). */
  serial: string;
}

/** One call's outcome: the HTTP status, 0 when there was no answer (refused, unreachable, timeout). */
export interface CallOutcome {
  status: number;
  ok: boolean;
  error?: string;
}

/**
 * Makes webhook calls (Pryv API §3.5): POST `{messages, meta}` as JSON, signed (src/webhooks/signature.ts),
 * through an undici Agent whose every connection goes through the destination guard. Redirects are
 * not followed (undici's `request` has no redirect interceptor unless composed in): a 3xx is a
 * failure like any non-2xx. The whole call, connection included, is bounded by requestTimeoutMs.
 */
export class WebhookSender {
  private readonly agent: Agent;
  private readonly allowed: AllowedHosts;

  constructor(private readonly settings: SenderSettings) {
    this.allowed = new AllowedHosts(settings.allowedHosts);
    const t = settings.requestTimeoutMs;
    this.agent = new Agent({
      connect: { lookup: guardedLookup(this.allowed), timeout: t },
      headersTimeout: t,
      bodyTimeout: t,
      keepAliveTimeout: 4_000,
    });
  }

  async post(webhook: { id: string; url: string }, secret: string, messages: string[]): Promise<CallOutcome> {
    const body = JSON.stringify({ messages, meta: { apiVersion: API_VERSION, serverTime: Date.now() / 1000, serial: this.settings.serial } });
    try {
      const url = new URL(webhook.url);
      const refusal = refuseUrl(url, this.allowed);
      if (refusal !== null) throw new DestinationRefusedError(refusal);
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'homecore-webhooks',
          [WEBHOOK_ID_HEADER]: webhook.id,
          [SIGNATURE_HEADER]: signatureHeader(secret, Math.floor(Date.now() / 1000), body),
        },
        body,
        signal: AbortSignal.timeout(this.settings.requestTimeoutMs),
      });
      // The answer's body is not used; read a little so the connection can be reused, then drop it.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      return { status: res.statusCode, ok: res.statusCode >= 200 && res.statusCode < 300 };
    } catch (err) {
      return { status: 0, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
