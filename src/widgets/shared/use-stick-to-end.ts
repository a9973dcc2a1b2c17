import { useLayoutEffect, useRef } from 'preact/hooks';

/** How close to the end (px) still counts as "at the end": a reader one wheel notch away has left it. */
const END_SLACK_PX = 24;

/**
 * Keeps a scrolling log at its newest end while the reader leaves it there:
 * each time `content` changes, the element scrolls to its end, unless the
 * reader has scrolled back to read something older.
 *
 * @param axis `y` for a list growing downwards, `x` for a timeline growing rightwards.
 * @returns `ref` and `onScroll` for the scrolling element; `stick()` follows the end again.
 */
export function useStickToEnd<T extends HTMLElement>(content: unknown, axis: 'x' | 'y' = 'y') {
  const ref = useRef<T>(null);
  const atEnd = useRef(true);

  useLayoutEffect(() => {
    const element = ref.current;
    if (!element || !atEnd.current) return;
    if (axis === 'x') element.scrollLeft = element.scrollWidth;
    else element.scrollTop = element.scrollHeight;
  }, [content]);

  const onScroll = (event: { currentTarget: T }) => {
    const element = event.currentTarget;
    atEnd.current =
      axis === 'x'
        ? element.scrollLeft + element.clientWidth >= element.scrollWidth - END_SLACK_PX
        : element.scrollTop + element.clientHeight >= element.scrollHeight - END_SLACK_PX;
  };

  return { ref, onScroll, stick: () => void (atEnd.current = true) };
}
