// A deterministic tar.gz writer (POSIX ustar): same files in, same bytes out. Entries sorted,
// directories before their files, owner root, a fixed time, modes normalised to 0755 (executable)
// or 0644, gzip without a name or time. Release archives made at synth keep their hash, and so
// their S3 object, until a file really changes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { listFiles, normalisedMode } from './zip';

/** 1980-01-01T00:00:00Z, the time of every entry (as in the ZIP writer). */
const MTIME = 315532800;
const BLOCK = 512;

function header(name: string, mode: number, size: number, type: '0' | '5'): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: "${name}" is longer than the 100 bytes a ustar name holds`);
  const h = Buffer.alloc(BLOCK);
  const octal = (value: number, offset: number, length: number) => h.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
  h.write(name, 0, 100, 'utf8');
  octal(mode, 100, 8);
  octal(0, 108, 8); // uid
  octal(0, 116, 8); // gid
  octal(size, 124, 12);
  octal(MTIME, 136, 12);
  h.write('        ', 148, 8, 'ascii'); // checksum counts itself as spaces
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  const sum = h.reduce((n, byte) => n + byte, 0);
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/** Packs every file below `dir` into a gzipped tar, deterministically. */
export function tarGzDirectory(dir: string): Buffer {
  const files = listFiles(dir);
  const directories = new Set<string>();
  for (const file of files) {
    const parts = file.split('/');
    for (let i = 1; i < parts.length; i++) directories.add(`${parts.slice(0, i).join('/')}/`);
  }
  const blocks: Buffer[] = [];
  for (const path of [...directories, ...files].sort()) {
    if (path.endsWith('/')) {
      blocks.push(header(path, 0o755, 0, '5'));
      continue;
    }
    const data = readFileSync(join(dir, path));
    const mode = normalisedMode(join(dir, path));
    blocks.push(header(path, mode, data.length, '0'), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  blocks.push(Buffer.alloc(2 * BLOCK));
  return gzipSync(Buffer.concat(blocks), { level: 9 });
}
