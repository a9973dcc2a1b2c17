/**
 * Counts the objects of a V8 heap snapshot (`v8.writeHeapSnapshot()`) by
 * kind: for each constructor, closure or internal kind, how many there are
 * and their self size (the bytes of the object itself, not of what it points to).
 */
import { readFileSync } from 'node:fs';

/** Count and self size of one kind of object. */
export interface CensusEntry {
  count: number;
  bytes: number;
}

/**
 * Kinds are `Name` for objects of a class or constructor (`SseStream`,
 * `ServerResponse`, `Object`), `name()` for closures (`() ` when anonymous),
 * V8's own names for its internals (`system / Context`, `(object elements)`),
 * and `(string)`, `(number)`, `(code)` for those, whatever their text.
 */
export function heapCensus(snapshotFile: string): Map<string, CensusEntry> {
  const { snapshot, nodes, strings } = JSON.parse(readFileSync(snapshotFile, 'utf8')) as HeapSnapshotFile;
  const fields = snapshot.meta.node_fields;
  const types = snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field)) as [number, number, number];
  const census = new Map<string, CensusEntry>();
  for (let node = 0; node < nodes.length; node += fields.length) {
    const type = types[nodes[node + typeAt]!]!;
    const name = strings[nodes[node + nameAt]!]!;
    const kind = type === 'closure' ? `${name}()` : UNNAMED.has(type) ? `(${type})` : name;
    const entry = census.get(kind) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += nodes[node + sizeAt]!;
    census.set(kind, entry);
  }
  return census;
}

/** Kinds whose name is their content (a string's text, a number's value): counted together. */
const UNNAMED = new Set(['string', 'concatenated string', 'sliced string', 'number', 'code', 'regexp', 'bigint']);

/** The parts of the snapshot format this reads (Chrome DevTools' `.heapsnapshot`). */
interface HeapSnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}
