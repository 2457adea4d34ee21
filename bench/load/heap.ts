/**
 * Summarises a V8 heap snapshot of the server: shallow (self) size and count per constructor, so the
 * per-connection heap can be attributed (`idle --heap-snapshot`: divide by the connections held).
 */
import { readFileSync } from 'node:fs';
import type { Table } from './report.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  name: string;
  count: number;
  bytes: number;
}

export function heapGroups(file: string): HeapGroup[] {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const stride = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  for (let i = 0; i < s.nodes.length; i += stride) {
    const type = types[s.nodes[i + iType]!] ?? '?';
    const raw = s.strings[s.nodes[i + iName]!] ?? '';
    // Strings and code are grouped by kind; objects by constructor name.
    const name =
      type === 'object' || type === 'closure' || type === 'native'
        ? `${raw || '(anonymous)'}${type === 'object' ? '' : ` (${type})`}`
        : `(${type})`;
    let g = groups.get(name);
    if (!g) {
      g = { name, count: 0, bytes: 0 };
      groups.set(name, g);
    }
    g.count++;
    g.bytes += s.nodes[i + iSize]!;
  }
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes);
}

/** Top groups as bytes and count per connection. */
export function heapTable(groups: HeapGroup[], connections: number, top = 30): Table {
  const total = groups.reduce((a, g) => a + g.bytes, 0);
  return {
    title: `server heap by constructor (shallow sizes; ${connections} connections; ${Math.round(total / 2 ** 20)} MiB total)`,
    columns: ['constructor / kind', 'count', 'per conn', 'MiB', 'bytes/conn', '%'],
    rows: groups
      .slice(0, top)
      .map((g) => [
        g.name.slice(0, 60),
        g.count,
        Math.round((g.count / connections) * 10) / 10,
        Math.round((g.bytes / 2 ** 20) * 10) / 10,
        Math.round(g.bytes / connections),
        Math.round((g.bytes / total) * 1000) / 10,
      ]),
  };
}
