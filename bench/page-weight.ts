/**
 * How much JavaScript a reader downloads per page of the built site, checked against the
 * budgets of issue 15: a lesson loads at most 30 kB gzip on first load, any other page 40 kB.
 * Exits 1, naming the pages, when one is over: `npm test` runs it after `astro build`.
 * Sizes, not timings: the same build gives the same figures on any machine.
 *
 *   npm run build && node bench/page-weight.ts
 *
 * For each page it prints:
 * - first load: the scripts a browser requested on opening the page, before any scroll or
 *   press, at a phone's and at a desktop's size (the larger counts), plus the page's inline
 *   scripts. Islands below the first screen wake when the reader reaches them
 *   (`client:reachable`), so they are not in it (bench/page-weight/first-load.ts);
 * - whole page: every island hydrated, as after scrolling through it all;
 * - on use: what loads beyond that on a reader's action (a chart's drawing code when it first
 *   has a point, search, the workshop bar of a workshop member, a QR code), found by following
 *   the dynamic imports (bench/page-weight/built-pages.ts);
 * - its CSS and HTML, gzip.
 */
import { builtPages, clientDir, gzipSizeOf, htmlGzip, inlineScriptGzip, pageScripts, stylesheetGzip } from './page-weight/built-pages.ts';
import { startFirstLoadProbe, VIEWPORTS, type ViewportName } from './page-weight/first-load.ts';

const KB = 1024;
/** Issue 15's budgets for JavaScript on first load, gzip. */
const BUDGET = { lesson: 30 * KB, other: 40 * KB };
const budgetOf = (page: string) => (page.startsWith('/lessons/') ? BUDGET.lesson : BUDGET.other);

const kB = (bytes: number) => `${(bytes / KB).toFixed(1)} kB`;
const gzipOf = (urls: Iterable<string>) => [...urls].reduce((sum, url) => sum + gzipSizeOf(url), 0);

const pages = builtPages().sort((a, b) => a.page.localeCompare(b.page));
const probe = await startFirstLoadProbe();
const rows = [];
const over: string[] = [];
try {
  for (const { page, html } of pages) {
    const inline = inlineScriptGzip(html);
    const firstLoad: Record<ViewportName, number> = { phone: 0, desktop: 0 };
    for (const viewport of Object.keys(VIEWPORTS) as ViewportName[]) {
      firstLoad[viewport] = inline + gzipOf(await probe.scriptsRequested(page, viewport));
    }
    const { wholePage, onUse } = pageScripts(html);
    const worst = Math.max(firstLoad.phone, firstLoad.desktop);
    const budget = budgetOf(page);
    if (worst > budget) over.push(`${page}: ${kB(worst)} of JavaScript on first load, over its budget of ${kB(budget)}`);
    rows.push({
      page,
      'first load': kB(worst),
      budget: kB(budget),
      phone: kB(firstLoad.phone),
      desktop: kB(firstLoad.desktop),
      'whole page': kB(inline + gzipOf(wholePage)),
      'on use': `+${kB(gzipOf(onUse))}`,
      'CSS gzip': kB(stylesheetGzip(html)),
      'HTML gzip': kB(htmlGzip(html)),
    });
  }
} finally {
  await probe.close();
}

console.log(`JavaScript per page of ${clientDir}, gzip (first load: before any scroll or press; whole page: every island hydrated)`);
console.table(rows);
if (over.length > 0) {
  console.error(`Over the page-weight budget (issue 15):\n${over.map((line) => `  - ${line}`).join('\n')}`);
  process.exitCode = 1;
} else {
  console.log(
    `Every page is within its budget: lessons ${kB(BUDGET.lesson)}, other pages ${kB(BUDGET.other)} of JavaScript on first load.`,
  );
}
