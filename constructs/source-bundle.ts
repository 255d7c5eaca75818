import { Construct } from 'constructs';
import { AssetType, TerraformAsset } from 'cdktf';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarGzDirectory } from './tar';
import { listFiles, zipDirectory } from './zip';

/**
 * Version of the archive writers' output (zip.ts, tar.ts). Bump it with any change to what they
 * write: the archive cache is keyed by it (the source-bundle test pins the writers' output).
 */
export const ARCHIVE_WRITER_VERSION = 1;

/**
 * SHA-256 over what an archive of `dir` is made of: each file's path, mode and content, the format,
 * the writers' version and zlib's (another zlib may deflate to other bytes).
 */
function inputKey(dir: string, format: string): string {
  const hash = createHash('sha256').update(`${ARCHIVE_WRITER_VERSION}\0${process.versions.zlib}\0${format}\0`);
  for (const path of listFiles(dir)) {
    const file = join(dir, path);
    hash
      .update(`${path}\0${statSync(file).mode & 0o777}\0`)
      .update(readFileSync(file))
      .update('\0');
  }
  return hash.digest('hex');
}

export interface SourceBundleProps {
  /** Directory whose files make up the bundle. */
  readonly directory: string;
  /**
   * Archive format: ZIP (what Beanstalk takes) or gzipped tar (what `tar -xzf` on an instance takes).
   * @default 'zip'
   */
  readonly format?: 'zip' | 'tar.gz';
}

/**
 * A directory packed at synth time into a deterministic archive and added to the stack as a
 * Terraform asset. `hash` changes exactly when a file's content, mode or name changes.
 */
export class SourceBundle extends Construct {
  /** Path of the archive relative to the stack's directory, for `source` arguments. */
  public readonly path: string;
  /** SHA-256 of the archive (hex). */
  public readonly hash: string;

  constructor(scope: Construct, id: string, props: SourceBundleProps) {
    super(scope, id);
    if (!existsSync(props.directory)) {
      throw new Error(`SourceBundle ${id}: directory ${props.directory} does not exist`);
    }
    const format = props.format ?? 'zip';
    // Content-addressed, so stacks and runs that bundle the same files share one archive; and keyed
    // by the files too, so an unchanged directory is not compressed again (deflating the web app's
    // release took most of a synth's time).
    const dir = join(tmpdir(), 'cdktf-source-bundles');
    const index = join(dir, `${inputKey(props.directory, format)}.sha256`);
    let hash = existsSync(index) ? readFileSync(index, 'utf8') : '';
    if (!/^[0-9a-f]{64}$/.test(hash) || !existsSync(join(dir, `${hash}.${format}`))) {
      const bytes = format === 'zip' ? zipDirectory(props.directory) : tarGzDirectory(props.directory);
      hash = createHash('sha256').update(bytes).digest('hex');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${hash}.${format}`), bytes);
      writeFileSync(index, hash);
    }
    this.hash = hash;
    const archive = join(dir, `${hash}.${format}`);
    const asset = new TerraformAsset(this, 'asset', { path: archive, type: AssetType.FILE, assetHash: this.hash });
    this.path = asset.path;
  }
}
