import { useEffect, useState } from 'preact/hooks';

/**
 * False in the server-rendered HTML and until the island's first effect, then
 * true: whether the widget's script has run (a note can say "still loading").
 */
export function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}
