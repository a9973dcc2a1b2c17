import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/**
 * Calls `onChange` once a burst of changes settles (`settleMs`) when a file
 * anywhere under `roots` is written, created, renamed or removed.
 *
 * One watch per directory, never per file: an editor that saves by writing
 * a new file and renaming it over the old one replaces the file (a new
 * inode) that a file watch was following, and every later save is missed.
 * Node's `--watch` watches files, and `--watch-path` (recursive on Linux)
 * misses the same saves in subdirectories; a directory's watch sees them all.
 *
 * @returns stops watching.
 */
export function watchTrees(roots: readonly string[], onChange: (file: string) => void, settleMs = 150): () => void {
  const watchers = new Map<string, FSWatcher>();
  let settling: NodeJS.Timeout | undefined;

  const watchDirectory = (dir: string) => {
    if (watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        const file = name === null ? dir : path.join(dir, name.toString());
        if (isDirectory(file)) watchDirectory(file);
        clearTimeout(settling);
        settling = setTimeout(() => onChange(file), settleMs);
      });
    } catch {
      return; // gone already
    }
    // A watched directory that is removed ends its watch.
    watcher.on('error', () => {
      watcher.close();
      watchers.delete(dir);
    });
    watchers.set(dir, watcher);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) watchDirectory(path.join(dir, entry.name));
    }
  };
  roots.forEach(watchDirectory);

  return () => {
    clearTimeout(settling);
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
