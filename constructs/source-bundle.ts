import { Construct } from 'constructs';
import { AssetType, TerraformAsset } from 'cdktf';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarGzDirectory } from './tar';
import { zipDirectory } from './zip';

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
    const bytes = format === 'zip' ? zipDirectory(props.directory) : tarGzDirectory(props.directory);
    this.hash = createHash('sha256').update(bytes).digest('hex');
    // Content-addressed, so stacks and runs that bundle the same files share one archive.
    const dir = join(tmpdir(), 'cdktf-source-bundles');
    const archive = join(dir, `${this.hash}.${format}`);
    if (!existsSync(archive)) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(archive, bytes);
    }
    const asset = new TerraformAsset(this, 'asset', { path: archive, type: AssetType.FILE, assetHash: this.hash });
    this.path = asset.path;
  }
}
