import { Type } from '@sinclair/typebox';

/**
 * The `mail` and `mfa` sections of the configuration (config/default.yml documents every key). In a
 * file of their own so schema.ts stays under 300 lines.
 */
const strict = { additionalProperties: false } as const;
const Port = Type.Integer({ minimum: 1, maximum: 65535 });

export const MailSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    from: Type.Object({ name: Type.String(), address: Type.String({ pattern: '^[^@\\s<>]+@[^@\\s<>]+$' }) }, strict),
    smtp: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Port,
        // true: TLS from the first byte (port 465); false: plain, upgraded by STARTTLS when offered.
        secure: Type.Boolean(),
        // Refuse to send unless the server upgrades the connection with STARTTLS.
        requireTls: Type.Boolean(),
        // Check the server's certificate (keep true outside tests with self-signed servers).
        rejectUnauthorized: Type.Boolean(),
        auth: Type.Union([Type.Object({ user: Type.String({ minLength: 1 }), password: Type.String({ minLength: 1 }) }, strict), Type.Null()]),
        timeoutMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
      },
      strict,
    ),
    // null = the bundled mail-templates/ directory.
    templatesDir: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
    defaultLanguage: Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$' }),
    send: Type.Object({ welcome: Type.Boolean(), resetPassword: Type.Boolean(), emailVerification: Type.Boolean() }, strict),
    retry: Type.Object({ attempts: Type.Integer({ minimum: 1, maximum: 20 }), delayMs: Type.Integer({ minimum: 1, maximum: 3_600_000 }) }, strict),
    // Pages the mail links go to; the token and username are added as query parameters.
    // null = reset-password.html / verify-email.html next to access.defaultAuthUrl.
    resetPasswordUrl: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
    emailVerificationUrl: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
    emailVerificationTtlSeconds: Type.Integer({ minimum: 60, maximum: 90 * 86_400 }),
  },
  strict,
);

const SmsEndpoint = Type.Object(
  {
    url: Type.String(),
    method: Type.Union([Type.Literal('POST'), Type.Literal('GET')]),
    body: Type.String(),
    headers: Type.Record(Type.String(), Type.String()),
  },
  strict,
);

export const MfaSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    defaultMethod: Type.Union([Type.Literal('totp'), Type.Literal('sms')]),
    // How long an mfaToken (activation or login step) stays valid.
    sessionTtlSeconds: Type.Integer({ minimum: 30, maximum: 86_400 }),
    recoveryCodes: Type.Integer({ minimum: 1, maximum: 50 }),
    totp: Type.Object(
      {
        enabled: Type.Boolean(),
        // Issuer label shown by authenticator apps; null = service.name.
        issuer: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
        digits: Type.Integer({ minimum: 6, maximum: 8 }),
        periodSeconds: Type.Integer({ minimum: 15, maximum: 120 }),
        // Codes of this many periods before or after now are accepted too (clock skew).
        window: Type.Integer({ minimum: 0, maximum: 5 }),
      },
      strict,
    ),
    sms: Type.Object(
      {
        enabled: Type.Boolean(),
        // single: homecore makes the code and asks the provider to send it; challenge-verify: the provider does both.
        mode: Type.Union([Type.Literal('single'), Type.Literal('challenge-verify')]),
        codeLength: Type.Integer({ minimum: 4, maximum: 10 }),
        timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000 }),
        endpoints: Type.Object({ single: SmsEndpoint, challenge: SmsEndpoint, verify: SmsEndpoint }, strict),
      },
      strict,
    ),
  },
  strict,
);
