import { useState } from 'preact/hooks';
import { formatInterval } from '../shared/format.ts';
import type { LabModel, Phase } from './model.ts';
import { formatDuration } from './settings.ts';
import { TABLE_HEADER, tableCells, tableHtml, tableMarkdown } from './summary.ts';

/** The summary table of a run (live while it runs, final when done), which the reader can copy as Markdown. */
export function SummaryTable({ model, phase }: { model: LabModel; phase: Phase }) {
  const [copied, setCopied] = useState<string | null>(null);
  const description = model.description.value;
  const rows = model.rows.value;
  if (!description) {
    return (
      <section class="lab-summary" aria-label="Summary table">
        <p class="lab-empty">The summary table appears here once a run has started.</p>
      </section>
    );
  }
  const cells = tableCells(rows, description.published);
  const copy = async () => {
    const markdown = tableMarkdown(description, rows);
    setCopied(await copyTable(markdown, tableHtml(description, rows)));
  };
  return (
    <section class="lab-summary" aria-label="Summary table">
      <div class="lab-summary-head">
        <p>
          <strong>{phase === 'done' ? 'Summary' : 'Summary so far'}</strong>{' '}
          <span class="widget-hint">
            {description.rate.label}, polling every {formatInterval(description.intervalMs)},{' '}
            {formatDuration(Math.round(description.ranMs / 1000) * 1000)}
            {description.stoppedEarly ? ' (stopped early)' : ''}
          </span>
        </p>
        <button type="button" class="widget-button" onClick={() => void copy()}>
          Copy table
        </button>
      </div>
      <p class="widget-hint" role="status">
        {copied ?? ''}
      </p>
      <div class="lab-table-scroll" tabIndex={0} role="region" aria-label="Summary table, scrolls sideways">
        <table class="lab-table">
          <thead>
            <tr>
              {TABLE_HEADER.map((cell) => (
                <th key={cell} scope="col">
                  {cell}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {cells.map((row, index) => (
              <tr key={rows[index]!.technique} data-row={rows[index]!.technique}>
                {row.map((cell, column) =>
                  column === 0 ? (
                    <th key={column} scope="row">
                      <span class="lab-swatch" data-swatch={rows[index]!.technique} aria-hidden="true" />
                      {cell}
                    </th>
                  ) : (
                    <td key={column} class="widget-mono">
                      {cell}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * Copies the table: as an HTML table (what spreadsheets and documents paste
 * as a table) and as Markdown text. Falls back to plain text, then to a
 * selected textarea, where the async clipboard is missing (plain HTTP on a LAN).
 */
async function copyTable(markdown: string, html: string): Promise<string> {
  try {
    if (typeof ClipboardItem !== 'undefined' && navigator.clipboard?.write) {
      await navigator.clipboard.write([
        new ClipboardItem({
          'text/plain': new Blob([markdown], { type: 'text/plain' }),
          'text/html': new Blob([html], { type: 'text/html' }),
        }),
      ]);
      return 'Copied: paste into a spreadsheet or a document for a table, or into a text editor for Markdown.';
    }
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(markdown);
      return 'Copied as Markdown.';
    }
  } catch {
    // Permission refused or not a secure context: try the old way.
  }
  const area = document.createElement('textarea');
  area.value = markdown;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  return ok ? 'Copied as Markdown.' : 'This browser refused to copy; select the table and copy it by hand.';
}
