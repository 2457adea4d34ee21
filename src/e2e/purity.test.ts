/**
 * Two rules of this folder, checked rather than trusted: the protocol code imports nothing from node:
 * (it runs in browsers; only crypto-node.ts, which index.ts does not re-export, may), and the AGPL
 * libsignal oracle is imported by tests only — never by product code anywhere under src/.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const src = join(here, '..');
/** Module specifiers of a file's import/export statements (not of comments that mention one). */
const imports = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^;]*?\sfrom\s+'([^']+)'/gm)].map(
    (m) => m[1]!,
  );

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

describe('src/e2e import rules', () => {
  it('protocol code imports only @noble and its own modules', () => {
    for (const name of readdirSync(here)) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts') || name === 'crypto-node.ts') continue;
      for (const spec of imports(join(here, name))) {
        assert.ok(spec.startsWith('./') || spec.startsWith('@noble/'), `${name} imports ${spec}`);
      }
    }
    assert.ok(
      !imports(join(here, 'index.ts')).includes('./crypto-node.js'),
      'index.ts must not re-export crypto-node',
    );
  });

  it('no product file under src/ imports @signalapp/libsignal-client', () => {
    for (const file of walk(src)) {
      assert.ok(
        !imports(file).some((s) => s.includes('libsignal-client')),
        `${file} imports the AGPL oracle`,
      );
    }
  });
});
