/**
 * Rehype plugin: mermaid code blocks become inline SVG at build time, so pages
 * ship no mermaid JavaScript.
 *
 * Each diagram is rendered twice, light and dark, into src/build/diagram-cache/
 * (committed). A build whose diagrams are all cached needs no browser; only a new
 * or edited diagram launches Chromium (see find-chromium.ts).
 */
import { relative, resolve } from 'node:path';
import type { Element, ElementContent, Root } from 'hast';
import { toHtml } from 'hast-util-to-html';
import { visit } from 'unist-util-visit';
import type { VFile } from 'vfile';
import { DEFAULT_DIAGRAM_CACHE_DIR, diagramCacheKey, readCachedSvg, writeCachedSvg } from './diagram-cache.ts';
import { diagramTitle, keepTextReadable, labelDiagramSvg, parseDiagramSvg } from './diagram-svg.ts';
import { DIAGRAM_THEMES, type DiagramRenderer, type DiagramTheme, createChromiumRenderer } from './mermaid-renderer.ts';

/** Options of {@link rehypeMermaidSvg}. */
export interface RehypeMermaidSvgOptions {
  /** Folder of cached SVGs. Relative paths resolve from the cwd, the project root under `astro build`. */
  cacheDir?: string;
  /** Renders cache misses. Default: one Chromium shared by every file of the build. */
  renderer?: DiagramRenderer;
}

/** A first source line `%% caption: …` becomes the figure's `<figcaption>` (a comment, so mermaid ignores it). */
const CAPTION_LINE = /^\s*%%\s*caption:(.*)$/;

/** No diagram text renders smaller than this (CSS px): a narrow screen scrolls the diagram instead. */
const MIN_TEXT_PX = 12;

let sharedRenderer: DiagramRenderer | undefined;

/**
 * Replaces every ```` ```mermaid ```` block (`<pre><code class="language-mermaid">`,
 * which Shiki leaves alone when `excludeLangs` lists mermaid) with
 *
 * ```html
 * <figure class="diagram">
 *   <svg class="diagram-light" role="img" aria-label="…">…</svg>
 *   <svg class="diagram-dark" role="img" aria-label="…">…</svg>
 *   <figcaption>…</figcaption>  <!-- only with a `%% caption:` line -->
 * </figure>
 * ```
 *
 * The label is the diagram's `accTitle`, else its caption, else "Diagram"; an
 * `accDescr` stays linked by `aria-describedby`. The site CSS shows one SVG per theme.
 * Each SVG gets a `min-width` at which its text is at least 12 px; a narrower figure
 * scrolls (and src/a11y/tab-stops-where-scrolling.ts makes it a Tab stop).
 */
export function rehypeMermaidSvg(options: RehypeMermaidSvgOptions = {}) {
  const cacheDir = resolve(options.cacheDir ?? DEFAULT_DIAGRAM_CACHE_DIR);

  return async (tree: Root, file: VFile): Promise<void> => {
    const blocks: { pre: Element; parent: Root | Element; source: string }[] = [];
    visit(tree, 'element', (node, _index, parent) => {
      const source = mermaidSource(node);
      if (source !== undefined && parent) blocks.push({ pre: node, parent, source });
    });
    if (blocks.length === 0) return;

    const renderer = options.renderer ?? (sharedRenderer ??= createChromiumRenderer());
    // Ids are unique per diagram source; a diagram shown twice on one page gets a
    // numbered copy of its ids.
    const prefixUses = new Map<string, number>();

    await Promise.all(
      blocks.map(async ({ pre, parent, source }) => {
        const figure = await diagramFigure(source, {
          renderer,
          cacheDir,
          prefixUses,
          fail(message) {
            const line = pre.position ? ` at line ${pre.position.start.line}` : '';
            file.fail(message.replace('The mermaid diagram', `The mermaid diagram${line}`), {
              place: pre.position,
              source: 'rehype-mermaid-svg',
            });
          },
        });
        parent.children[parent.children.indexOf(pre)] = figure;
      }),
    );
  };
}

/** Options of {@link renderMermaidFigure}. */
export interface MermaidFigureOptions extends RehypeMermaidSvgOptions {
  /** Classes of the `<figure>` besides `diagram`. */
  className?: string[];
  /** Attributes of the `<figure>`, e.g. `{ 'data-decision-tree': '' }`. */
  attributes?: Record<string, string>;
}

