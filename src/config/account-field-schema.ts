import { Type } from '@sinclair/typebox';

/** One custom account field (`systemStreams.account`), exposed as the stream `:system:<id>`. */
export const AccountFieldSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_-]{0,49}$' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    type: Type.String({ pattern: '^[a-z0-9-]+/[a-z0-9-]+$' }),
    isUnique: Type.Optional(Type.Boolean()),
    isIndexed: Type.Optional(Type.Boolean()),
    isEditable: Type.Optional(Type.Boolean()),
    isShown: Type.Optional(Type.Boolean()),
    isRequiredInValidation: Type.Optional(Type.Boolean()),
    regexValidation: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()])),
    default: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
