import type { FastifyInstance } from 'fastify';
import { errors } from '../errors/index.js';

/** Form fields that override the request (Pryv API §1.3) for clients that cannot set headers. */
export interface FormOverride {
  method: string | null;
  auth: string | null;
}

const OVERRIDE = Symbol('formOverride');

/**
 * `application/x-www-form-urlencoded` bodies: `_json` holds the real JSON body, `_method` the verb to
 * use, `_auth` the token. Parsed here once; the body becomes the `_json` object (or the plain fields).
 */
export function formBodyParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, raw, done) => {
    const fields = new URLSearchParams(typeof raw === 'string' ? raw : raw.toString('utf8'));
    let body: unknown = Object.fromEntries([...fields].filter(([k]) => !k.startsWith('_')));
    const json = fields.get('_json');
    if (json !== null) {
      try {
        body = JSON.parse(json) as unknown;
      } catch {
        done(errors.invalidRequestStructure('The _json form field is not valid JSON.'), undefined);
        return;
      }
    }
    const override: FormOverride = { method: fields.get('_method')?.toUpperCase() ?? null, auth: fields.get('_auth') };
    (req as unknown as Record<symbol, FormOverride>)[OVERRIDE] = override;
    done(null, body);
  });
}

export function formOverride(req: object): FormOverride | null {
  return (req as Record<symbol, FormOverride | undefined>)[OVERRIDE] ?? null;
}
