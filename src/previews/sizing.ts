/**
 * Preview dimensions (Pryv API §7, §9 #26). Pure: no I/O.
 * - Nothing asked: fit a 256×256 box.
 * - Otherwise the constraining side is the width, unless the asked box is relatively taller than the
 *   image; it is snapped UP to the smallest standard size ≥ the request (256, 512, 768, 1024; the
 *   reference takes the next one strictly above), the other side follows the image's ratio, and
 *   both stay ≤ 1024 (scaled down together, so the ratio holds).
 */

export const STANDARD_SIZES = [256, 512, 768, 1024] as const;
const MAX = 1024;

export interface Size {
  width: number;
  height: number;
}

export interface Desired {
  width: number | null;
  height: number | null;
}

export function snapUp(value: number): number {
  return STANDARD_SIZES.find((s) => s >= value) ?? MAX;
}

export function previewSize(original: Size, desired: Desired): Size {
  const ratio = original.width / original.height;
  let width: number;
  let height: number;
  if (desired.width === null && desired.height === null) {
    const box = STANDARD_SIZES[0];
    if (ratio >= 1) [width, height] = [box, box / ratio];
    else [width, height] = [box * ratio, box];
  } else if (desired.height === null || (desired.width !== null && desired.width / desired.height > ratio)) {
    width = snapUp(desired.width ?? 0);
    height = width / ratio;
  } else {
    height = snapUp(desired.height);
    width = height * ratio;
  }
  const scale = Math.min(1, MAX / width, MAX / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
