// A deterministic ZIP writer for small source bundles: same files in, same bytes out (sorted
// entries, fixed timestamps, no extra fields), so an unchanged bundle keeps its hash, its S3 key
// and its application version. In-process, unlike cdktf's archive assets, which start a child
// Node process per archive.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { deflateRawSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Every regular file below `dir`, as sorted forward-slash paths relative to it. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const stat = statSync(path);
      if (stat.isDirectory()) visit(path);
      else if (stat.isFile()) out.push(relative(dir, path).split(sep).join('/'));
    }
  };
  visit(dir);
  return out.sort();
}

/**
 * A file's mode as every archive writer records it: 0755 when anyone may execute it, else 0644, so
 * the checkout's umask (0664 under umask 002) never reaches an archive or its hash.
 */
export function normalisedMode(path: string): number {
  return statSync(path).mode & 0o111 ? 0o755 : 0o644;
}

// 1980-01-01 00:00:00 in MS-DOS format: the earliest ZIP can say, used for every entry.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** Zips every file below `dir` (deflated, modes normalised), deterministically. */
export function zipDirectory(dir: string): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const path of listFiles(dir)) {
    const data = readFileSync(join(dir, path));
    const compressed = deflateRawSync(data, { level: 9 });
    const name = Buffer.from(path, 'utf8');
    const crc = crc32(data);
    const mode = normalisedMode(join(dir, path));

    // The fields both headers share, in the same order: version needed (2.0, deflate), flags
    // (UTF-8 names), method (deflate), time, date, CRC-32, sizes, name length.
    const shared = Buffer.alloc(22);
    shared.writeUInt16LE(20, 0);
    shared.writeUInt16LE(0x0800, 2);
    shared.writeUInt16LE(8, 4);
    shared.writeUInt16LE(DOS_TIME, 6);
    shared.writeUInt16LE(DOS_DATE, 8);
    shared.writeUInt32LE(crc, 10);
    shared.writeUInt32LE(compressed.length, 14);
    shared.writeUInt32LE(data.length, 18);
    const nameLength = Buffer.alloc(2);
    nameLength.writeUInt16LE(name.length);

    const local = Buffer.alloc(30); // extra field length (28) stays 0
    local.writeUInt32LE(0x04034b50, 0); // local file header signature
    shared.copy(local, 4);
    nameLength.copy(local, 26);
    locals.push(local, name, compressed);

    const central = Buffer.alloc(46); // extra, comment, disk and internal attributes (30-37) stay 0
    central.writeUInt32LE(0x02014b50, 0); // central directory header signature
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    shared.copy(central, 6);
    nameLength.copy(central, 28);
    central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38); // external: regular file + mode
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + compressed.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory signature
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
