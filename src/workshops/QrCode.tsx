import { useEffect, useState } from 'preact/hooks';

/** The drawing of a QR code until its modules are known: a white square, so the layout does not move. */
const BLANK = { size: 1, d: '' };

/**
 * A QR code of `text` as inline SVG drawn by Preact (no markup strings),
 * always dark on white whatever the theme, so every phone camera reads it.
 * The encoder (the `qrcode` package, ≈ 9 kB gzip) loads when a code is first
 * drawn, not with the dashboard (bench/page-weight.ts).
 */
export function QrCode({ text, label, class: className }: { text: string; label: string; class?: string }) {
  const [{ size, d }, setDrawing] = useState(BLANK);
  useEffect(() => {
    let current = true;
    // Should the encoder fail to load, the square stays blank: the join code and link beside it still say how to join.
    import('./qr-path.ts').then(
      ({ qrPath }) => current && setDrawing(qrPath(text)),
      () => {},
    );
    return () => {
      current = false;
    };
  }, [text]);
  return (
    <svg class={className} viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      {d && <path d={d} fill="#000" />}
    </svg>
  );
}
