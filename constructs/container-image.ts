import { Construct } from 'constructs';
import type { TerraformResource } from 'cdktf';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { roleTarget } from './event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CodebuildProject } from '@cdktf/provider-aws/lib/codebuild-project';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import type { EncryptionKey } from './encryption-key';
import { PrivateBucket } from './private-bucket';
import { SourceBundle } from './source-bundle';
import { buildEnvironment } from './platform';
import { Grant, ServiceRole, type IGrantable } from './grants';
import type { FailureEvent } from './monitoring';

/** Where the bundles go in the source bucket: an upload under it starts a build. */
const SOURCE_PREFIX = 'image/';

export interface ContainerImageProps {
  /** Name of the ECR repository and the build project (2-256 characters, lower case). */
  readonly name: string;
  /** A directory with a Dockerfile and the buildspec.yml that builds and pushes it. */
  readonly directory: string;
  /** Encrypts the repository's images, the source bundles and the build's logs. */
  readonly encryptionKey: EncryptionKey;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /**
   * Tagged images kept; older ones expire (untagged ones after a day).
   * @default 30
   */
  readonly keepImages?: number;
}

/**
 * A container image built from a directory of this repository, with no manual step: the directory
 * is bundled at synth time (its hash is the image tag), Terraform uploads the bundle to a private
 * source bucket, the upload starts a CodeBuild build through EventBridge, and the build pushes
 * `<repository>:<tag>` to a private ECR repository (immutable tags, scan on push, customer-managed
 * key). Consumers wait for the tag (see the Cachet bundle's prebuild hook) and pull it with their
 * own role (`grantPull`).
 */
/** What a consumer of an image needs: what to run, its tag, and the grant to pull it. */
export interface IContainerImage {
  /** `<registry>/<repository>:<tag>`: what to run. */
  readonly imageUri: string;
  readonly tag: string;
  /** Lets a role pull the image. */
  grantPull(grantee: IGrantable): Grant;
}