/**
 * Renders one mermaid source, with an optional first-line `%% caption: …`, to the
 * same `<figure class="diagram">` HTML as a ```` ```mermaid ```` block, through the
 * same cache and renderer. For Astro components that generate a diagram from data
 * at build time (`<Fragment set:html={await renderMermaidFigure(source)} />`).
 * Ids get the same per-source prefix as in a lesson, so one page should not show
 * a generated diagram and an identical fenced one.
 */
export async function renderMermaidFigure(text: string, options: MermaidFigureOptions = {}): Promise<string> {
  const renderer = options.renderer ?? (sharedRenderer ??= createChromiumRenderer());
  const figure = await diagramFigure(text, {
    renderer,
    cacheDir: resolve(options.cacheDir ?? DEFAULT_DIAGRAM_CACHE_DIR),
    prefixUses: new Map(),
    fail(message) {
      throw new Error(message);
    },
  });
  figure.properties.className = ['diagram', ...(options.className ?? [])];
  Object.assign(figure.properties, options.attributes);
  return toHtml(figure);
}

interface FigureContext {
  renderer: DiagramRenderer;
  cacheDir: string;
  /** Uses of each id prefix so far on this page. */
  prefixUses: Map<string, number>;
  /** Reports an unrenderable diagram; must throw. */
  fail(message: string): never;
}

/** The `<figure class="diagram">` of one mermaid block's text (caption line included). */
async function diagramFigure(text: string, context: FigureContext): Promise<Element> {
  const { renderer, cacheDir, prefixUses } = context;
  const { caption, source } = splitCaption(text);

  async function themedSvg(theme: DiagramTheme): Promise<Element> {
    const key = diagramCacheKey({ source, theme, rendererVersion: renderer.version });
    const prefix = `mmd-${key.slice(0, 12)}`;
    const uses = (prefixUses.get(prefix) ?? 0) + 1;
    prefixUses.set(prefix, uses);
    let svg: string;
    try {
      svg = readCachedSvg(cacheDir, key) ?? (await renderToCache(cacheDir, key, () => renderer.render(source, theme, prefix)));
    } catch (error) {
      context.fail(
        `The mermaid diagram (${theme} theme) is not in the diagram cache ` +
          `${relative(process.cwd(), cacheDir) || '.'}, and rendering it failed.\n${(error as Error).message}`,
      );
    }
    return parseDiagramSvg(uses === 1 ? svg : svg.replaceAll(prefix, `${prefix}-${uses}`));
  }

  const svgs = await Promise.all(DIAGRAM_THEMES.map(themedSvg));
  const label = diagramTitle(svgs[0]) ?? caption ?? 'Diagram';
  svgs.forEach((svg, i) => {
    labelDiagramSvg(svg, `diagram-${DIAGRAM_THEMES[i]}`, label);
    keepTextReadable(svg, MIN_TEXT_PX);
  });
  const children: ElementContent[] = [...svgs];
  if (caption) {
    children.push({ type: 'element', tagName: 'figcaption', properties: {}, children: [{ type: 'text', value: caption }] });
  }
  return { type: 'element', tagName: 'figure', properties: { className: ['diagram'] }, children };
}

/** Renders in progress by cache file, so that pages sharing a new diagram render it once. */
const rendering = new Map<string, Promise<string>>();

function renderToCache(cacheDir: string, key: string, render: () => Promise<string>): Promise<string> {
  const path = `${cacheDir}/${key}`;
  let svg = rendering.get(path);
  if (!svg) {
    svg = render()
      .then((rendered) => {
        writeCachedSvg(cacheDir, key, rendered);
        return rendered;
      })
      .finally(() => rendering.delete(path));
    rendering.set(path, svg);
  }
  return svg;
}

/** The text of a `<pre><code class="language-mermaid">` block, or `undefined` for any other node. */
function mermaidSource(node: Element): string | undefined {
  if (node.tagName !== 'pre' || node.children.length !== 1) return undefined;
  const [code] = node.children;
  if (code.type !== 'element' || code.tagName !== 'code') return undefined;
  const className = code.properties.className;
  if (!Array.isArray(className) || !className.includes('language-mermaid')) return undefined;
  return code.children.map((child) => (child.type === 'text' ? child.value : '')).join('');
}

/**
 * Separates a first-line `%% caption: …` from the diagram, so that editing the
 * caption does not change the cache key.
 */
export function splitCaption(text: string): { caption?: string; source: string } {
  // Windows checkouts may have CRLF; the cache key must not depend on that.
  const lines = text.replace(/\r\n?/g, '\n').trim().split('\n');
  const caption = CAPTION_LINE.exec(lines[0])?.[1].trim();
  if (caption === undefined) return { source: lines.join('\n') };
  return { caption: caption || undefined, source: lines.slice(1).join('\n').trim() };
}
