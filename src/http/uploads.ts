import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import { ApiError, errors } from '../errors/index.js';
import type { AttachmentFiles, StagedUpload } from '../storage/files/attachment-files.js';

/**
 * Multipart bodies of events.create and "add files" (Pryv API §3.2), read after the caller is
 * authenticated. Files stream to the staging area as they arrive (the JSON part may come after
 * them), hashed on the way; nothing is buffered whole. Any failure removes what was staged.
 */

export type UploadMode = 'with-event' | 'files-only';

export interface ReceivedMultipart {
  /** The one non-file part, parsed (undefined in files-only mode). */
  json: unknown;
  uploads: StagedUpload[];
}

/** A MIME type safe to send back as Content-Type; anything else is stored as octet-stream. */
const MIME = /^[a-z0-9][\w!#$&^.+-]*\/[\w!#$&^.+-]+(\s*;\s*[\w!#$&^.+-]+=(?:[\w!#$&^.+-]+|"[^"\\\r\n]*"))*$/i;
const MAX_FILE_NAME = 255;

export function safeMimeType(type: string | undefined): string {
  return type !== undefined && type.length <= 200 && MIME.test(type) ? type : 'application/octet-stream';
}

/** File names are metadata only (never a path): control characters dropped, length bounded. */
export function safeFileName(name: string | undefined): string {
  // Cut by code points: halving a surrogate pair would leave a string PostgreSQL's jsonb refuses.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes.
  const clean = Array.from((name ?? '').replace(/[\u0000-\u001f\u007f]/g, '')).slice(0, MAX_FILE_NAME).join('');
  return clean === '' ? 'file' : clean;
}

/** @fastify/multipart and busboy errors → API errors. */
function toApiError(err: unknown, config: Readonly<Config>): ApiError {
  if (err instanceof ApiError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return errors.fileTooLarge(config.attachments.maxSizeBytes);
  if (code === 'FST_FILES_LIMIT') {
    return errors.invalidRequestStructure(`At most ${config.attachments.maxFilesPerRequest} files per request.`, {
      httpStatus: 413,
      data: { limit: config.attachments.maxFilesPerRequest },
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return errors.invalidRequestStructure(`Malformed multipart body: ${message}`);
}

function parseJsonPart(value: unknown, truncated: boolean, limit: number): unknown {
  if (truncated) throw errors.tooLarge(limit);
  // A part sent as application/json arrives parsed; the SDK's (FormData string) arrives as text.
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw errors.invalidRequestStructure('The non-file part of a multipart body must hold the event as JSON.');
  }
}

export async function receiveMultipart(req: FastifyRequest, files: AttachmentFiles, config: Readonly<Config>, mode: UploadMode): Promise<ReceivedMultipart> {
  const uploads: StagedUpload[] = [];
  let json: unknown;
  let sawJson = false;
  const limits = {
    fileSize: config.attachments.maxSizeBytes,
    files: config.attachments.maxFilesPerRequest,
    fieldSize: config.http.bodyLimitBytes,
    // One field is allowed; a few more get through so that the second one is told apart (400).
    fields: 4,
    parts: config.attachments.maxFilesPerRequest + 4,
  };
  try {
    for await (const part of req.parts({ limits })) {
      if (part.type === 'file') {
        // At the limit busboy would go on reading (and dropping) the rest of the part: stop there.
        part.file.once('limit', () => part.file.destroy(errors.fileTooLarge(config.attachments.maxSizeBytes)));
        const staged = await files.stage(part.file);
        uploads.push({ ...staged, fileName: safeFileName(part.filename), type: safeMimeType(part.mimetype) });
        // Never keep a truncated prefix, whatever stopped the stream.
        if (part.file.truncated) throw errors.fileTooLarge(config.attachments.maxSizeBytes);
        continue;
      }
      if (mode === 'files-only') throw errors.invalidRequestStructure('Adding files takes file parts only.');
      if (sawJson) throw errors.invalidRequestStructure('A multipart event holds exactly one non-file part (the event JSON).');
      sawJson = true;
      json = parseJsonPart(part.value, part.valueTruncated, config.http.bodyLimitBytes);
    }
    if (mode === 'with-event' && !sawJson) throw errors.invalidRequestStructure('The multipart body has no part holding the event JSON.');
    if (mode === 'files-only' && uploads.length === 0) throw errors.invalidRequestStructure('The multipart body holds no file.');
  } catch (err) {
    await files.discard(uploads);
    throw toApiError(err, config);
  }
  return { json, uploads };
}