export class ContainerImage extends Construct implements IContainerImage {
  public readonly repository: EcrRepository;
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<name>:<tag>`: what to run. */
  public readonly imageUri: string;
  /** The tag: the first 16 hex digits of the directory bundle's SHA-256. */
  public readonly tag: string;
  private readonly project: CodebuildProject;

  constructor(scope: Construct, id: string, props: ContainerImageProps) {
    super(scope, id);
    if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(props.name) || props.name.length > 256) {
      throw new Error(`ContainerImage ${id}: name "${props.name}" is not an ECR repository name; use lower-case letters, digits and single . _ - between them`);
    }
    const keep = props.keepImages ?? 30;
    if (!Number.isInteger(keep) || keep < 1) {
      throw new Error(`ContainerImage ${id}: keepImages is ${keep}; keep at least 1 image (the one running)`);
    }

    this.repository = this.addRepository(props, keep);
    const source = new SourceBundle(this, 'source', { directory: props.directory });
    this.tag = source.hash.slice(0, 16);
    this.imageUri = `${this.repository.repositoryUrl}:${this.tag}`;
    const sourceBucket = new PrivateBucket(this, 'source-bucket', {
      namePrefix: `${props.name}-src-`,
      encryptionKey: props.encryptionKey,
    });
    const sourceKey = `${SOURCE_PREFIX}${source.hash}.zip`;
    this.project = this.addBuildProject(props, sourceBucket, sourceKey);

    // Upload -> S3 "Object Created" event -> EventBridge -> StartBuild.
    const trigger = this.startBuildOnUpload(props, sourceBucket.bucket);
    new S3Object(this, 'source-object', {
      bucket: sourceBucket.bucket.id,
      key: sourceKey,
      source: source.path,
      sourceHash: source.hash,
      // The upload is what starts the build: everything on that path exists first.
      dependsOn: [...sourceBucket.settings, ...trigger, this.project],
    });
  }

  /** The repository: immutable tags, scanned on push, encrypted with the key, the newest `keep` images kept. */
  private addRepository(props: ContainerImageProps, keep: number): EcrRepository {
    const repository = new EcrRepository(this, 'repository', {
      name: props.name,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'KMS', kmsKey: props.encryptionKey.arn }],
      // A destroy leaves a repository with images in place, unless DestroyWithContents applies.
      forceDelete: false,
    });
    new EcrLifecyclePolicy(this, 'lifecycle', {
      repository: repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: 'Untagged layers of failed pushes',
            selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
            action: { type: 'expire' },
          },
          {
            rulePriority: 2,
            description: `Keep the ${keep} newest images`,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keep },
            action: { type: 'expire' },
          },
        ],
      }),
    });
    return repository;
  }

  /** The privileged CodeBuild project that builds the bundle's Dockerfile and pushes the tag, with its role and logs. */
  private addBuildProject(props: ContainerImageProps, sourceBucket: PrivateBucket, sourceKey: string): CodebuildProject {
    const key = props.encryptionKey;
    const logGroup = new CloudwatchLogGroup(this, 'build-logs', {
      name: `/aws/codebuild/${props.name}-image`,
      retentionInDays: props.logRetentionDays ?? 30,
      kmsKeyId: key.arn,
    });
    const role = new ServiceRole(this, 'build-role', {
      name: `${props.name}-image-build`,
      service: 'codebuild.amazonaws.com',
      inlinePolicy: { id: 'build-policy', name: 'build-and-push' },
    });
    const buildPolicy = role.policy;
    sourceBucket.grantObjects(buildPolicy, 'ReadTheSource', ['s3:GetObject', 's3:GetObjectVersion'], {
      prefix: SOURCE_PREFIX,
      keySid: 'DecryptTheSourceThroughS3',
    });
    buildPolicy.addToPrincipalPolicy([
      { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` },
      { Sid: 'LogInToEcr', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Sid: 'PushToTheRepository',
        Effect: 'Allow',
        Action: [
          'ecr:BatchCheckLayerAvailability',
          'ecr:BatchGetImage',
          'ecr:CompleteLayerUpload',
          'ecr:DescribeImages',
          'ecr:GetDownloadUrlForLayer',
          'ecr:InitiateLayerUpload',
          'ecr:PutImage',
          'ecr:UploadLayerPart',
        ],
        Resource: this.repository.arn,
      },
    ]);
    return new CodebuildProject(this, 'build', {
      name: `${props.name}-image`,
      description: `Builds ${props.name}'s image from its bundle and pushes it to ECR (buildspec.yml in the bundle)`,
      serviceRole: role.role.arn,
      buildTimeout: 30,
      encryptionKey: key.arn,
      source: { type: 'S3', location: `${sourceBucket.bucket.id}/${sourceKey}`, buildspec: 'buildspec.yml' },
      artifacts: { type: 'NO_ARTIFACTS' },
      // Docker builds need the daemon CodeBuild only runs in privileged mode.
      environment: buildEnvironment({
        privileged: true,
        variables: [
          { name: 'REPOSITORY_URI', value: this.repository.repositoryUrl },
          { name: 'IMAGE_TAG', value: this.tag },
        ],
      }),
      logsConfig: { cloudwatchLogs: { status: 'ENABLED', groupName: logGroup.name }, s3Logs: { status: 'DISABLED' } },
    });
  }

  /** The bucket's events go to EventBridge, whose rule starts the build on an upload under the prefix. Returns what the upload waits for. */
  private startBuildOnUpload(props: ContainerImageProps, bucket: S3Bucket): TerraformResource[] {
    const notifications = new S3BucketNotification(this, 'source-events', { bucket: bucket.id, eventbridge: true });
    const rule = new CloudwatchEventRule(this, 'source-uploaded', {
      name: `${props.name}-image-source`,
      description: `Builds ${props.name}'s image when a new bundle is uploaded`,
      eventPattern: JSON.stringify({
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [bucket.bucket] }, object: { key: [{ prefix: SOURCE_PREFIX }] } },
      }),
    });
    const target = roleTarget(this, {
      rule,
      arn: this.project.arn,
      action: 'codebuild:StartBuild',
      ids: { role: 'start-build-role', policy: 'start-build-policy', target: 'start-build' },
      roleName: `${props.name}-image-start`,
      policyName: 'start-build',
      sid: 'StartTheImageBuild',
    });
    return [notifications, target];
  }

  /** A build of the image that failed or was stopped: the tag never appears, and consumers waiting for it time out. */
  public failureEvents(): FailureEvent[] {
    return [
      {
        id: 'image-build-failed',
        description: 'A build of the container image failed',
        pattern: {
          source: ['aws.codebuild'],
          'detail-type': ['CodeBuild Build State Change'],
          detail: { 'project-name': [this.project.name], 'build-status': ['FAILED', 'STOPPED'] },
        },
        message:
          'Image build <status>: project <project>, build <build>, at <time>. The tag is not pushed; the build log says why (aws codebuild batch-get-builds).',
        paths: { status: '$.detail.build-status', project: '$.detail.project-name', build: '$.detail.build-id', time: '$.time' },
      },
    ];
  }

  /** Lets a role pull this image (instances: Beanstalk logs in to ECR with their profile). */
  public grantPull(grantee: IGrantable): Grant {
    return Grant.addToPrincipal(grantee, [
      { Sid: 'LogInToEcr', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Sid: 'PullTheImage',
        Effect: 'Allow',
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:DescribeImages', 'ecr:GetDownloadUrlForLayer'],
        Resource: this.repository.arn,
      },
    ]);
  }
}
