/**
 * Turns mermaid's SVG markup into a hast `<svg>` element that can be inlined in
 * an HTML page next to other diagrams.
 */
import type { Element, Nodes } from 'hast';
import { fromHtml } from 'hast-util-from-html';
import { visit } from 'unist-util-visit';

/**
 * Parses `svg` (mermaid-isomorphic serialises it as XML) with the HTML parser, the
 * way a browser will read it once inlined, and drops the ids nothing refers to.
 * Mermaid gives some elements ids without the diagram's prefix (`actor0`,
 * `root-0` in sequence diagrams); unreferenced, they only collide with the other
 * diagrams on the page.
 */
export function parseDiagramSvg(svg: string): Element {
  const problems: string[] = [];
  const root = fromHtml(svg, { fragment: true, onerror: (error) => void problems.push(error.reason) });
  const [element, ...rest] = root.children;
  if (element?.type !== 'element' || element.tagName !== 'svg' || rest.length > 0 || problems.length > 0) {
    throw new Error(`Mermaid's output is not a single well-formed <svg>: ${problems[0] ?? svg.slice(0, 80)}`);
  }
  const referenced = referencedIds(element);
  const flowchartNodeId = flowchartNodeIdReader(element);
  visit(element, 'element', (node) => {
    const { properties } = node;
    const nodeId = flowchartNodeId(node);
    if (nodeId !== undefined) properties.dataNodeId = nodeId;
    if (properties.id !== undefined && !referenced.has(String(properties.id))) delete properties.id;
    // hast names both `data-type` and RDFa's `datatype` `dataType`, and writes it
    // back as `datatype`; mermaid only ever means `data-type`.
    if (properties.dataType !== undefined) {
      properties['data-type'] = properties.dataType;
      delete properties.dataType;
    }
  });
  // Sequence diagrams define icons (a 13 kB database among them) whether or not an
  // actor uses one; a <symbol> that lost its id above can never be drawn.
  removeElements(element, (node) => node.tagName === 'symbol' && node.properties.id === undefined);
  removeElements(element, (node) => node.tagName === 'defs' && node.children.length === 0);
  return element;
}

/**
 * Flowchart nodes lose their mermaid ids (`<prefix>-flowchart-<node id>-<n>`) with
 * the other unreferenced ids; the node id stays as `data-node-id`, so that page
 * scripts can find a node by the id its source gave it. Edges need nothing: mermaid
 * already marks them `data-id="L_<from>_<to>_<n>"`.
 */
function flowchartNodeIdReader(svg: Element): (node: Element) => string | undefined {
  const prefix = svg.properties.id;
  if (typeof prefix !== 'string') return () => undefined;
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-flowchart-(.+)-\\d+$`);
  return (node) => {
    const className = node.properties.className;
    if (node.tagName !== 'g' || !Array.isArray(className) || !className.includes('node')) return undefined;
    return pattern.exec(String(node.properties.id ?? ''))?.[1];
  };
}

/** The text of the SVG's own `<title>`, which mermaid writes from `accTitle`. */
export function diagramTitle(svg: Element): string | undefined {
  const title = svg.children.find((child) => child.type === 'element' && child.tagName === 'title');
  return (title && textContent(title).trim()) || undefined;
}

/**
 * Makes `svg` one image with the accessible name `label`: `role="img"` replaces
 * mermaid's `graphics-document`, whose role description ("flowchart-v2") would be
 * read out instead of "image". A `<desc>` stays linked as the description.
 */
export function labelDiagramSvg(svg: Element, className: string, label: string): void {
  const { properties } = svg;
  properties.className = [...((properties.className as string[] | undefined) ?? []), className];
  properties.role = 'img';
  properties.ariaLabel = label;
  delete properties.ariaLabelledBy;
  delete properties.ariaRoleDescription;
}

/** Every id that an attribute (`url(#…)`, `href="#…"`, `aria-*by`) or a `<style>` rule of `svg` points at. */
function referencedIds(svg: Element): Set<string> {
  const ids = new Set<string>();
  const collect = (text: string, pattern: RegExp) => {
    for (const match of text.matchAll(pattern)) ids.add(match[1]);
  };
  visit(svg, (node) => {
    if (node.type === 'text') {
      // Only <style> holds text that names ids; over-collecting (#ccc) is harmless.
      collect(node.value, /#([\w-]+)/g);
      return;
    }
    if (node.type !== 'element') return;
    for (const [name, value] of Object.entries(node.properties)) {
      const values = Array.isArray(value) ? value.map(String) : [String(value)];
      for (const text of values) {
        collect(text, /url\(\s*['"]?#([^)'"\s]+)/g);
        if ((name === 'href' || name === 'xLinkHref') && text.startsWith('#')) ids.add(text.slice(1));
        if (name === 'ariaDescribedBy' || name === 'ariaLabelledBy') ids.add(text);
      }
    }
  });
  return ids;
}

function removeElements(parent: Element, unwanted: (node: Element) => boolean): void {
  parent.children = parent.children.filter((child) => child.type !== 'element' || !unwanted(child));
  for (const child of parent.children) if (child.type === 'element') removeElements(child, unwanted);
}

function textContent(node: Nodes): string {
  if (node.type === 'text') return node.value;
  return 'children' in node ? node.children.map(textContent).join('') : '';
}

/**
 * Mermaid writes the diagram's text size in its root style rule (`#<id>{…font-size:16px…}`)
 * and in inline `style="font-size: …"` on sequence-diagram text; other rules (tooltips,
 * titles) style what lessons never show. The smallest of these, in SVG units.
 */
export function smallestTextSize(svg: Element): number | undefined {
  const sizes: number[] = [];
  const collect = (css: string) => {
    for (const match of css.matchAll(/font-size:\s*([\d.]+)px/g)) sizes.push(Number(match[1]));
  };
  const id = svg.properties.id;
  visit(svg, 'element', (node) => {
    if (node.tagName === 'style' && typeof id === 'string') {
      const root = new RegExp(`#${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\{([^}]*)\\}`).exec(textContent(node));
      if (root) collect(root[1]);
    }
    if (typeof node.properties.style === 'string') collect(node.properties.style);
    if (node.properties.fontSize !== undefined) sizes.push(Number.parseFloat(String(node.properties.fontSize)));
  });
  const valid = sizes.filter((size) => size > 0);
  return valid.length > 0 ? Math.min(...valid) : undefined;
}

/**
 * Gives `svg` a minimum width at which its smallest text renders at `minTextPx` CSS pixels
 * or more. The SVG otherwise shrinks to its container, and on a phone a wide diagram's
 * text shrank to 6 px; now a narrow `.diagram` figure scrolls sideways instead.
 */
export function keepTextReadable(svg: Element, minTextPx: number): void {
  const viewBoxWidth = Number(
    String(svg.properties.viewBox ?? '')
      .trim()
      .split(/[\s,]+/)[2],
  );
  const textSize = smallestTextSize(svg) ?? 16;
  if (!(viewBoxWidth > 0)) return;
  const minWidth = Math.ceil((viewBoxWidth * minTextPx) / textSize);
  const style = typeof svg.properties.style === 'string' ? svg.properties.style.trim() : '';
  svg.properties.style = `${style}${style && !style.endsWith(';') ? ';' : ''} min-width: ${minWidth}px;`.trim();
}
