import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { javascriptLanguage } from '@codemirror/lang-javascript';
import { bracketMatching, HighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import { tags } from '@lezer/highlight';
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
 * The learner's editor: CodeMirror 6 with JavaScript, in the site's colours.
 * Every colour is one of the site's theme variables, so the editor flips with
 * `<html data-theme="dark">` (the theme toggle) by itself, and keeps the
 * contrast the site's text has (WCAG 1.4.3, checked by tests/e2e/accessibility.test.ts:
 * CodeMirror's default and One Dark syntax colours fall below 4.5:1).
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

const tint = (variable: string, percent: number) => `color-mix(in srgb, var(${variable}) ${percent}%, transparent)`;

/** The site's surfaces, text and focus ring. */
const siteLook = EditorView.theme({
  '&': {
    fontSize: '0.9rem',
    color: 'var(--text)',
    backgroundColor: 'var(--surface)',
    border: '1px solid var(--border)',
    borderRadius: 'var(--radius)',
  },
  '&.cm-focused': { outline: '2px solid var(--accent)', outlineOffset: '2px' },
  '.cm-scroller': { fontFamily: 'var(--mono)', minHeight: '12rem' },
  '.cm-content': { caretColor: 'var(--text)' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--text)' },
  '.cm-gutters': { color: 'var(--muted)', backgroundColor: 'var(--surface-2)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: tint('--accent', 7) },
  '.cm-activeLineGutter': { color: 'var(--text)', backgroundColor: tint('--accent', 12) },
  '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground': {
    backgroundColor: tint('--accent', 28),
  },
  '&.cm-focused .cm-matchingBracket': { backgroundColor: tint('--ok', 25), outline: '1px solid var(--ok)' },
  '&.cm-focused .cm-nonmatchingBracket': { backgroundColor: tint('--err', 25) },
});

/** Syntax colours from the site's variables: each reads at 4.5:1 or more on the site's surfaces, in both themes. */
const siteHighlight = HighlightStyle.define([
  { tag: [tags.comment, tags.meta], color: 'var(--muted)', fontStyle: 'italic' },
  { tag: [tags.keyword, tags.operatorKeyword, tags.controlKeyword, tags.definitionKeyword, tags.moduleKeyword], color: 'var(--accent)' },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], color: 'var(--ok)' },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: 'var(--warn)' },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], fontWeight: '600' },
  { tag: tags.invalid, color: 'var(--err)' },
]);

/**
 * The parts of CodeMirror's basicSetup an exercise of a few dozen lines needs:
 * no autocompletion, search, folding or lint, which would add about 30 kB
 * gzip to what opening the editor downloads (bench/page-weight.ts, "on use").
 */
const exerciseSetup = [
  lineNumbers(),
  highlightActiveLineGutter(),
  highlightSpecialChars(),
  history(),
  drawSelection(),
  indentOnInput(),
  syntaxHighlighting(siteHighlight),
  bracketMatching(),
  closeBrackets(),
  highlightActiveLine(),
  keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap]),
];

/** An editor in `parent` holding `code`; `onChange` hears every edit (the panel saves it). */
export function createCodeEditor(
  parent: HTMLElement,
  { code, label, onChange }: { code: string; label: string; onChange: (code: string) => void },
): CodeEditor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: code,
      extensions: [
        exerciseSetup,
        // The language alone: javascript() would add completions and snippets.
        javascriptLanguage,
        siteLook,
        EditorState.tabSize.of(2),
        // Long lines wrap rather than scroll sideways: on a phone a line of code is wider than the screen.
        EditorView.lineWrapping,
        // The editable region is what a screen reader lands on: name it.
        // tabindex: an explicit one, so checkers count the editable region as the scroller's focusable content.
        EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });

  return {
    code: () => view.state.doc.toString(),
    replace: (next) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } }),
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
