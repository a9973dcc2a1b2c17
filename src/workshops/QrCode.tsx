import { useMemo } from 'preact/hooks';
import { qrPath } from './qr-path.ts';

/**
 * A QR code of `text` as inline SVG drawn by Preact (no markup strings),
 * always dark on white whatever the theme, so every phone camera reads it.
 */
export function QrCode({ text, label, class: className }: { text: string; label: string; class?: string }) {
  const { size, d } = useMemo(() => qrPath(text), [text]);
  return (
    <svg class={className} viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
