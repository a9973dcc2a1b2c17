// @ts-check
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import node from '@astrojs/node';
import preact from '@astrojs/preact';
import { unified } from '@astrojs/markdown-remark';
import { rehypeMermaidSvg } from './src/build/rehype-mermaid-svg.ts';
import { searchIndex } from './src/build/search-index.ts';
import { precompressed } from './src/build/precompress.ts';
import { codeThemes } from './src/build/code-themes.ts';
import { reachableIslands } from './src/islands/reachable-islands.ts';

// In `npm run dev` the companion server runs beside Vite (see server/dev.ts);
// Vite forwards the server's paths to it, WebSocket upgrades included.
const companion = process.env.COMPANION_URL ?? 'http://127.0.0.1:4322';
const forwarded = { target: companion, changeOrigin: false };

export default defineConfig({
  // Every page is prerendered; the adapter renders the few that are not, inside server/app.ts.
  adapter: node({ mode: 'middleware' }),
  integrations: [mdx(), preact(), searchIndex(), reachableIslands(), precompressed()],
  markdown: {
    processor: unified({ rehypePlugins: [rehypeMermaidSvg] }),
    // Mermaid blocks become SVG at build time; Shiki must leave them alone.
    syntaxHighlight: { type: 'shiki', excludeLangs: ['mermaid'] },
    shikiConfig: { themes: codeThemes },
  },
  server: { port: 4321 },
  vite: {
    build: {
      rolldownOptions: {
        // Preact, its hooks, signals and JSX runtime load together on every page with an island:
        // one file instead of four saves ~0.8 KB gzip a page (bench/page-weight.ts).
        output: {
          codeSplitting: {
            groups: [
              { name: 'preact', test: /node_modules[\\/](preact|@preact)[\\/]/ },
              // What every page's layout scripts load (progress kept and synced, workshop membership, the
              // search opener and Vite's preload helper): one file instead of eight (bench/page-weight.ts).
              {
                name: 'site',
                test: /preload-helper|src[\\/](progress[\\/]|workshops[\\/]membership|search[\\/]open-search|components[\\/]progress[\\/]LessonStateIcon|protocol[\\/](api-routes|problem|workshops|merge-progress|progress)\.ts)/,
              },
            ],
          },
        },
        // Astro's MDX modules carry a "use astro:head-inject" directive that Astro
        // itself handles; the bundler warns about it once per lesson. Keep the log readable.
        onLog(level, log, handler) {
          if (log.code === 'MODULE_LEVEL_DIRECTIVE' && log.message.includes('astro:head-inject')) return;
          handler(level, log);
        },
      },
    },
    server: {
      proxy: {
        '/api': forwarded,
        '/healthz': forwarded,
        '/readyz': forwarded,
        '/ws': { ...forwarded, ws: true },
      },
    },
  },
});
