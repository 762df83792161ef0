import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext, Services } from '../../api/context.js';
import { callFacts, resolveCaller } from '../../api/resolve-user.js';
import { authenticate } from '../../auth/authenticate.js';
import { extractToken, type TokenSources } from '../../auth/extract-token.js';
import { accessFromReadToken } from '../../auth/read-token.js';
import type { Access, User } from '../../domain/types.js';
import type { StoredAccess } from '../../storage/interfaces/accesses-store.js';
import { errors, type ApiError } from '../../errors/index.js';
import { formOverride } from '../form-body.js';
import { parseQuery } from '../query.js';
import { markCall } from '../call-observer.js';
import { admitCall } from '../../api/call-audit.js';

/**
 * The one caller-context path (issue #9): the path user (404 unknown, 421 wrong-core with the home
 * core's URL, through `platform.homeCoreOf()`), then the token and its access, then the method
 * context. The JSON API, series, attachment and preview routes take it through `userContext()`,
 * the Socket.IO handshake through `callerContext()`.
 */

/** What to do without a usable token. */
export interface TokenRule {
  /** No token: the error to throw; absent = no access (the method decides). */
  missing?: () => ApiError;
  /** A bad token gives no access instead of its error (public methods). */
  isPublic?: boolean;
}

export interface CallerInput extends TokenRule {
  username: string;
  tokens: TokenSources;
  origin: string | null;
  referer: string | null;
  clientAddress: string | null;
  userAgent?: string | null;
  methodId: string;
}

/** The method context of a `/{username}/…` caller: the user is known. */
export interface CallerContext extends RequestContext {
  user: User;
}

/** User, then access, as one method context: the same for every transport. */
export async function callerContext(services: Services, input: CallerInput): Promise<{ ctx: CallerContext; token: string | null }> {
  // The token's lookup hashes go with the user lookup: one statement for user, access and streams version.
  const token = extractToken(input.tokens);
  const caller = await resolveCaller(services, input.username, token === null ? undefined : services.vault.lookupHashes(token.token));
  const found = await accessContext(services, caller.user, input, caller.access);
  // For this call only: the Socket.IO handshake keeps the user and token, not these.
  Object.assign(found.ctx, callFacts(caller));
  return found;
}

/** `stored`: the token's access, when the user lookup read it already. */
async function accessContext(services: Services, user: User, input: CallerInput, stored?: StoredAccess | null): Promise<{ ctx: CallerContext; token: string | null }> {
  const found = extractToken(input.tokens);
  const base = { services, user, origin: input.origin, referer: input.referer, clientAddress: input.clientAddress, userAgent: input.userAgent ?? null, methodId: input.methodId };
  if (found === null) {
    if (input.missing !== undefined) throw input.missing();
    return { ctx: { ...base, access: null, callerId: null }, token: null };
  }
  let access: Access;
  try {
    access = await authenticate(services, user, found.token, stored === undefined ? {} : { stored });
  } catch (err) {
    // A public method may take another kind of token there (mfa.*: the mfaToken).
    if (input.isPublic === true) return { ctx: { ...base, access: null, callerId: null }, token: found.token };
    throw err;
  }
  return { ctx: { ...base, access, callerId: found.callerId }, token: found.token };
}

export interface UserContextOptions extends TokenRule {
  methodId: string;
  /**
   * A file download (Pryv API §3.2): `?readToken=` for this file id or the Authorization header;
   * `?auth=` is refused (a full token in a URL ends up in logs and browser history).
   */
  downloadOf?: string;
  /** Record the call on the access: routes outside the method registry (registry.call records its own). */
  record?: boolean;
}

/** A context whose rule had `missing`: it has an access. */
export function withAccess(ctx: CallerContext): CallerContext & { access: Access } {
  const { access } = ctx;
  if (access === null) throw errors.missingToken();
  return { ...ctx, access };
}

function header(req: FastifyRequest, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' ? v : null;
}

/**
 * The context of a `/{username}/…` request: the caller's access is named in the `pryv-access-id`
 * header; the query string is parsed once and handed back (without `auth`, which is transport).
 */
export function userContext(services: Services) {
  return async (req: FastifyRequest, reply: FastifyReply, options: UserContextOptions): Promise<{ ctx: CallerContext; query: Record<string, unknown>; token: string | null }> => {
    const { auth, ...query } = parseQuery(req.url.split('?')[1] ?? '');
    const input: CallerInput = {
      ...options,
      username: String((req.params as Record<string, unknown>)['username'] ?? ''),
      tokens: { authorization: header(req, 'authorization') ?? undefined, queryAuth: typeof auth === 'string' ? auth : undefined, formAuth: formOverride(req)?.auth ?? undefined },
      origin: header(req, 'origin'),
      referer: header(req, 'referer'),
      clientAddress: req.ip,
      userAgent: header(req, 'user-agent'),
    };
    markCall(req, options.methodId);
    const { ctx, token } = options.downloadOf === undefined ? await callerContext(services, input) : await downloaderContext(services, input, auth, query, options.downloadOf);
    if (ctx.access !== null) reply.header('pryv-access-id', ctx.access.id);
    if (options.record === true) {
      // Outside the method registry: audited when the answer goes (src/http/call-observer.ts).
      markCall(req, options.methodId, ctx);
      admitCall(ctx, options.methodId);
      services.accessCache.recordCall(ctx, options.methodId);
    }
    return { ctx, query, token };
  };
}

async function downloaderContext(
  services: Services,
  input: CallerInput,
  auth: unknown,
  query: Record<string, unknown>,
  fileId: string,
): Promise<{ ctx: CallerContext; token: string | null }> {
  const readToken = query['readToken'];
  // The Authorization header: the one-statement lookup of user, access and streams version, as
  // for any call (issue #10: without the version, each download loaded the user's whole stream tree).
  if (auth === undefined && readToken === undefined) {
    return callerContext(services, { ...input, tokens: { authorization: input.tokens.authorization }, missing: errors.missingToken });
  }
  const caller = await resolveCaller(services, input.username);
  const { user } = caller;
  if (auth !== undefined) {
    throw errors.invalidAccessToken('Tokens in the URL are refused here: use "readToken" or the Authorization header.', { httpStatus: 401 });
  }
  if (typeof readToken !== 'string') throw errors.invalidAccessToken('Invalid read token.', { httpStatus: 401 });
  const access = await accessFromReadToken(services, user, readToken, fileId);
  const ctx: CallerContext = { services, user, access, callerId: null, origin: input.origin, referer: input.referer, clientAddress: input.clientAddress, userAgent: input.userAgent ?? null, methodId: input.methodId, ...callFacts(caller) };
  return { ctx, token: null };
}
