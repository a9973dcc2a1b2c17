/**
 * Registers `client:reachable` (src/islands/client-reachable.ts), the directive lesson
 * widgets hydrate with: on view, on focus or on a press, with controls usable from the
 * first paint.
 */
import { fileURLToPath } from 'node:url';
import type { AstroIntegration } from 'astro';

declare module 'astro' {
  interface AstroClientDirectives {
    /** Hydrate when the island scrolls into view, takes focus or is pressed; early input is replayed. */
    'client:reachable'?: boolean;
  }
}

export function reachableIslands(): AstroIntegration {
  return {
    name: 'realtime-workbook:reachable-islands',
    hooks: {
      'astro:config:setup': ({ addClientDirective }) => {
        addClientDirective({
          name: 'reachable',
          entrypoint: fileURLToPath(new URL('./client-reachable.ts', import.meta.url)),
        });
      },
    },
  };
}
