/**
 * Renders mermaid sources to SVG strings in a headless Chromium, through
 * mermaid-isomorphic. Only cache misses get here (see rehype-mermaid-svg.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { MermaidConfig } from 'mermaid';
import type { Browser, BrowserType, LaunchOptions } from 'playwright';
import { HOW_TO_GET_CHROMIUM, chromiumLaunchOptions } from './find-chromium.ts';

/** The colour schemes every diagram is rendered in; the site CSS shows one. */
export const DIAGRAM_THEMES = ['light', 'dark'] as const;
export type DiagramTheme = (typeof DIAGRAM_THEMES)[number];

/** Renders one mermaid diagram. */
export interface DiagramRenderer {
  /**
   * Everything besides the source and theme that changes the output. It is part
   * of every cache key, so a new value re-renders every diagram.
   */
  readonly version: string;
  /** The SVG for `source` in `theme`, its ids made unique by `idPrefix`. */
  render(source: string, theme: DiagramTheme, idPrefix: string): Promise<string>;
}

/** The site's sans-serif stack (unquoted names are valid CSS and need no escaping in attributes). */
const FONT_FAMILY = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif';

const SHARED_CONFIG: MermaidConfig = {
  fontFamily: FONT_FAMILY,
  // Plain SVG <text> instead of HTML in <foreignObject>: the labels were measured
  // with the build machine's fonts, and HTML labels clip when the reader's font is
  // wider, while SVG text merely overhangs its box.
  htmlLabels: false,
  // Same input, same ids, same bytes: re-rendering a diagram leaves git clean.
  deterministicIds: true,
  securityLevel: 'strict',
  // Participants once, at the top: repeating them below doubles a diagram's height on a phone.
  sequence: { mirrorActors: false },
};

/** Mermaid configuration per theme. Mermaid leaves the SVG background transparent. */
export const MERMAID_CONFIG: Record<DiagramTheme, MermaidConfig> = {
  light: { ...SHARED_CONFIG, theme: 'neutral' },
  dark: { ...SHARED_CONFIG, theme: 'dark' },
};

