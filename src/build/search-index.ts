/**
 * Site search: once the pages are written, Pagefind indexes the lessons into
 * dist/client/pagefind/, a static index the browser reads in small pieces
 * (src/search/). Only what carries `data-pagefind-body` is indexed: the
 * lessons' articles. Widgets, diagrams and code are left out: their words are
 * controls, labels and identifiers, not the lesson's prose.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AstroIntegration } from 'astro';
import * as pagefind from 'pagefind';

const LEFT_OUT = ['astro-island', 'svg', 'pre'];

export function searchIndex(): AstroIntegration {
  return {
    name: 'realtime-workbook:search-index',
    hooks: {
      'astro:build:done': async ({ dir, logger }) => {
        const site = fileURLToPath(dir);
        try {
          const { index, errors } = await pagefind.createIndex({ excludeSelectors: LEFT_OUT, forceLanguage: 'en' });
          if (!index) throw new Error(`Pagefind could not start: ${errors.join('; ')}`);
          const added = await index.addDirectory({ path: site });
          if (added.errors.length > 0) throw new Error(added.errors.join('; '));
          const written = await index.writeFiles({ outputPath: path.join(site, 'pagefind') });
          if (written.errors.length > 0) throw new Error(written.errors.join('; '));
          logger.info(`search index: ${added.page_count} pages in ${path.relative(process.cwd(), written.outputPath)}`);
        } finally {
          await pagefind.close();
        }
      },
    },
  };
}
