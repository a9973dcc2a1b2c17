/**
 * Named regions of real source files, for lessons that show server code
 * (`<SourceRegion>`). A region is the lines between
 *
 * ```ts
 * // #region name
 * …
 * // #endregion name     (or a plain `// #endregion`)
 * ```
 *
 * the convention VS Code folds. Anything wrong throws, so the build fails
 * instead of a lesson quietly showing code that has drifted away.
 */
import { readFileSync } from 'node:fs';
import { extname, relative, resolve, sep } from 'node:path';

/** The code of one region and where it sits in its file. */
export interface SourceExcerpt {
  /** The region's lines, dedented, without region markers or blank lines at either end. */
  code: string;
  /** 1-based line of the file where the shown code starts. */
  startLine: number;
  /** 1-based line of the file where the shown code ends. */
  endLine: number;
}

// After `//`, `/*` or `<!--`, or bare as in shell and YAML: the same markers work in
// TS, CSS, HTML and config files.
const MARKER = /^\s*(?:(?:\/\/|\/\*|<!--)\s*)?#(region|endregion)\b\s*([\w.:-]*)/;

/**
 * The region called `name` in `text`. Regions may nest: the inner markers are
 * dropped from the excerpt, their code kept. `file` only names the file in errors.
 */
export function extractRegion(text: string, name: string, file = 'the file'): SourceExcerpt {
  const lines = text.split(/\r?\n/);
  const markers = lines.map((line) => MARKER.exec(line));
  const starts = markers.flatMap((marker, index) => (marker?.[1] === 'region' && marker[2] === name ? [index] : []));
  if (starts.length === 0) {
    const names = markers.flatMap((marker) => (marker?.[1] === 'region' ? [marker[2]] : []));
    throw new Error(`No "// #region ${name}" in ${file}. Its regions: ${names.join(', ') || 'none'}.`);
  }
  if (starts.length > 1) {
    throw new Error(`"// #region ${name}" appears ${starts.length} times in ${file} (lines ${starts.map((i) => i + 1).join(', ')}).`);
  }

  const start = starts[0];
  let end: number | undefined;
  let depth = 0;
  for (let index = start + 1; index < lines.length && end === undefined; index += 1) {
    const marker = markers[index];
    if (marker?.[1] === 'region') depth += 1;
    else if (marker?.[1] === 'endregion') {
      // `#endregion name` closes the region whatever lies open inside it; a plain
      // `#endregion` closes the innermost open one.
      if (marker[2] === name || (marker[2] === '' && depth === 0)) end = index;
      else depth -= 1;
    }
  }
  if (end === undefined) {
    throw new Error(`"// #region ${name}" at line ${start + 1} of ${file} has no "// #endregion ${name}".`);
  }

  const body = lines
    .map((line, index) => ({ line, number: index + 1 }))
    .slice(start + 1, end)
    .filter((_, offset) => !markers[start + 1 + offset]);
  while (body.length > 0 && body[0].line.trim() === '') body.shift();
  while (body.length > 0 && body.at(-1)!.line.trim() === '') body.pop();
  if (body.length === 0) throw new Error(`Region "${name}" at line ${start + 1} of ${file} is empty.`);

  return {
    code: dedent(body.map(({ line }) => line)).join('\n'),
    startLine: body[0].number,
    endLine: body.at(-1)!.number,
  };
}

/**
 * Reads region `name` of `file`, a path relative to `root` (the project root:
 * `astro build` runs there, while `import.meta.url` would point into dist/).
 */
export function readSourceRegion(file: string, name: string, root = process.cwd()): SourceExcerpt {
  const path = resolve(root, file);
  if (relative(root, path).startsWith(`..${sep}`)) throw new Error(`SourceRegion file ${file} lies outside ${root}.`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`SourceRegion cannot read ${file} (looked at ${path}): ${(error as Error).message}`);
  }
  return extractRegion(text, name, file);
}

/** Shiki language for a file name, by extension (`server/app.ts` → `ts`). */
export function languageOf(file: string): string {
  const extension = extname(file).slice(1).toLowerCase();
  const aliases: Record<string, string> = { mts: 'ts', cts: 'ts', mjs: 'js', cjs: 'js', yml: 'yaml', sh: 'bash', '': 'plaintext' };
  return aliases[extension] ?? extension;
}

/** Removes the indentation that all non-blank lines share; blank lines become empty. */
function dedent(lines: string[]): string[] {
  const indents = lines.filter((line) => line.trim() !== '').map((line) => /^[ \t]*/.exec(line)![0]);
  const common = indents.reduce((shared, indent) => {
    let length = 0;
    while (length < shared.length && shared[length] === indent[length]) length += 1;
    return shared.slice(0, length);
  });
  return lines.map((line) => (line.trim() === '' ? '' : line.slice(common.length)));
}
