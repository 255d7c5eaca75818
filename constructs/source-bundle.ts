import { Construct } from 'constructs';
import { AssetType, TerraformAsset } from 'cdktf';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarGzDirectory } from './tar';
import { listFiles, normalisedMode, zipDirectory } from './zip';

/**
 * Version of the archive writers' output (zip.ts, tar.ts). Bump it with any change to what they
 * write: bundle hashes include it (the source-bundle test pins the writers' output).
 */
export const ARCHIVE_WRITER_VERSION = 2;

/**
 * SHA-256 over what a bundle is: each file's path, normalised mode and content, the format and the
 * writers' version. Not over the compressed bytes, which another zlib (another Node) may write
 * otherwise, nor over the raw mode, which the checkout's umask sets: the same files give the same
 * hash, S3 key, image tag and version label on every machine.
 */
export function bundleHash(dir: string, format: 'zip' | 'tar.gz'): string {
  const hash = createHash('sha256').update(`${ARCHIVE_WRITER_VERSION}\0${format}\0`);
  for (const path of listFiles(dir)) {
    const file = join(dir, path);
    hash
      .update(`${path}\0${normalisedMode(file).toString(8)}\0`)
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
 * Terraform asset. `hash` changes exactly when a file's content, executable bit or name changes.
 */
export class SourceBundle extends Construct {
  /** Path of the archive relative to the stack's directory, for `source` arguments. */
  public readonly path: string;
  /** The bundle's content hash (hex; see bundleHash), the same on every machine. */
  public readonly hash: string;

  constructor(scope: Construct, id: string, props: SourceBundleProps) {
    super(scope, id);
    if (!existsSync(props.directory)) {
      throw new Error(`SourceBundle ${id}: directory ${props.directory} does not exist`);
    }
    const format = props.format ?? 'zip';
    this.hash = bundleHash(props.directory, format);
    // Kept per content and zlib, so stacks and runs that bundle the same files share one archive
    // and an unchanged directory is not compressed again (deflating the web app's release took most
    // of a synth's time). The file name is the same on every machine, and so is the asset's path.
    const dir = join(tmpdir(), 'cdktf-source-bundles', `zlib-${process.versions.zlib}`);
    const archive = join(dir, `${this.hash}.${format}`);
    if (!existsSync(archive)) {
      mkdirSync(dir, { recursive: true });
      const staging = `${archive}.${process.pid}`;
      writeFileSync(staging, format === 'zip' ? zipDirectory(props.directory) : tarGzDirectory(props.directory));
      renameSync(staging, archive);
    }
    const asset = new TerraformAsset(this, 'asset', { path: archive, type: AssetType.FILE, assetHash: this.hash });
    this.path = asset.path;
  }
}