/** `name@version` of an installed package, read from its package.json. */
function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  // Climb from the entry point: not every package exports its package.json.
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (manifest.name === name) return `${name}@${manifest.version}`;
    } catch {
      // No package.json at this level; keep climbing.
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the package.json of ${name}`);
    dir = parent;
  }
}

/** The {@link DiagramRenderer.version} of the Chromium renderer with the installed packages. */
export function chromiumRendererVersion(): string {
  return [packageVersion('mermaid'), packageVersion('mermaid-isomorphic'), JSON.stringify(MERMAID_CONFIG)].join(' ');
}

/** Options of {@link createChromiumRenderer}. */
export interface ChromiumRendererOptions {
  /** Playwright launch options; by default {@link chromiumLaunchOptions}. */
  launchOptions?: LaunchOptions;
  /** Milliseconds without renders after which the browser is closed. Default 1000. */
  idleCloseMs?: number;
}

/**
 * A renderer that launches one Chromium on its first render and shares it across
 * every diagram and file of the build, closing it once no render has run for
 * `idleCloseMs`. A failed launch rejects with instructions for getting a browser.
 */
export function createChromiumRenderer(options: ChromiumRendererOptions = {}): DiagramRenderer & {
  /** Closes the browser now, if one is running. */
  close(): Promise<void>;
} {
  const launchOptions = options.launchOptions ?? chromiumLaunchOptions();
  const idleCloseMs = options.idleCloseMs ?? 1000;
  let browser: Promise<Browser> | undefined;
  let renderMermaid: import('mermaid-isomorphic').MermaidRenderer | undefined;
  let version: string | undefined;
  // Browser contexts mermaid-isomorphic has open; it closes them without awaiting,
  // so the browser may only close once this is back to zero.
  let openContexts = 0;
  let contextsClosed: (() => void)[] = [];
  let idleTimer: NodeJS.Timeout | undefined;

  async function launch(): Promise<Browser> {
    const { chromium } = await import('playwright');
    try {
      return await chromium.launch(launchOptions);
    } catch (error) {
      browser = undefined;
      const firstLine = String((error as Error).message).split('\n')[0];
      const which = launchOptions.executablePath ?? "Playwright's own Chromium";
      throw new Error(
        `Rendering mermaid diagrams needs Chromium, and ${which} could not be launched:\n  ${firstLine}\n` +
          `Get a browser, then build again (the rendered SVGs are cached in the repo, so commit them):\n${HOW_TO_GET_CHROMIUM}`,
        { cause: error },
      );
    }
  }

  // mermaid-isomorphic launches a browser per burst of renders and closes it when
  // none is in flight: a relaunch (~1 s) for every file. It gets a stand-in whose
  // close() only ends one context, so one browser serves the whole build; we
  // close that browser once it has been idle for `idleCloseMs`.
  const sharedBrowserType = {
    async launch() {
      clearTimeout(idleTimer);
      browser ??= launch();
      const shared = await browser;
      openContexts += 1;
      return {
        newContext: shared.newContext.bind(shared),
        async close() {
          openContexts -= 1;
          if (openContexts > 0) return;
          for (const resolve of contextsClosed) resolve();
          contextsClosed = [];
          idleTimer = setTimeout(close, idleCloseMs);
        },
      };
    },
  } as unknown as BrowserType;

  async function close(): Promise<void> {
    if (openContexts > 0) await new Promise<void>((resolve) => contextsClosed.push(resolve));
    clearTimeout(idleTimer);
    const closing = browser;
    browser = undefined;
    await (await closing?.catch(() => undefined))?.close();
  }

  // Every render call opens a page that loads all 8 MB of mermaid.js (~1 s of CPU),
  // so requests made within a few milliseconds of each other (all the diagrams of
  // a file, and of files processed together) share one page per theme.
  const queues = new Map<DiagramTheme, QueuedRender[]>();

  async function renderQueue(theme: DiagramTheme): Promise<void> {
    const queue = queues.get(theme) ?? [];
    queues.delete(theme);
    try {
      // Imported lazily: a build whose diagrams are all cached never loads it.
      const { createMermaidRenderer } = await import('mermaid-isomorphic');
      renderMermaid ??= createMermaidRenderer({ browserType: sharedBrowserType });
      const results = await renderMermaid(
        queue.map((request) => request.source),
        { prefix: BATCH_PREFIX, mermaidConfig: MERMAID_CONFIG[theme] },
      );
      results.forEach((result, index) => {
        const { resolve, reject, idPrefix } = queue[index];
        if (result.status === 'rejected') {
          reject(new Error(`Mermaid cannot render this diagram: ${(result.reason as Error)?.message ?? result.reason}`));
        } else {
          // mermaid-isomorphic ids the n-th diagram of a call `${prefix}-${n}`, and
          // derives every inner id from that; give each its own prefix instead.
          resolve(result.value.svg.replace(new RegExp(`${BATCH_PREFIX}-${index}(?![0-9])`, 'g'), idPrefix));
        }
      });
    } catch (error) {
      // After a failed launch mermaid-isomorphic keeps the rejected browser for good;
      // start afresh next time (`astro dev` keeps running while a browser gets installed).
      renderMermaid = undefined;
      for (const { reject } of queue) reject(error);
    }
  }

  return {
    get version() {
      version ??= chromiumRendererVersion();
      return version;
    },
    render(source, theme, idPrefix) {
      return new Promise((resolve, reject) => {
        const queue = queues.get(theme);
        if (queue) {
          queue.push({ source, idPrefix, resolve, reject });
        } else {
          queues.set(theme, [{ source, idPrefix, resolve, reject }]);
          setTimeout(() => void renderQueue(theme), BATCH_WINDOW_MS);
        }
      });
    },
    close,
  };
}

/** The id prefix of a batch, replaced by each diagram's own; never seen outside this file. */
const BATCH_PREFIX = 'mermaid-batch';
/** How long a render request waits for others to share its page. */
const BATCH_WINDOW_MS = 20;

interface QueuedRender {
  source: string;
  idPrefix: string;
  resolve: (svg: string) => void;
  reject: (error: unknown) => void;
}
