import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Element, Root } from 'hast';
import { toHtml } from 'hast-util-to-html';
import { unified } from 'unified';
import { VFile } from 'vfile';
import { findChromium } from '../../../src/build/find-chromium.ts';
import { type DiagramRenderer, createChromiumRenderer } from '../../../src/build/mermaid-renderer.ts';
import { rehypeMermaidSvg, renderMermaidFigure, splitCaption } from '../../../src/build/rehype-mermaid-svg.ts';

/** The hast Astro hands to rehype plugins for a ```mermaid fence (Shiki excludes mermaid). */
function pageWith(...sources: string[]): Root {
  return {
    type: 'root',
    children: sources.map((source) => ({
      type: 'element',
      tagName: 'pre',
      properties: {},
      children: [
        { type: 'element', tagName: 'code', properties: { className: ['language-mermaid'] }, children: [{ type: 'text', value: source }] },
      ],
    })),
  };
}

async function run(tree: Root, options: Parameters<typeof rehypeMermaidSvg>[0]): Promise<Root> {
  const file = new VFile({ path: 'content/lessons/00-test.mdx' });
  return (await unified().use(rehypeMermaidSvg, options).run(tree, file)) as Root;
}

function temporaryCache(): string {
  const dir = mkdtempSync(join(tmpdir(), 'diagram-cache-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A renderer that needs no browser: it returns a minimal SVG in mermaid's shape. */
function fakeRenderer(): DiagramRenderer & { calls: number } {
  return {
    version: 'fake 1',
    calls: 0,
    async render(source, theme, prefix) {
      this.calls += 1;
      return (
        `<svg id="${prefix}" xmlns="http://www.w3.org/2000/svg" role="graphics-document document" aria-roledescription="flowchart-v2">` +
        `<style>#${prefix} .node{fill:${theme === 'dark' ? '#111' : '#eee'}}</style>` +
        `<marker id="${prefix}-arrow"/><path marker-end="url(#${prefix}-arrow)"/><g id="actor0"/>` +
        `<defs><symbol id="${prefix}-database"><path d="M0 0"/></symbol></defs>` +
        `<defs><symbol id="${prefix}-clock"><path d="M1 1"/></symbol></defs><use href="#${prefix}-clock"/>` +
        `<text>${source.length}</text></svg>`
      );
    },
  };
}

const refusingRenderer: DiagramRenderer = {
  version: 'fake 1',
  render: async () => {
    throw new Error('no browser here');
  },
};

const figures = (tree: Root) => tree.children as Element[];
const svgsOf = (figure: Element) =>
  figure.children.filter((child): child is Element => child.type === 'element' && child.tagName === 'svg');

describe('splitCaption', () => {
  it('takes a first-line `%% caption:` comment out of the source', () => {
    assert.deepEqual(splitCaption('%% caption: Short polling, one request per tick\nflowchart LR\n  A --> B\n'), {
      caption: 'Short polling, one request per tick',
      source: 'flowchart LR\n  A --> B',
    });
  });

  it('leaves a diagram without caption alone and ignores CRLF line ends', () => {
    assert.deepEqual(splitCaption('flowchart LR\r\n  A --> B\r\n'), { source: 'flowchart LR\n  A --> B' });
  });
});

describe('rehypeMermaidSvg with a stand-in renderer', () => {
  it('turns a mermaid block into a figure with a light and a dark SVG and a caption', async () => {
    const renderer = fakeRenderer();
    const [figure] = figures(
      await run(pageWith('%% caption: Two boxes\nflowchart LR\n  A --> B'), { cacheDir: temporaryCache(), renderer }),
    );

    assert.equal(figure.tagName, 'figure');
    assert.deepEqual(figure.properties.className, ['diagram']);
    const [light, dark] = svgsOf(figure);
    assert.deepEqual(light.properties.className, ['diagram-light']);
    assert.deepEqual(dark.properties.className, ['diagram-dark']);
    for (const svg of [light, dark]) {
      assert.equal(svg.properties.role, 'img');
      assert.equal(svg.properties.ariaLabel, 'Two boxes');
      assert.equal(svg.properties.ariaRoleDescription, undefined);
    }
    assert.match(toHtml(figure), /<figcaption>Two boxes<\/figcaption><\/figure>$/);
    assert.equal(renderer.calls, 2);
  });

  it('keeps the ids and icons that are referenced, drops the others, and never repeats an id on a page', async () => {
    const source = 'flowchart LR\n  A --> B';
    const tree = await run(pageWith(source, source), { cacheDir: temporaryCache(), renderer: fakeRenderer() });
    const html = toHtml(tree);
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((match) => match[1]);

    assert.equal(new Set(ids).size, ids.length, `duplicate ids in ${ids}`);
    assert.equal(ids.length, 12, 'two figures × two themes × (root + marker + clock)');
    assert.doesNotMatch(html, /actor0|database|M0 0/);
    assert.equal(html.match(/<defs>/g)?.length, 4, 'only the clock icon is left');
    for (const id of ids) assert.ok(html.includes(`#${id}`), `${id} is referenced`);
  });

  it('renders each diagram once and then serves it from the cache without a renderer', async () => {
    const cacheDir = temporaryCache();
    const renderer = fakeRenderer();
    const first = toHtml(await run(pageWith('flowchart LR\n  A --> B'), { cacheDir, renderer }));
    assert.equal(readdirSync(cacheDir).filter((name) => name.endsWith('.svg')).length, 2);

    const second = toHtml(await run(pageWith('flowchart LR\n  A --> B'), { cacheDir, renderer: refusingRenderer }));
    assert.equal(second, first);
    assert.equal(renderer.calls, 2);
  });

  it('fails the build on a cache miss that cannot be rendered, naming the cache', async () => {
    await assert.rejects(
      run(pageWith('flowchart LR\n  new --> diagram'), { cacheDir: temporaryCache(), renderer: refusingRenderer }),
      (error: Error) => /not in the diagram cache/.test(error.message) && /no browser here/.test(error.message),
    );
  });
});

describe('renderMermaidFigure', () => {
  /** A stand-in that draws flowchart nodes the way mermaid ids them. */
  const flowchartRenderer: DiagramRenderer = {
    version: 'fake flowchart 1',
    async render(_source, _theme, prefix) {
      return (
        `<svg id="${prefix}" xmlns="http://www.w3.org/2000/svg"><style>#${prefix} .node{fill:#eee}</style>` +
        `<g class="nodes"><g class="node default" id="${prefix}-flowchart-two-way-0"><rect/></g>` +
        `<g class="node default leaf" id="${prefix}-flowchart-sse-2"><rect/></g></g>` +
        `<path class="flowchart-link" id="${prefix}-L_two-way_sse_0" data-id="L_two-way_sse_0"/></svg>`
      );
    },
  };

  it('renders a generated diagram to the same figure as a fenced one, with its own attributes', async () => {
    const cacheDir = temporaryCache();
    const source = '%% caption: A tree\nflowchart TD\n  two-way --> sse';
    const figure = { className: ['decision-tree'], attributes: { 'data-decision-tree': '', id: 'decision-tree' } };
    const html = await renderMermaidFigure(source, { cacheDir, renderer: flowchartRenderer, ...figure });
    assert.match(html, /^<figure class="diagram decision-tree" data-decision-tree="" id="decision-tree"><svg /);
    assert.match(html, /<figcaption>A tree<\/figcaption><\/figure>$/);
    assert.equal(html.match(/ class="diagram-(light|dark)"/g)?.length, 2);
    assert.equal(readdirSync(cacheDir).filter((name) => name.endsWith('.svg')).length, 2);
    // Served from the cache the second time, with no renderer at all.
    const offline = { ...refusingRenderer, version: flowchartRenderer.version };
    assert.equal(await renderMermaidFigure(source, { cacheDir, renderer: offline, ...figure }), html);
  });

  it('keeps each flowchart node id as data-node-id once the unreferenced ids are gone', async () => {
    const html = await renderMermaidFigure('flowchart TD\n  two-way --> sse', { cacheDir: temporaryCache(), renderer: flowchartRenderer });
    assert.equal(html.match(/data-node-id="two-way"/g)?.length, 2);
    assert.equal(html.match(/data-node-id="sse"/g)?.length, 2);
    assert.equal(html.match(/data-id="L_two-way_sse_0"/g)?.length, 2);
    assert.doesNotMatch(html, /flowchart-two-way-0/);
  });

  it('fails with the cache and the reason when a diagram can be neither found nor rendered', async () => {
    await assert.rejects(
      renderMermaidFigure('flowchart TD\n  a --> b', { cacheDir: temporaryCache(), renderer: refusingRenderer }),
      (error: Error) => /not in the diagram cache/.test(error.message) && /no browser here/.test(error.message),
    );
  });
});

describe('rehypeMermaidSvg with Chromium', () => {
  it('explains how to get a browser when none can be launched', async () => {
    const renderer = createChromiumRenderer({ launchOptions: { executablePath: '/nonexistent/chromium' } });
    await assert.rejects(
      run(pageWith('flowchart LR\n  no --> browser'), { cacheDir: temporaryCache(), renderer }),
      (error: Error) =>
        /CHROMIUM_PATH/.test(error.message) &&
        /apt-get install -y chromium/.test(error.message) &&
        /npx playwright install chromium/.test(error.message),
    );
  });

  const chromiumPath = findChromium();
  it('renders a cache miss in Chromium, then builds from the cache with no browser', {
    skip: chromiumPath ? false : 'no Chromium found (set CHROMIUM_PATH or apt-get install chromium)',
  }, async () => {
    const cacheDir = temporaryCache();
    const source = [
      '%% caption: The client asks, the server answers at once',
      'sequenceDiagram',
      '  accTitle: Short polling',
      '  accDescr: The client sends GET /api/poll every two seconds; the server replies with the events since its cursor.',
      '  participant C as Client',
      '  participant S as Server',
      '  C->>S: GET /api/poll?since=41',
      '  S-->>C: 200 [42, 43]',
    ].join('\n');

    const renderer = createChromiumRenderer();
    let started = performance.now();
    const rendered = toHtml(await run(pageWith(source), { cacheDir, renderer }));
    const missMs = performance.now() - started;
    await renderer.close();

    assert.equal(readdirSync(cacheDir).filter((name) => name.endsWith('.svg')).length, 2);
    const svgTags = rendered.match(/<svg [^>]*>/g) ?? [];
    assert.equal(svgTags.length, 2);
    assert.match(svgTags[0], /class="([^"]* )?diagram-light"/);
    assert.match(svgTags[1], /class="([^"]* )?diagram-dark"/);
    for (const tag of svgTags) {
      assert.match(tag, /role="img"/);
      assert.match(tag, /aria-label="Short polling"/);
      const describedBy = /aria-describedby="([^"]+)"/.exec(tag)?.[1];
      assert.ok(rendered.includes(`<desc id="${describedBy}">The client sends GET /api/poll`));
    }
    assert.match(rendered, /<figcaption>The client asks, the server answers at once<\/figcaption><\/figure>$/);
    assert.match(rendered, / data-type="participant"/);
    assert.doesNotMatch(rendered, /<script|foreignObject/);

    const offline = createChromiumRenderer({ launchOptions: { executablePath: '/nonexistent/chromium' } });
    started = performance.now();
    const cached = toHtml(await run(pageWith(source), { cacheDir, renderer: offline }));
    const hitMs = performance.now() - started;
    assert.equal(cached, rendered);
    console.log(`# one diagram (light + dark): cache miss ${missMs.toFixed(0)} ms, cache hit ${hitMs.toFixed(1)} ms (${chromiumPath})`);
  });
});

describe('the committed diagram cache', () => {
  it('holds only SVG files', () => {
    const dir = 'src/build/diagram-cache';
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) assert.match(name, /^[0-9a-f]{64}\.svg$|^README\.md$/);
  });
});
