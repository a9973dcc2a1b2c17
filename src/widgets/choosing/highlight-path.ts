import type { PathHighlight } from './walker-model.ts';

/** Classes the walker puts on the diagram; DecisionTreeDiagram.astro styles them. */
export const PATH_CLASSES = { walking: 'is-walking', onPath: 'is-on-path', current: 'is-current' } as const;

/**
 * Marks `path` on every decision-tree figure in `root` (each has a light and a
 * dark SVG): the nodes (`[data-node-id]`) and the edges with their labels
 * (`[data-id="L_<from>_<to>_0"]`) get `is-on-path`, the current node
 * `is-current`, and the figure `is-walking` once the reader has answered, so that
 * the rest fades. `null` clears everything. Returns how many figures it marked.
 */
export function highlightPath(root: ParentNode, path: PathHighlight | null): number {
  const figures = [...root.querySelectorAll<HTMLElement>('[data-decision-tree]')];
  for (const figure of figures) {
    for (const element of figure.querySelectorAll(`.${PATH_CLASSES.onPath}, .${PATH_CLASSES.current}`)) {
      element.classList.remove(PATH_CLASSES.onPath, PATH_CLASSES.current);
    }
    figure.classList.toggle(PATH_CLASSES.walking, path !== null && !path.atStart);
    if (!path) continue;
    for (const id of path.nodes) {
      for (const node of figure.querySelectorAll(`[data-node-id="${CSS.escape(id)}"]`)) {
        node.classList.add(PATH_CLASSES.onPath);
        if (id === path.current) node.classList.add(PATH_CLASSES.current);
      }
    }
    for (const id of path.edges) {
      for (const edge of figure.querySelectorAll(`[data-id="${CSS.escape(id)}"]`)) edge.classList.add(PATH_CLASSES.onPath);
    }
    centerCurrentNode(figure);
  }
  return figures.length;
}

/**
 * On a phone the figure scrolls sideways (the tree is wider than the screen):
 * bring the current node into view horizontally, without scrolling the page.
 */
function centerCurrentNode(figure: HTMLElement): void {
  if (figure.scrollWidth <= figure.clientWidth) return;
  // Of the light and dark copies, only the one on show has a size.
  const node = [...figure.querySelectorAll(`.${PATH_CLASSES.current}`)].find((element) => element.getBoundingClientRect().width > 0);
  if (!node) return;
  const box = node.getBoundingClientRect();
  const frame = figure.getBoundingClientRect();
  const left = figure.scrollLeft + box.left - frame.left - (frame.width - box.width) / 2;
  figure.scrollTo({ left: Math.max(0, left), behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
}
