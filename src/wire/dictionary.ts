import { WireError } from './errors.js';

/** Primary tokens occupy single bytes 0x03..0xEB; 0x00–0x02 are the null/list and stream markers. */
export const PRIMARY_FIRST = 0x03;
export const PRIMARY_LAST = 0xeb;
/** Secondary pages are escaped by 0xEC..0xEF, then one index byte. */
export const SECONDARY_PAGES = 4;
export const SECONDARY_PAGE_SIZE = 256;

export interface DictionaryTables {
  version: number;
  /** Index = byte value; undefined below PRIMARY_FIRST. */
  primary: readonly (string | undefined)[];
  /** secondary[page][index]. */
  secondary: readonly (readonly (string | undefined)[])[];
}

/**
 * A token's encoding packed into one number so the encoder's hot path does a single Map lookup:
 * values < 0x100 are a primary byte, larger ones are (escape << 8) | index.
 */
export type TokenCode = number;

export class Dictionary {
  readonly version: number;
  readonly primary: readonly (string | undefined)[];
  readonly secondary: readonly (readonly (string | undefined)[])[];
  private readonly codes = new Map<string, TokenCode>();

  constructor(tables: DictionaryTables) {
    this.version = tables.version;
    this.primary = tables.primary;
    this.secondary = tables.secondary;
    tables.primary.forEach((tok, i) => {
      if (tok !== undefined && tok !== '') this.add(tok, i);
    });
    tables.secondary.forEach((page, p) => {
      page.forEach((tok, i) => {
        if (tok !== undefined && tok !== '') this.add(tok, ((0xec + p) << 8) | i);
      });
    });
  }

  private add(token: string, code: TokenCode): void {
    if (this.codes.has(token)) throw new Error(`dictionary v${this.version}: token "${token}" appears twice`);
    this.codes.set(token, code);
  }

  /** The token code for a string, or undefined when it is not in either table. */
  code(token: string): TokenCode | undefined {
    return this.codes.get(token);
  }

  get size(): number {
    return this.codes.size;
  }
}

/**
 * Parses the primary table's TSV (`0x03<TAB>account`). Lines starting with '#' and blank lines are skipped.
 * Strict: an index outside 0x03..0xEB, a duplicate index or a malformed line is an error, because a silently
 * shifted table would make every peer misread every stanza.
 */
export function parsePrimaryTsv(text: string): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (const [lineNo, cols] of rows(text)) {
    if (cols.length !== 2) throw badLine(lineNo, 'expected "index<TAB>token"');
    const index = parseIndex(cols[0]!, lineNo);
    if (index < PRIMARY_FIRST || index > PRIMARY_LAST) throw badLine(lineNo, 'index outside 0x03..0xEB');
    if (out[index] !== undefined) throw badLine(lineNo, 'duplicate index');
    out[index] = cols[1]!;
  }
  return out;
}

/** Parses the secondary table's TSV (`page<TAB>0x00<TAB>token`). */
export function parseSecondaryTsv(text: string): (string | undefined)[][] {
  const pages: (string | undefined)[][] = Array.from({ length: SECONDARY_PAGES }, () => []);
  for (const [lineNo, cols] of rows(text)) {
    if (cols.length !== 3) throw badLine(lineNo, 'expected "page<TAB>index<TAB>token"');
    const page = Number(cols[0]);
    if (!Number.isInteger(page) || page < 0 || page >= SECONDARY_PAGES) throw badLine(lineNo, 'bad page');
    const index = parseIndex(cols[1]!, lineNo);
    if (index >= SECONDARY_PAGE_SIZE) throw badLine(lineNo, 'index above 0xFF');
    const p = pages[page]!;
    if (p[index] !== undefined) throw badLine(lineNo, 'duplicate index');
    p[index] = cols[2]!;
  }
  while (pages.length > 0 && pages[pages.length - 1]!.length === 0) pages.pop();
  return pages;
}

function* rows(text: string): Generator<[number, string[]]> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split('\t');
    if (cols.some((c) => c === '')) throw badLine(i + 1, 'empty column');
    yield [i + 1, cols];
  }
}

function parseIndex(s: string, lineNo: number): number {
  if (!/^0x[0-9a-fA-F]{1,2}$/.test(s)) throw badLine(lineNo, `bad index "${s}"`);
  return Number.parseInt(s.slice(2), 16);
}

function badLine(lineNo: number, why: string): WireError {
  return new WireError('bad_node', `dictionary line ${lineNo}: ${why}`, -1);
}
