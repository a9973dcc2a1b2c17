/**
 * Site search, loaded when the reader first opens it: queries Pagefind's
 * static index (built with the site, see src/build/search-index.ts) as they
 * type and lists the lessons and sections that match, each linking to its
 * section.
 */

/** The part of Pagefind's browser API used here (https://pagefind.app/docs/api/). */
interface Pagefind {
  init(): Promise<void>;
  debouncedSearch(term: string, options?: object, waitMs?: number): Promise<{ results: PagefindResult[] } | null>;
}
interface PagefindResult {
  data(): Promise<PagefindData>;
}
interface PagefindData {
  url: string;
  excerpt: string;
  meta: { title?: string };
  sub_results: { title: string; url: string; excerpt: string }[];
}

const MAX_LESSONS = 8;
const MAX_SECTIONS = 3;
const INDEX_URL = '/pagefind/pagefind.js';

export async function runSearch(dialog: HTMLDialogElement): Promise<void> {
  const input = dialog.querySelector<HTMLInputElement>('input[type="search"]')!;
  const status = dialog.querySelector<HTMLElement>('[data-search-status]')!;
  const list = dialog.querySelector<HTMLOListElement>('[data-search-results]')!;

  let pagefind: Pagefind;
  try {
    // A URL, not a module of the bundle: the index is written after the bundle is built.
    pagefind = (await import(/* @vite-ignore */ INDEX_URL)) as Pagefind;
    await pagefind.init();
  } catch {
    status.textContent = 'Search is built with the site: it works on a built workbook (npm start), not under npm run dev.';
    return;
  }

  const show = async () => {
    const term = input.value.trim();
    if (term === '') {
      list.replaceChildren();
      status.textContent = '';
      return;
    }
    const search = await pagefind.debouncedSearch(term, {}, 150);
    // Null: a newer keystroke superseded this search.
    if (search === null) return;
    const found = await Promise.all(search.results.slice(0, MAX_LESSONS).map((result) => result.data()));
    if (input.value.trim() !== term) return;
    list.replaceChildren(...found.map(resultItem));
    status.textContent =
      search.results.length === 0
        ? `No lesson mentions “${term}”.`
        : `${search.results.length} ${search.results.length === 1 ? 'lesson' : 'lessons'} for “${term}”.`;
  };
  input.addEventListener('input', () => void show());
  // Following a link to a section of the page already open does not leave it: close the dialog.
  list.addEventListener('click', (event) => {
    if ((event.target as Element).closest('a')) dialog.close();
  });
  void show();
}

function resultItem(data: PagefindData): HTMLLIElement {
  const item = document.createElement('li');
  const title = document.createElement('a');
  title.className = 'search-result-title';
  title.href = data.url;
  title.textContent = data.meta.title ?? data.url;
  item.append(title);
  const sections = data.sub_results.filter((section) => section.url !== data.url).slice(0, MAX_SECTIONS);
  if (sections.length === 0) {
    item.append(excerpt(data.excerpt));
    return item;
  }
  const sublist = document.createElement('ul');
  for (const section of sections) {
    const entry = document.createElement('li');
    const link = document.createElement('a');
    link.href = section.url;
    link.textContent = section.title;
    entry.append(link, excerpt(section.excerpt));
    sublist.append(entry);
  }
  item.append(sublist);
  return item;
}

/** Pagefind's excerpt: text with the matches in `<mark>`. Built as nodes, so nothing else in it can become markup. */
function excerpt(html: string): HTMLParagraphElement {
  const paragraph = document.createElement('p');
  paragraph.className = 'search-excerpt';
  html.split(/(<mark>.*?<\/mark>)/).forEach((part) => {
    const marked = /^<mark>(.*)<\/mark>$/.exec(part);
    if (marked) {
      const mark = document.createElement('mark');
      mark.textContent = decodeEntities(marked[1]!);
      paragraph.append(mark);
    } else {
      paragraph.append(decodeEntities(part));
    }
  });
  return paragraph;
}

/** Pagefind escapes the page's text for HTML; these are the entities it writes. */
function decodeEntities(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&#x27;', "'")
    .replaceAll('&amp;', '&');
}
