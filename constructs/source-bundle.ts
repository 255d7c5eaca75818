import { Construct } from 'constructs';
import { AssetType, TerraformAsset } from 'cdktf';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipDirectory } from './zip';

export interface SourceBundleProps {
  /** Directory whose files make up the bundle. */
  readonly directory: string;
}

/**
 * A directory of the repo zipped at synth time into a deterministic archive and added to the stack
 * as a Terraform asset. `hash` changes exactly when a file's content, mode or name changes.
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
    const zip = zipDirectory(props.directory);
    this.hash = createHash('sha256').update(zip).digest('hex');
    // Content-addressed, so stacks and runs that bundle the same files share one archive.
    const dir = join(tmpdir(), 'cdktf-source-bundles');
    const archive = join(dir, `${this.hash}.zip`);
    if (!existsSync(archive)) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(archive, zip);
    }
    const asset = new TerraformAsset(this, 'asset', { path: archive, type: AssetType.FILE, assetHash: this.hash });
    this.path = asset.path;
  }
}
