/**
 * A box that scrolls is a Tab stop; a box that fits is not.
 *
 * A keyboard reader scrolls a box with the arrow keys once it has focus, so every code
 * block, table, diagram or widget box that has more content than room (overflow auto or
 * scroll) gets `tabindex="0"` and a name (WCAG 2.1.1; axe's "scrollable-region-focusable").
 * Where it all fits, Tab should not stop on it: Shiki makes every code block a Tab stop,
 * and this takes that back where nothing scrolls.
 *
 * Boxes are checked when laid out, whenever their size changes (a resize, a `<details>`
 * opening) and whenever content is added (a widget's log grows). A box whose author set a
 * tabindex (other than Shiki's on code blocks) is left alone, and so is one that holds
 * controls, which Tab reaches anyway (the lesson list in the sidebar).
 */
export function tabStopsWhereScrolling(root: HTMLElement = document.body): void {
  const boxes = new Set<HTMLElement>();
  /** What this module added to a box, to take back when it stops scrolling. */
  const added = new Map<HTMLElement, string[]>();
  const resized = new ResizeObserver(() => schedule());
  let pending = false;

  const consider = (node: Node) => {
    if (!(node instanceof HTMLElement) || boxes.has(node)) return;
    if (node.hasAttribute('tabindex') && node.tagName !== 'PRE') return;
    const { overflowX, overflowY } = getComputedStyle(node);
    if (!/auto|scroll/.test(overflowX + overflowY)) return;
    boxes.add(node);
    // Observing fires once at once: the first check comes with the first layout.
    resized.observe(node);
  };
  const considerAll = (node: Node) => {
    consider(node);
    if (node instanceof HTMLElement) for (const element of node.querySelectorAll('*')) consider(element);
  };

  const update = () => {
    pending = false;
    for (const box of boxes) {
      if (!box.isConnected) {
        boxes.delete(box);
        added.delete(box);
        resized.unobserve(box);
      } else if (scrolls(box) && !holdsControls(box)) {
        if (!added.has(box)) added.set(box, makeTabStop(box));
      } else {
        for (const name of added.get(box) ?? []) box.removeAttribute(name);
        added.delete(box);
        if (box.tagName === 'PRE') box.removeAttribute('tabindex');
      }
    }
  };
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(update);
  };

  considerAll(root);
  new MutationObserver((records) => {
    for (const record of records) record.addedNodes.forEach(considerAll);
    schedule();
  }).observe(root, { childList: true, subtree: true });
}

function scrolls(box: HTMLElement): boolean {
  const { overflowX, overflowY } = getComputedStyle(box);
  return (
    (/auto|scroll/.test(overflowX) && box.scrollWidth > box.clientWidth + 1) ||
    (/auto|scroll/.test(overflowY) && box.scrollHeight > box.clientHeight + 1)
  );
}

function holdsControls(box: HTMLElement): boolean {
  return box.querySelector('a[href], button, input, select, textarea, [tabindex="0"]') !== null;
}

/**
 * Makes `box` focusable and named; returns the attributes it added. A table, list or figure
 * keeps its own role (a figure is named by its caption, or by its diagram's label); a plain
 * box becomes a region named after its caption or its table's ("Code: …" for code).
 */
function makeTabStop(box: HTMLElement): string[] {
  const names: string[] = [];
  const set = (name: string, value: string) => {
    if (box.hasAttribute(name)) return;
    box.setAttribute(name, value);
    names.push(name);
  };
  set('tabindex', '0');
  const named = box.hasAttribute('aria-label') || box.hasAttribute('aria-labelledby');
  if (box.tagName === 'FIGURE') {
    const diagram = box.querySelector('svg[aria-label]')?.getAttribute('aria-label');
    if (!named && !box.querySelector('figcaption') && diagram) set('aria-label', diagram);
  } else if ((box.tagName === 'DIV' || box.tagName === 'PRE') && !box.hasAttribute('role')) {
    set('role', 'region');
    if (!named) set('aria-label', nameOf(box));
  }
  return names;
}

function nameOf(box: HTMLElement): string {
  const caption = box.closest('figure')?.querySelector('figcaption') ?? box.querySelector('caption');
  // biome-ignore lint/performance/useDomNodeTextContent: innerText, not textContent: a caption's parts (a title, a file name) stay apart.
  const text = caption?.innerText.replace(/\s+/g, ' ').trim();
  if (box.tagName === 'PRE') return text ? `Code: ${text}` : 'Code';
  return text || 'Scrolling box';
}
