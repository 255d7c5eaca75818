import { Construct, type IConstruct } from 'constructs';
import { Aspects, CloudBackend, type IAspect, LocalBackend, NamedCloudWorkspace, S3Backend, TerraformResource, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { EnvironmentConfig, StateConfig } from '../config/schema';
import { LOCATION_CONTEXT, type AwsLocation } from '../constructs/policy';
import { DestroyWithContents } from '../constructs/removal';

/** The local state file of a stack in a region, in the project root: `terraform.<stack>.<region>.tfstate`. */
export function localStateFileName(stackName: string, region: string): string {
  return `terraform.${stackName}.${region}.tfstate`;
}

/**
 * Where a stack keeps its state: chosen by `config.state`. Local files and S3 keys carry the
 * region, so a region change never reads (and plans against) the state of another region's
 * resources: it finds no state, and main.ts refuses it while a local state of another region holds
 * resources (tools/state-region.ts).
 */
export function configureStateBackend(stack: TerraformStack, stackName: string, state: StateConfig, region: string): void {
  switch (state.backend) {
    case 'local':
      // Relative to the stack's directory (cdktf.out/stacks/<name>): the project root, so state
      // survives a fresh synth and the JSON holds no machine-specific path.
      new LocalBackend(stack, { path: `../../../${localStateFileName(stackName, region)}` });
      return;
    case 's3': {
      new S3Backend(stack, {
        bucket: state.bucket,
        key: `${state.keyPrefix}/${region}/${stackName}.tfstate`,
        region: state.region,
        encrypt: true,
        kmsKeyId: state.kmsKeyId,
      });
      // Terraform >= 1.10 locks with a lock file next to the state; cdktf 0.21 has no field for it.
      stack.addOverride('terraform.backend.s3.use_lockfile', true);
      return;
    }
    case 'cloud':
      new CloudBackend(stack, {
        organization: state.organization,
        hostname: state.hostname,
        workspaces: new NamedCloudWorkspace(`${state.workspacePrefix}${stackName}`),
      });
      return;
  }
}

/**
 * The Terraform every stack needs: write-only arguments (`secret_string_wo`, which keep APP_KEY and
 * the generated passwords out of the state) arrived in 1.11, and the S3 backend's lock file in 1.10.
 * Written into each stack, so an older Terraform (a Terraform Cloud workspace pinned to one, say)
 * stops at init with the version it needs, instead of failing on an unknown argument.
 */
export const TERRAFORM_REQUIRED_VERSION = '>= 1.11';

/**
 * What a production destroy keeps (Terraform's `prevent_destroy`): the KMS keys, without which the
 * final database snapshot, the backups and the releases cannot be read, and the repository that
 * holds the application's code. docs/operations.md ("Destroy and restore") takes them out of the
 * state before a deliberate destroy, so they stay.
 */
export const RETAINED_IN_PRODUCTION: readonly string[] = ['aws_kms_key', 'aws_codecommit_repository'];

class PreventDestroy implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof TerraformResource && RETAINED_IN_PRODUCTION.includes(node.terraformResourceType)) {
      node.lifecycle = { ...node.lifecycle, preventDestroy: true };
    }
  }
}

/**
 * A stack deployed into one environment: the AWS provider pinned to the environment's account and
 * region with default tags, the configured state backend, and in production the data a destroy
 * must not take (RETAINED_IN_PRODUCTION).
 */
export class EnvironmentStack extends TerraformStack {
  public readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, config: EnvironmentConfig) {
    super(scope, id);
    this.config = config;
    // Every construct in the stack reads its account and region from here (locationOf).
    this.node.setContext(LOCATION_CONTEXT, this.location);
    new AwsProvider(this, 'aws', {
      region: config.region,
      allowedAccountIds: [config.accountId],
      defaultTags: [
        {
          tags: {
            ...config.tags,
            project: config.project,
            environment: config.name,
            'managed-by': 'cdktf',
            stack: id,
          },
        },
      ],
    });
    configureStateBackend(this, id, config.state, config.region);
    this.addOverride('terraform.required_version', TERRAFORM_REQUIRED_VERSION);
    if (config.production) Aspects.of(this).add(new PreventDestroy());
    // `forceDestroyBuckets`: a destroy empties the stack's buckets and repositories first.
    if (config.forceDestroyBuckets) Aspects.of(this).add(new DestroyWithContents());
  }

  /** Account and region, for ARNs and service principals (the stack's constructs read it with `locationOf`). */
  get location(): AwsLocation {
    return { accountId: this.config.accountId, region: this.config.region };
  }
}
