import sharp, { type Metadata } from 'sharp';
import { errors, type ApiError } from '../errors/index.js';
import type { Size } from './sizing.js';

/**
 * The one place sharp is used (Pryv API §7). Inputs are hostile until proven otherwise: the pixel
 * count is checked on the header before any decoding (decompression bombs), sharp enforces it again
 * while decoding (`limitInputPixels`), and a conversion is stopped after `timeoutMs`. Every failure
 * is an ApiError 422 corrupted-data: one bad file never takes the worker down.
 */

export interface RenderLimits {
  maxInputPixels: number;
  timeoutMs: number;
}

// The worker reads each source once per preview: libvips' operation cache would only hold files
// open and memory used. Process-wide, set once, and only the previews worker loads this module.
sharp.cache(false);

function unusable(reason: string, err?: unknown): ApiError {
  const messages: Record<string, string> = {
    'pixel-limit': 'The image has too many pixels to preview.',
    timeout: 'The image took too long to convert.',
    unreadable: 'The attached file is not a readable image.',
  };
  return errors.corruptedData(messages[reason] ?? 'The image cannot be previewed.', { reason }, err);
}

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) return 'pixel-limit';
  if (/timeout/i.test(message)) return 'timeout';
  return 'unreadable';
}

/** Width and height as displayed (EXIF orientation applied), from the header only. */
export async function imageSize(path: string, limits: RenderLimits): Promise<Size> {
  let meta: Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: limits.maxInputPixels }).metadata();
  } catch (err) {
    throw unusable(reasonOf(err), err);
  }
  const { width, height } = meta.autoOrient;
  if (!(width > 0 && height > 0)) throw unusable('unreadable');
  if (width * height > limits.maxInputPixels) throw unusable('pixel-limit');
  return { width, height };
}

/** Writes a progressive JPEG of exactly `size` (first frame of animations, transparency on white). */
export async function renderJpeg(source: string, target: string, size: Size, limits: RenderLimits): Promise<void> {
  try {
    await sharp(source, { limitInputPixels: limits.maxInputPixels, pages: 1, autoOrient: true })
      .resize(size.width, size.height, { fit: 'fill' })
      .flatten({ background: '#ffffff' })
      .jpeg({ progressive: true, quality: 80 })
      // sharp counts whole seconds (at least 1).
      .timeout({ seconds: Math.max(1, Math.ceil(limits.timeoutMs / 1000)) })
      .toFile(target);
  } catch (err) {
    throw unusable(reasonOf(err), err);
  }
}
