import { Type } from '@sinclair/typebox';

/** The `sharedSecrets` section (config/default.yml); in its own file so schema.ts stays short. */
export const SharedSecretsSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    maxTtl: Type.Integer({ minimum: 1 }),
    maxSizeBytes: Type.Integer({ minimum: 1, maximum: 1_048_576 }),
    keepRecordSeconds: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
