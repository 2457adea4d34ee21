import { readFileSync } from 'node:fs';
import { CliError } from './errors.js';

/** Reads a file, or stdin when the path is absent or '-'. */
export async function readInput(path: string | undefined): Promise<Buffer> {
  if (path !== undefined && path !== '-') {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (process.stdin.isTTY) throw new CliError('no input: give a file or pipe data to stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
