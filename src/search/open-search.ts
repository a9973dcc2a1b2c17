/**
 * The part of site search every page loads: it opens the search dialog from
 * its button or the `/` key, and only then loads the search itself
 * (run-search.ts and Pagefind's index), once.
 */
export function installSearch(): void {
  const button = document.querySelector<HTMLButtonElement>('[data-search-open]');
  const dialog = document.querySelector<HTMLDialogElement>('[data-search-dialog]');
  if (!button || !dialog) return;
  // The search code and index load on the first open only.
  let searchLoaded = false;

  const open = () => {
    dialog.showModal();
    dialog.querySelector('input')?.focus();
    if (searchLoaded) return;
    searchLoaded = true;
    void import('./run-search.ts').then(({ runSearch }) => runSearch(dialog));
  };
  button.addEventListener('click', open);
  document.addEventListener('keydown', (event) => {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey || dialog.open) return;
    // A slash typed into a field is text, not a shortcut.
    if (isTyping(event.target)) return;
    event.preventDefault();
    open();
  });
  dialog.querySelector('[data-search-close]')?.addEventListener('click', () => dialog.close());
  // Enter in the box would submit the form, which closes a dialog: results come as you type, so ignore it.
  dialog.querySelector('form')?.addEventListener('submit', (event) => event.preventDefault());
  // Escape closes at once: in a search box with text, the browser would first only clear the text.
  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    dialog.close();
  });
  // A click on the backdrop (the dialog's own box, outside its content) closes it.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}
