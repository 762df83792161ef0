import { Type } from '@sinclair/typebox';

/** `clientData` as clients write it: an object (merged on update, `null` values delete keys) or null. */
export const ClientDataSchema = Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]);
