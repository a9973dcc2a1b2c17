import type { ClientDirective } from 'astro';

/**
 * `client:reachable`: hydrates a lesson widget as soon as a reader can reach it, whichever
 * comes first: it scrolls into view (like `client:visible`), focus enters it (Tab), or a
 * pointer presses it.
 *
 * The widget's server-rendered controls are enabled from the first paint, so Tab stops on
 * them. Until the island has hydrated and its effects have run (a widget learns its channel
 * or opens its socket in an effect), what the reader does inside it is held here and then
 * replayed: a field changed early keeps its value, and the widget hears of it (input and
 * change events) right after hydration; then each press of a button (a click, or Enter/Space,
 * which the browser turns into a click) and each Enter in a field, in order. Links, labels,
 * checkboxes and radios act natively.
 *
 * Astro inlines this into every page that uses it: keep it small.
 */
const reachable: ClientDirective = (load, _options, island) => {
  let started = false;
  let ready = false;
  const changed = new Set<Element>();
  const presses: (() => void)[] = [];

  const start = async () => {
    if (started) return;
    started = true;
    io.disconnect();
    const hydrate = await load();
    await hydrate();
    // Fields first, before any re-render: the widget's state learns what the fields hold
    // (hydration leaves a field's value as the reader left it, a re-render would not).
    for (const field of changed) {
      for (const type of ['input', 'change']) field.dispatchEvent(new Event(type, { bubbles: true }));
    }
    // Presses once the widget has set itself up.
    await afterEffects();
    ready = true;
    for (const press of presses) press();
  };

  const hold = (event: Event) => {
    if (ready) return;
    void start();
    const target = event.target as HTMLElement;
    if (event.type === 'click') {
      // Only buttons wait; links, labels, checkboxes and radios act natively (their change is held below).
      const button = target.closest('button');
      if (!button) return;
      // Held means held: once hydrated but before its effects ran, the widget's own handler would
      // also take this click, and the replay would then press whatever the button had become.
      event.preventDefault();
      event.stopPropagation();
      presses.push(() => button.isConnected && button.click());
    } else if (event.type === 'keydown') {
      if ((event as KeyboardEvent).key === 'Enter' && target.matches('input, textarea')) {
        presses.push(() => target.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true })));
      }
    } else {
      changed.add(target);
    }
  };

  const io = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) void start();
  });
  for (const child of island.children) io.observe(child);
  for (const type of ['focusin', 'pointerdown']) island.addEventListener(type, start);
  for (const type of ['click', 'keydown', 'input', 'change']) island.addEventListener(type, hold, true);
};

/**
 * Resolves once Preact has run the effects of the first render: it runs them in a
 * timeout after the next animation frame (or after 100 ms in a hidden tab); this
 * waits for the same frame, or 120 ms, and queues behind them.
 */
function afterEffects(): Promise<void> {
  return new Promise((resolve) => {
    const later = () => setTimeout(resolve);
    requestAnimationFrame(later);
    setTimeout(later, 120);
  });
}

export default reachable;
