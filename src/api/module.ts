import type { TSchema } from '@sinclair/typebox';
import type { MethodDef } from './method.js';
import type { RouteSpec } from './routes.js';

/** One API resource (streams, events, …): its methods and the HTTP routes reaching them. */
export interface ApiModule {
  methods: MethodDef<TSchema, unknown>[];
  routes: RouteSpec[];
  /** Extra method ids accepted in batch/socket calls (docs vs reference naming, Pryv API §9). */
  aliases?: Record<string, string>;
}

/** Widens a typed method for the registry's heterogeneous list. */
export function asAny<P extends TSchema, R>(def: MethodDef<P, R>): MethodDef<TSchema, unknown> {
  return def as unknown as MethodDef<TSchema, unknown>;
}
