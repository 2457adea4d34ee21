/**
 * Reads the V8 CPU profile the server wrote (`--server-prof <dir>` → node --cpu-prof) and lists where its
 * time went: self time per function (and per source file), idle excluded, as a share of busy time.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO } from './cluster.js';
import type { Table } from './report.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The newest main-thread profile (CPU.<date>.<time>.<pid>.<thread 0>.<seq>.cpuprofile): tsx's loader thread writes one too. */
export function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

export function summarizeProfile(file: string, top = 25): { tables: Table[]; busyMs: number } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const fn = new Map<string, number>();
  const file_ = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id)?.callFrame;
    if (!cf || cf.functionName === '(idle)') continue;
    busy += us;
    const url = cf.url.replace(/^file:\/\//, '');
    const where = url ? `${relative(REPO, url)}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const f = url ? relative(REPO, url) : cf.functionName;
    file_.set(f, (file_.get(f) ?? 0) + us);
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => [k, Math.round(us / 1000), Math.round((us / busy) * 1000) / 10]);
  return {
    busyMs: busy / 1000,
    tables: [
      {
        title: `server CPU profile: self time by function (busy ${Math.round(busy / 1000)} ms)`,
        columns: ['function', 'ms', '%'],
        rows: rows(fn),
      },
      {
        title: 'server CPU profile: self time by file',
        columns: ['file', 'ms', '%'],
        rows: rows(file_).slice(0, 15),
      },
    ],
  };
}
