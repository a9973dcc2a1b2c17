import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { javascriptLanguage } from '@codemirror/lang-javascript';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState } from '@codemirror/state';
import { oneDark } from '@codemirror/theme-one-dark';
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from '@codemirror/view';

/**
 * The parts of CodeMirror's basicSetup an exercise of a few dozen lines needs:
 * no autocompletion, search, folding or lint, which would more than double
 * what opening the editor downloads (bench/page-weight.ts, "on use").
 */
const exerciseSetup = [
  lineNumbers(),
  highlightActiveLineGutter(),
  highlightSpecialChars(),
  history(),
  drawSelection(),
  indentOnInput(),
  syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
  bracketMatching(),
  closeBrackets(),
  highlightActiveLine(),
  keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap]),
];

/**
 * The learner's editor: CodeMirror 6 with JavaScript, following the site's
 * theme (`<html data-theme="dark">`, set by the theme toggle) as it flips.
 * Loaded only when the learner opens an exercise (CodeExercise.tsx).
 */

/** What the exercise panel needs of its editor. */
export interface CodeEditor {
  code(): string;
  /** Replaces the whole text, as one step the learner can undo (Ctrl+Z). */
  replace(code: string): void;
  focus(): void;
  destroy(): void;
}

const isDark = () => document.documentElement.dataset.theme === 'dark';

/** The site's surfaces and focus ring around CodeMirror's own colours; the syntax colours come from the theme. */
const siteLook = EditorView.theme({
  '&': { fontSize: '0.9rem', border: '1px solid var(--border)', borderRadius: 'var(--radius)' },
  '&.cm-focused': { outline: '2px solid var(--accent)', outlineOffset: '2px' },
  '.cm-scroller': { fontFamily: 'var(--mono)', minHeight: '12rem', maxHeight: '32rem' },
});

export function createCodeEditor(
  parent: HTMLElement,
  { code, label, onChange }: { code: string; label: string; onChange: (code: string) => void },
): CodeEditor {
  const theme = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: code,
      extensions: [
        exerciseSetup,
        // The language alone: javascript() would add completions and snippets.
        javascriptLanguage,
        siteLook,
        theme.of(isDark() ? oneDark : []),
        EditorState.tabSize.of(2),
        // Long lines wrap rather than scroll sideways: on a phone a line of code is wider than the screen.
        EditorView.lineWrapping,
        // The editable region is what a screen reader lands on: name it.
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  const themeWatch = new MutationObserver(() => view.dispatch({ effects: theme.reconfigure(isDark() ? oneDark : []) }));
  themeWatch.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });

  return {
    code: () => view.state.doc.toString(),
    replace: (next) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } }),
    focus: () => view.focus(),
    destroy: () => {
      themeWatch.disconnect();
      view.destroy();
    },
  };
}
