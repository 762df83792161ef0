import { ERROR_STATUS, type ErrorId } from './ids.js';

export interface ApiErrorOptions {
  data?: unknown;
  /** Overrides the id's default status (e.g. invalid-access-token is 401 or 403). */
  httpStatus?: number;
  cause?: unknown;
  /** Extra top-level keys of the error object (e.g. `coreUrl` of wrong-core, Pryv API §4.6). */
  extra?: Record<string, unknown>;
}

/** The one error type API code throws; the HTTP error handler turns it into `{error: {id, message, data}}`. */
export class ApiError extends Error {
  readonly id: ErrorId;
  readonly httpStatus: number;
  readonly data: unknown;
  readonly extra: Record<string, unknown> | undefined;

  constructor(id: ErrorId, message: string, options: ApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.id = id;
    this.httpStatus = options.httpStatus ?? ERROR_STATUS[id];
    this.data = options.data;
    this.extra = options.extra;
  }

  toJSON(): { id: ErrorId; message: string; data?: unknown } {
    const base = this.data === undefined ? { id: this.id, message: this.message } : { id: this.id, message: this.message, data: this.data };
    return this.extra === undefined ? base : { ...this.extra, ...base };
  }
}
