import { create } from 'qrcode';

/** The quiet zone around the symbol, in modules (ISO/IEC 18004 §6.3.8 asks for 4). */
export const QUIET_ZONE = 4;

/**
 * One SVG path drawing the dark modules of `text`'s QR code, a
 * `M x y h1v1h-1z` square per module, in module units, quiet zone included
 * in `size`. Error correction M: a projector's glare can hide some of it.
 */
export function qrPath(text: string): { size: number; d: string } {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  let d = '';
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) d += `M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`;
    }
  }
  return { size: modules.size + QUIET_ZONE * 2, d };
}
