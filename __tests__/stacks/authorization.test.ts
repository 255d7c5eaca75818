// Authorization, evaluated: every call a script, function or AWS service makes for us at run time is a
// row (principal, action, resource, request context) that IAM's rules must allow, evaluated by a
// field-made engine against the synthesized identity policies, resource policies and key policies
// of each environment's stacks (harness/authorization.ts). Negative rows say what must stay refused.
// The calls in the scripts AWS runs are read from the scripts, so a new `aws ...` line or SDK command
// without a row fails; every statement of our policies must be needed by a row, so removing one fails
// a named row, and a statement no row needs is reported as a grant nothing uses.
import { readFileSync } from 'node:fs';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { environmentNames } from '../../config/load';
import { AccountPolicies, ELB_ACCOUNTS, type AuthorizationRequest, type Decision, type StatementRef } from '../../harness/authorization';
import { cliCalls, sdkCalls, type AwsCall } from '../../harness/aws-calls';
import { projectPath } from '../../project';
import { buildStacks, type SystemName } from '../../stacks';
import { config, shippedStacks, yieldToEventLoop, type Json } from '../helpers/synth';

type System = SystemName;

/** One environment's stacks, read as IAM sees them, with the names the rows use. */
class Env {
  readonly policies: AccountPolicies;

  constructor(
    readonly name: string,
    stacks: Record<string, Json>,
  ) {
    this.policies = new AccountPolicies(stacks);
  }

  get account(): string {
    return this.policies.accountId;
  }
  get region(): string {
    return this.policies.region;
  }
  arn(system: System, type: string, idPrefix: string): string {
    return this.policies.arn(`${system}-${this.name}`, type, idPrefix);
  }
  role(system: System, idPrefix: string): string {
    return this.arn(system, 'aws_iam_role', idPrefix);
  }
  key(system: System): string {
    return this.arn(system, 'aws_kms_key', 'data-key');
  }
  has(system: System, type: string, idPrefix: string): boolean {
    return this.policies.has(`${system}-${this.name}`, type, idPrefix);
  }
  bucket(system: System, idPrefix: string): string {
    return this.arn(system, 'aws_s3_bucket', idPrefix);
  }
  attribute(system: System, type: string, idPrefix: string, path: string): unknown {
    return this.policies.attribute(`${system}-${this.name}`, type, idPrefix, path);
  }
  /** An HTTPS request through `service` (`kms:ViaService`), as when S3 or Secrets Manager decrypts for the caller. */
  via(service: string): Record<string, string> {
    return { 'aws:SecureTransport': 'true', 'kms:ViaService': `${service}.${this.region}.amazonaws.com` };
  }
  /** A service acting for a resource of this account (`aws:SourceAccount`, `aws:SourceArn`). */
  source(arn?: string): Record<string, string> {
    return { 'aws:SourceAccount': this.account, ...(arn ? { 'aws:SourceArn': arn } : {}) };
  }
}

const TLS = { 'aws:SecureTransport': 'true' } as const;
const OUTSIDER = 'arn:aws:iam::999999999999:role/outsider';
/** What another account may grant its own principals: everything. Only our resource policies stand in the way. */
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

interface Row {
  readonly system: System;
  /** What makes the call, in words. */
  readonly who: string;
  /** The script or function that makes the call, when it is read from one (see scriptCalls). */
  readonly script?: string;
  /** Whether the environment has what the row is about (an optional feature). @default - always */
  readonly when?: (e: Env) => boolean;
  readonly request: (e: Env) => AuthorizationRequest;
}

const assume = (system: System, service: string, role: string, context: (e: Env) => Record<string, string> = (e) => e.source()): Row => ({
  system,
  who: `${service} assumes ${role}`,
  request: (e) => ({ principal: service, action: 'sts:AssumeRole', resource: e.role(system, role), context: context(e) }),
});

/** Calls that must be allowed. */
const ALLOWED: readonly Row[] = [
  // The web fleet's instances at boot (the launch template's user data).
  assume('web', 'ec2.amazonaws.com', 'fleet_instance-role', () => ({})),
  {
    system: 'web',
    who: 'web instance boot downloads its release',
    script: 'web user data',
    request: (e) => ({
      principal: e.role('web', 'fleet_instance-role'),
      action: 's3:GetObject',
      resource: `${e.bucket('web', 'releases_bucket')}/webapp/v1.tar.gz`,
      context: TLS,
    }),
  },
  {
    system: 'web',
    who: 'web instance boot: S3 decrypts the release with the key',
    request: (e) => ({ principal: e.role('web', 'fleet_instance-role'), action: 'kms:Decrypt', resource: e.key('web'), context: e.via('s3') }),
  },
  // The pipeline: source, build, deploy (app/deploy/release.sh in the deploy project).
  assume('web', 'codepipeline.amazonaws.com', 'delivery_pipeline-role'),
  assume('web', 'codebuild.amazonaws.com', 'delivery_build-role'),
  assume('web', 'codebuild.amazonaws.com', 'delivery_deploy-role'),
  assume('web', 'events.amazonaws.com', 'delivery_events-role'),
  ...(['GetBranch', 'GetCommit', 'GetRepository', 'UploadArchive', 'GetUploadArchiveStatus'] as const).map((op): Row => ({
    system: 'web',
    who: `pipeline source stage: codecommit:${op}`,
    request: (e) => ({
      principal: e.role('web', 'delivery_pipeline-role'),
      action: `codecommit:${op}`,
      resource: e.arn('web', 'aws_codecommit_repository', 'delivery_repository'),
      context: TLS,
    }),
  })),
  {
    system: 'web',
    who: 'pipeline source stage: CodeCommit decrypts the repository',
    request: (e) => ({ principal: e.role('web', 'delivery_pipeline-role'), action: 'kms:Decrypt', resource: e.key('web'), context: e.via('codecommit') }),
  },
  ...(['s3:PutObject', 's3:GetObject'] as const).flatMap((action) =>
    (['delivery_pipeline-role', 'delivery_build-role', 'delivery_deploy-role'] as const).map((role): Row => ({
      system: 'web',
      who: `${role} ${action} on a pipeline artifact`,
      request: (e) => ({
        principal: e.role('web', role),
        action,
        resource: `${e.bucket('web', 'delivery_artifacts_bucket')}/statuspage/SourceOutp/abc.zip`,
        context: TLS,
      }),
    })),
  ),
  ...(['kms:GenerateDataKey', 'kms:Decrypt'] as const).flatMap((action) =>
    (['delivery_pipeline-role', 'delivery_build-role', 'delivery_deploy-role'] as const).map((role): Row => ({
      system: 'web',
      who: `${role}: S3 ${action === 'kms:Decrypt' ? 'decrypts' : 'encrypts'} an artifact with the key`,
      request: (e) => ({ principal: e.role('web', role), action, resource: e.key('web'), context: e.via('s3') }),
    })),
  ),
  {
    system: 'web',
    who: 'CodePipeline checks its artifact bucket is versioned',
    request: (e) => ({
      principal: e.role('web', 'delivery_pipeline-role'),
      action: 's3:GetBucketVersioning',
      resource: e.bucket('web', 'delivery_artifacts_bucket'),
      context: TLS,
    }),
  },
  ...(['delivery_build', 'delivery_deploy'] as const).flatMap((project) =>
    (['codebuild:StartBuild', 'codebuild:BatchGetBuilds'] as const).map((action): Row => ({
      system: 'web',
      who: `pipeline runs ${project}: ${action}`,
      request: (e) => ({ principal: e.role('web', 'delivery_pipeline-role'), action, resource: e.arn('web', 'aws_codebuild_project', project), context: TLS }),
    })),
  ),
  ...(['delivery_build-role', 'delivery_deploy-role'] as const).map((role): Row => ({
    system: 'web',
    who: `${role} writes its build log`,
    request: (e) => ({
      principal: e.role('web', role),
      action: 'logs:PutLogEvents',
      resource: `${e.arn('web', 'aws_cloudwatch_log_group', 'delivery_logs')}:log-stream:build/1`,
      context: TLS,
    }),
  })),
  {
    system: 'web',
    who: 'a push starts the pipeline (EventBridge with its role)',
    request: (e) => ({
      principal: e.role('web', 'delivery_events-role'),
      action: 'codepipeline:StartPipelineExecution',
      resource: e.arn('web', 'aws_codepipeline', 'delivery_pipeline'),
      context: TLS,
    }),
  },
  // The pull request reports (buildspecs/pull-request-report.yml), where the source is CodeCommit.
  ...withPullRequestReports([
    assume('web', 'codebuild.amazonaws.com', 'delivery_pull-request-reports_role'),
    assume('web', 'events.amazonaws.com', 'delivery_pull-request-reports_events-role'),
    {
      system: 'web',
      who: 'a pull request starts its report (EventBridge with its role)',
      request: (e) => ({
        principal: e.role('web', 'delivery_pull-request-reports_events-role'),
        action: 'codebuild:StartBuild',
        resource: e.arn('web', 'aws_codebuild_project', 'delivery_pull-request-reports_project'),
        context: TLS,
      }),
    },
    {
      system: 'web',
      who: 'the report build clones the repository',
      request: (e) => ({
        principal: e.role('web', 'delivery_pull-request-reports_role'),
        action: 'codecommit:GitPull',
        resource: e.arn('web', 'aws_codecommit_repository', 'delivery_repository'),
        context: TLS,
      }),
    },
    {
      system: 'web',
      who: 'the report build: CodeCommit decrypts the repository',
      request: (e) => ({
        principal: e.role('web', 'delivery_pull-request-reports_role'),
        action: 'kms:Decrypt',
        resource: e.key('web'),
        context: e.via('codecommit'),
      }),
    },
    {
      system: 'web',
      who: 'the report build writes its log',
      request: (e) => ({
        principal: e.role('web', 'delivery_pull-request-reports_role'),
        action: 'logs:PutLogEvents',
        resource: `${e.arn('web', 'aws_cloudwatch_log_group', 'delivery_pull-request-reports_logs')}:log-stream:abc`,
        context: TLS,
      }),
    },
    {
      system: 'web',
      who: 'the report build posts the report on the pull request',
      script: 'buildspecs/post-pull-request-report.sh',
      request: (e) => ({
        principal: e.role('web', 'delivery_pull-request-reports_role'),
        action: 'codecommit:PostCommentForPullRequest',
        resource: e.arn('web', 'aws_codecommit_repository', 'delivery_repository'),
        context: TLS,
      }),
    },
  ]),
  {
    system: 'web',
    who: 'release.sh publishes the release',
    script: 'app/deploy/release.sh',
    request: (e) => ({
      principal: e.role('web', 'delivery_deploy-role'),
      action: 's3:PutObject',
      resource: `${e.bucket('web', 'releases_bucket')}/webapp/v2.tar.gz`,
      context: TLS,
    }),
  },
  {
    system: 'web',
    who: 'release.sh: S3 encrypts the release with the key',
    request: (e) => ({ principal: e.role('web', 'delivery_deploy-role'), action: 'kms:GenerateDataKey', resource: e.key('web'), context: e.via('s3') }),
  },
  {
    system: 'web',
    who: 'release.sh reads the current AMI (AMI_PARAMETER)',
    script: 'app/deploy/release.sh',
    request: (e) => ({
      principal: e.role('web', 'delivery_deploy-role'),
      action: 'ssm:GetParameter',
      resource: `arn:aws:ssm:${e.region}::parameter${amiParameter(e)}`,
      context: TLS,
    }),
  },
  {
    system: 'web',
    who: 'release.sh adds a launch template version',
    script: 'app/deploy/release.sh',
    request: (e) => ({
      principal: e.role('web', 'delivery_deploy-role'),
      action: 'ec2:CreateLaunchTemplateVersion',
      resource: launchTemplate(e),
      context: TLS,
    }),
  },
  ...(['autoscaling:StartInstanceRefresh', 'autoscaling:RollbackInstanceRefresh', 'autoscaling:CancelInstanceRefresh'] as const).map((action): Row => ({
    system: 'web',
    who: `release.sh: ${action}`,
    script: 'app/deploy/release.sh',
    request: (e) => ({
      principal: e.role('web', 'delivery_deploy-role'),
      action,
      resource: e.arn('web', 'aws_autoscaling_group', 'fleet_group'),
      context: TLS,
    }),
  })),
  ...(['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeInstanceRefreshes', 'ec2:DescribeLaunchTemplateVersions'] as const).map((action): Row => ({
    system: 'web',
    who: `release.sh: ${action} (no resource-level permission)`,
    script: 'app/deploy/release.sh',
    request: (e) => ({ principal: e.role('web', 'delivery_deploy-role'), action, resource: '*', context: TLS }),
  })),
  // Auto Scaling checks that the caller of StartInstanceRefresh with a launch template could launch
  // it itself: ec2:RunInstances on the template and what it creates, and iam:PassRole for its profile
  // (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-launch-template-permissions.html).
  ...(['launch-template', 'instance', 'volume', 'network-interface', 'subnet', 'security-group', 'image'] as const).map((kind): Row => ({
    system: 'web',
    who: `instance refresh: the caller may launch from the template (${kind})`,
    request: (e) => ({
      principal: e.role('web', 'delivery_deploy-role'),
      action: 'ec2:RunInstances',
      resource:
        kind === 'launch-template'
          ? launchTemplate(e)
          : kind === 'image'
            ? `arn:aws:ec2:${e.region}::image/ami-0123456789abcdef0`
            : `arn:aws:ec2:${e.region}:${e.account}:${kind}/${kind}-0123456789abcdef0`,
      context: { ...TLS, 'ec2:LaunchTemplate': launchTemplate(e) },
    }),
  })),
  {
    system: 'web',
    who: 'instance refresh: the launch tags the instance',
    request: (e) => ({
      principal: e.role('web', 'delivery_deploy-role'),
      action: 'ec2:CreateTags',
      resource: `arn:aws:ec2:${e.region}:${e.account}:instance/i-0123456789abcdef0`,
      context: { ...TLS, 'ec2:CreateAction': 'RunInstances' },
    }),
  },
  {
    system: 'web',
    who: 'instance refresh: the caller passes the instance role to EC2',
    request: (e) => ({
      principal: e.role('web', 'delivery_deploy-role'),
      action: 'iam:PassRole',
      resource: e.role('web', 'fleet_instance-role'),
      context: { ...TLS, 'iam:PassedToService': 'ec2.amazonaws.com' },
    }),
  },
  // The Cachet instances: Beanstalk's platform, our prebuild hooks, the secret refresher.
  assume('cachet', 'ec2.amazonaws.com', 'cachet_instance-role', () => ({})),
  assume('cachet', 'elasticbeanstalk.amazonaws.com', 'cachet_service-role', () => ({ 'sts:ExternalId': 'elasticbeanstalk' })),
  {
    system: 'cachet',
    who: '05-cachet-imds.sh sets its own instance to hop limit 1',
    script: 'assets/cachet/.platform/hooks/prebuild/05-cachet-imds.sh',
    request: (e) => ({
      principal: e.role('cachet', 'cachet_instance-role'),
      action: 'ec2:ModifyInstanceMetadataOptions',
      resource: `arn:aws:ec2:${e.region}:${e.account}:instance/i-0123456789abcdef0`,
      context: { ...TLS, 'aws:ResourceTag/elasticbeanstalk:environment-name': beanstalkEnvironment(e) },
    }),
  },
  ...(['database-app-user_secret', 'master', 'cachet_app-key'] as const).map((secret): Row => ({
    system: 'cachet',
    who: `the secret refresher reads ${secret}`,
    script: 'assets/cachet/.platform/cachet/cachet-db-secret',
    request: (e) => ({
      principal: e.role('cachet', 'cachet_instance-role'),
      action: 'secretsmanager:GetSecretValue',
      resource: cachetSecret(e, secret),
      context: TLS,
    }),
  })),
  {
    system: 'cachet',
    who: 'Beanstalk reads the CACHET_ADMIN environment secret on the instance',
    request: (e) => ({
      principal: e.role('cachet', 'cachet_instance-role'),
      action: 'secretsmanager:GetSecretValue',
      resource: cachetSecret(e, 'cachet_admin'),
      context: TLS,
    }),
  },
  {
    system: 'cachet',
    who: 'Cachet instance: Secrets Manager decrypts a secret with the key',
    request: (e) => ({
      principal: e.role('cachet', 'cachet_instance-role'),
      action: 'kms:Decrypt',
      resource: e.key('cachet'),
      context: e.via('secretsmanager'),
    }),
  },
  {
    system: 'cachet',
    who: '20-cachet-image.sh waits for the image',
    script: 'assets/cachet/.platform/hooks/prebuild/20-cachet-image.sh',
    request: (e) => ({
      principal: e.role('cachet', 'cachet_instance-role'),
      action: 'ecr:DescribeImages',
      resource: e.arn('cachet', 'aws_ecr_repository', 'cachet-image_repository'),
      context: TLS,
    }),
  },
  {
    system: 'cachet',
    who: 'Beanstalk logs in to ECR on the instance',
    request: (e) => ({ principal: e.role('cachet', 'cachet_instance-role'), action: 'ecr:GetAuthorizationToken', resource: '*', context: TLS }),
  },
  ...(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'] as const).map((action): Row => ({
    system: 'cachet',
    who: `docker compose pulls the image: ${action}`,
    request: (e) => ({
      principal: e.role('cachet', 'cachet_instance-role'),
      action,
      resource: e.arn('cachet', 'aws_ecr_repository', 'cachet-image_repository'),
      context: TLS,
    }),
  })),
  {
    system: 'cachet',
    who: 'Beanstalk downloads the source bundle on the instance',
    request: (e) => ({
      principal: e.role('cachet', 'cachet_instance-role'),
      action: 's3:GetObject',
      resource: `${e.bucket('cachet', 'cachet_bundles_bucket')}/cachet/bundle.zip`,
      context: TLS,
    }),
  },
  {
    system: 'cachet',
    who: "the Beanstalk health agent reports (AWS's AWSElasticBeanstalkWebTier)",
    request: (e) => ({
      principal: e.role('cachet', 'cachet_instance-role'),
      action: 'elasticbeanstalk:PutInstanceStatistics',
      resource: `arn:aws:elasticbeanstalk:${e.region}:${e.account}:environment/cachet/${beanstalkEnvironment(e)}`,
      context: TLS,
    }),
  },
  {
    system: 'cachet',
    who: "Beanstalk's enhanced health reads target health (AWS's AWSElasticBeanstalkEnhancedHealth)",
    request: (e) => ({ principal: e.role('cachet', 'cachet_service-role'), action: 'elasticloadbalancing:DescribeTargetHealth', resource: '*', context: TLS }),
  },
  // The image build: EventBridge starts it, CodeBuild runs the buildspec and pushes.
  assume('cachet', 'events.amazonaws.com', 'cachet-image_start-build-role'),
  assume('cachet', 'codebuild.amazonaws.com', 'cachet-image_build-role'),
  {
    system: 'cachet',
    who: 'an uploaded bundle starts the image build (EventBridge with its role)',
    request: (e) => ({
      principal: e.role('cachet', 'cachet-image_start-build-role'),
      action: 'codebuild:StartBuild',
      resource: e.arn('cachet', 'aws_codebuild_project', 'cachet-image_build'),
      context: TLS,
    }),
  },
  {
    system: 'cachet',
    who: 'CodeBuild downloads the image source',
    request: (e) => ({
      principal: e.role('cachet', 'cachet-image_build-role'),
      action: 's3:GetObject',
      resource: `${e.bucket('cachet', 'cachet-image_source-bucket')}/image/abc.zip`,
      context: TLS,
    }),
  },
  {
    system: 'cachet',
    who: 'CodeBuild: S3 decrypts the image source with the key',
    request: (e) => ({ principal: e.role('cachet', 'cachet-image_build-role'), action: 'kms:Decrypt', resource: e.key('cachet'), context: e.via('s3') }),
  },
  {
    system: 'cachet',
    who: 'the image build writes its log',
    request: (e) => ({
      principal: e.role('cachet', 'cachet-image_build-role'),
      action: 'logs:PutLogEvents',
      resource: `${e.arn('cachet', 'aws_cloudwatch_log_group', 'cachet-image_build-logs')}:log-stream:1`,
      context: TLS,
    }),
  },
  {
    system: 'cachet',
    who: 'the buildspec logs in to ECR',
    script: 'assets/cachet-image/buildspec.yml',
    request: (e) => ({ principal: e.role('cachet', 'cachet-image_build-role'), action: 'ecr:GetAuthorizationToken', resource: '*', context: TLS }),
  },
  ...(
    [
      'ecr:DescribeImages',
      'ecr:BatchCheckLayerAvailability',
      'ecr:InitiateLayerUpload',
      'ecr:UploadLayerPart',
      'ecr:CompleteLayerUpload',
      'ecr:PutImage',
    ] as const
  ).map((action): Row => ({
    system: 'cachet',
    who: `the buildspec (docker push): ${action}`,
    ...(action === 'ecr:DescribeImages' ? { script: 'assets/cachet-image/buildspec.yml' } : {}),
    request: (e) => ({
      principal: e.role('cachet', 'cachet-image_build-role'),
      action,
      resource: e.arn('cachet', 'aws_ecr_repository', 'cachet-image_repository'),
      context: TLS,
    }),
  })),
  // The status-page function and what delivers to it (when the environment maps alarms to components).
  ...withStatusPage([
    assume('cachet', 'lambda.amazonaws.com', 'status-page-updates_role'),
    {
      system: 'cachet',
      who: 'the status-page function reads its API token',
      script: 'assets/status-page-function/index.mjs',
      request: (e) => ({
        principal: e.role('cachet', 'status-page-updates_role'),
        action: 'secretsmanager:GetSecretValue',
        resource: cachetSecret(e, 'status-page-updates_api-token'),
        context: TLS,
      }),
    },
    {
      system: 'cachet',
      who: "the status-page function reads the current state of a mapped alarm (the web app's 5xx)",
      script: 'assets/status-page-function/index.mjs',
      request: (e) => ({
        principal: e.role('cachet', 'status-page-updates_role'),
        action: 'cloudwatch:DescribeAlarms',
        resource: e.arn('web', 'aws_cloudwatch_metric_alarm', 'monitoring_elb-5xx'),
        context: TLS,
      }),
    },
    {
      system: 'cachet',
      who: 'the function: Secrets Manager decrypts its token with the key',
      request: (e) => ({
        principal: e.role('cachet', 'status-page-updates_role'),
        action: 'kms:Decrypt',
        resource: e.key('cachet'),
        context: e.via('secretsmanager'),
      }),
    },
    {
      system: 'cachet',
      who: 'the function writes its log',
      request: (e) => ({
        principal: e.role('cachet', 'status-page-updates_role'),
        action: 'logs:PutLogEvents',
        resource: `${e.arn('cachet', 'aws_cloudwatch_log_group', 'status-page-updates_logs')}:log-stream:1`,
        context: TLS,
      }),
    },
    {
      system: 'cachet',
      who: 'Lambda dead-letters an event the function failed (with the function role)',
      request: (e) => ({
        principal: e.role('cachet', 'status-page-updates_role'),
        action: 'sqs:SendMessage',
        resource: e.arn('cachet', 'aws_sqs_queue', 'status-page-updates_dead-letters'),
        context: TLS,
      }),
    },
    {
      system: 'cachet',
      who: 'EventBridge invokes the function for an alarm change',
      request: (e) => ({
        principal: 'events.amazonaws.com',
        action: 'lambda:InvokeFunction',
        resource: e.arn('cachet', 'aws_lambda_function', 'status-page-updates_function'),
        context: e.source(e.arn('cachet', 'aws_cloudwatch_event_rule', 'status-page-updates_alarm-changes')),
      }),
    },
    {
      system: 'cachet',
      who: 'EventBridge dead-letters an event it could not deliver',
      request: (e) => ({
        principal: 'events.amazonaws.com',
        action: 'sqs:SendMessage',
        resource: e.arn('cachet', 'aws_sqs_queue', 'status-page-updates_dead-letters'),
        context: e.source(e.arn('cachet', 'aws_cloudwatch_event_rule', 'status-page-updates_alarm-changes')),
      }),
    },
  ]),
  // Both systems: alarms to the encrypted topic, flow logs, load balancer logs, database monitoring.
  ...(['cachet', 'web'] as const).flatMap((system): Row[] => [
    {
      system,
      who: 'CloudWatch publishes an alarm to the topic',
      request: (e) => ({
        principal: 'cloudwatch.amazonaws.com',
        action: 'sns:Publish',
        resource: e.arn(system, 'aws_sns_topic', 'alarm-topic'),
        context: e.source(`arn:aws:cloudwatch:${e.region}:${e.account}:alarm:high-5xx`),
      }),
    },
    ...(['kms:GenerateDataKey', 'kms:Decrypt'] as const).map((action): Row => ({
      system,
      who: `CloudWatch publishes to the encrypted topic: ${action}`,
      request: (e) => ({ principal: 'cloudwatch.amazonaws.com', action, resource: e.key(system), context: e.source() }),
    })),
    {
      system,
      who: 'a failure-event rule of the topic publishes to it',
      request: (e) => ({
        principal: 'events.amazonaws.com',
        action: 'sns:Publish',
        resource: e.arn(system, 'aws_sns_topic', 'alarm-topic'),
        context: e.source(e.arn(system, 'aws_cloudwatch_event_rule', system === 'web' ? 'alarm-topic_pipeline-failed' : 'alarm-topic_beanstalk-failed')),
      }),
    },
    ...(['kms:GenerateDataKey', 'kms:Decrypt'] as const).map((action): Row => ({
      system,
      who: `EventBridge publishes to the encrypted topic: ${action}`,
      request: (e) => ({ principal: 'events.amazonaws.com', action, resource: e.key(system), context: e.source() }),
    })),
    { ...assume(system, 'vpc-flow-logs.amazonaws.com', 'network_flow-log-role'), when: flowLogsIn('cloud-watch-logs', system) },
    ...(['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'] as const).map((action): Row => ({
      system,
      when: flowLogsIn('cloud-watch-logs', system),
      who: `flow logs: ${action}`,
      request: (e) => ({
        principal: e.role(system, 'network_flow-log-role'),
        action,
        resource: `${e.arn(system, 'aws_cloudwatch_log_group', 'network_flow-log-group')}:log-stream:eni-1`,
        context: TLS,
      }),
    })),
    {
      system,
      who: 'CloudWatch Logs encrypts a log group with the key',
      request: (e) => ({
        principal: `logs.${e.region}.amazonaws.com`,
        action: 'kms:GenerateDataKey',
        resource: e.key(system),
        context: {
          'kms:EncryptionContext:aws:logs:arn': e.arn(system, 'aws_cloudwatch_log_group', system === 'web' ? 'delivery_logs' : 'cachet-image_build-logs'),
        },
      }),
    },
    {
      system,
      when: flowLogsIn('s3', system),
      who: 'log delivery writes flow logs to the bucket',
      request: (e) => ({
        principal: 'delivery.logs.amazonaws.com',
        action: 's3:PutObject',
        resource: `${e.bucket(system, 'network_flow-log-bucket')}/AWSLogs/${e.account}/vpcflowlogs/${e.region}/2026/12/06/x.log.parquet`,
        context: { ...TLS, ...e.source(`arn:aws:logs:${e.region}:${e.account}:*`), 's3:x-amz-acl': 'bucket-owner-full-control' },
      }),
    },
    ...(['s3:GetBucketAcl', 's3:ListBucket'] as const).map((action): Row => ({
      system,
      when: flowLogsIn('s3', system),
      who: `log delivery checks the flow-log bucket: ${action}`,
      request: (e) => ({
        principal: 'delivery.logs.amazonaws.com',
        action,
        resource: e.bucket(system, 'network_flow-log-bucket'),
        context: { ...TLS, ...e.source(`arn:aws:logs:${e.region}:${e.account}:*`) },
      }),
    })),
    {
      system,
      who: 'the load balancer writes its access logs (the region’s ELB account)',
      request: (e) => ({
        principal: `arn:aws:iam::${elbAccount(e)}:root`,
        action: 's3:PutObject',
        resource: `${e.bucket(system, system === 'web' ? 'load-balancer_access-logs_bucket' : 'cachet_access-logs_bucket')}/AWSLogs/${e.account}/elasticloadbalancing/x.log.gz`,
        context: TLS,
        identityPolicies: [ALLOW_ALL],
      }),
    },
    {
      system,
      who: 'the load balancer writes its access logs (log delivery service)',
      request: (e) => ({
        principal: 'logdelivery.elasticloadbalancing.amazonaws.com',
        action: 's3:PutObject',
        resource: `${e.bucket(system, system === 'web' ? 'load-balancer_access-logs_bucket' : 'cachet_access-logs_bucket')}/AWSLogs/${e.account}/elasticloadbalancing/x.log.gz`,
        context: TLS,
      }),
    },
  ]),
  assume('cachet', 'monitoring.rds.amazonaws.com', 'database_monitoring-role', () => ({})),
  {
    system: 'cachet',
    who: "RDS Enhanced Monitoring writes OS metrics (AWS's AmazonRDSEnhancedMonitoringRole)",
    request: (e) => ({
      principal: e.role('cachet', 'database_monitoring-role'),
      action: 'logs:PutLogEvents',
      resource: `arn:aws:logs:${e.region}:${e.account}:log-group:RDSOSMetrics:log-stream:db-1`,
      context: TLS,
    }),
  },
];

/** Calls that must be refused. */
const DENIED: readonly Row[] = [
  {
    system: 'web',
    who: 'the web fleet cannot read the Cachet database secret',
    request: (e) => ({
      principal: e.role('web', 'fleet_instance-role'),
      action: 'secretsmanager:GetSecretValue',
      resource: cachetSecret(e, 'database-app-user_secret'),
      context: TLS,
    }),
  },
  {
    system: 'web',
    who: 'the web fleet cannot read the Cachet master secret',
    request: (e) => ({
      principal: e.role('web', 'fleet_instance-role'),
      action: 'secretsmanager:GetSecretValue',
      resource: cachetSecret(e, 'master'),
      context: TLS,
    }),
  },
  {
    system: 'web',
    who: 'the web fleet cannot read outside the release prefix',
    request: (e) => ({
      principal: e.role('web', 'fleet_instance-role'),
      action: 's3:GetObject',
      resource: `${e.bucket('web', 'releases_bucket')}/other/v1.tar.gz`,
      context: TLS,
    }),
  },
  {
    system: 'web',
    who: 'the web fleet cannot publish a release',
    request: (e) => ({
      principal: e.role('web', 'fleet_instance-role'),
      action: 's3:PutObject',
      resource: `${e.bucket('web', 'releases_bucket')}/webapp/evil.tar.gz`,
      context: TLS,
    }),
  },
  // Every bucket refuses plain HTTP, even to the principal that may otherwise read or write it.
  ...(
    [
      ['web', 'releases_bucket', 'fleet_instance-role', 's3:GetObject', 'webapp/v1.tar.gz'],
      ['web', 'delivery_artifacts_bucket', 'delivery_build-role', 's3:GetObject', 'statuspage/SourceOutp/abc.zip'],
      ['web', 'load-balancer_access-logs_bucket', 'elb', 's3:PutObject', 'AWSLogs/{account}/x.log.gz'],
      ['cachet', 'cachet_bundles_bucket', 'cachet_instance-role', 's3:GetObject', 'cachet/bundle.zip'],
      ['cachet', 'cachet_access-logs_bucket', 'elb', 's3:PutObject', 'AWSLogs/{account}/x.log.gz'],
      ['cachet', 'cachet-image_source-bucket', 'cachet-image_build-role', 's3:GetObject', 'image/abc.zip'],
    ] as const
  ).map(([system, bucket, role, action, key]): Row => ({
    system,
    who: `${bucket} refuses ${action} over plain HTTP`,
    request: (e) => ({
      principal: role === 'elb' ? `arn:aws:iam::${elbAccount(e)}:root` : e.role(system, role),
      action,
      resource: `${e.bucket(system, bucket)}/${key.replace('{account}', e.account)}`,
      context: { 'aws:SecureTransport': 'false' },
      ...(role === 'elb' ? { identityPolicies: [ALLOW_ALL] } : {}),
    }),
  })),
  {
    system: 'web',
    who: 'the web fleet cannot use the key outside S3',
    request: (e) => ({ principal: e.role('web', 'fleet_instance-role'), action: 'kms:Decrypt', resource: e.key('web'), context: TLS }),
  },
  {
    system: 'web',
    who: 'the deploy role cannot launch without the template',
    request: (e) => ({
      principal: e.role('web', 'delivery_deploy-role'),
      action: 'ec2:RunInstances',
      resource: `arn:aws:ec2:${e.region}:${e.account}:instance/i-0123456789abcdef0`,
      context: TLS,
    }),
  },
  {
    system: 'web',
    who: 'the deploy role cannot pass the instance role to another service',
    request: (e) => ({
      principal: e.role('web', 'delivery_deploy-role'),
      action: 'iam:PassRole',
      resource: e.role('web', 'fleet_instance-role'),
      context: { ...TLS, 'iam:PassedToService': 'lambda.amazonaws.com' },
    }),
  },
  {
    system: 'web',
    who: 'the build role cannot publish a release (only the deploy stage does)',
    request: (e) => ({
      principal: e.role('web', 'delivery_build-role'),
      action: 's3:PutObject',
      resource: `${e.bucket('web', 'releases_bucket')}/webapp/v2.tar.gz`,
      context: TLS,
    }),
  },
  ...withStatusPage(
    (['cachet_admin', 'cachet_app-key', 'database-app-user_secret', 'master'] as const).map((secret): Row => ({
      system: 'cachet',
      who: `the status-page function cannot read ${secret}`,
      request: (e) => ({
        principal: e.role('cachet', 'status-page-updates_role'),
        action: 'secretsmanager:GetSecretValue',
        resource: cachetSecret(e, secret),
        context: TLS,
      }),
    })),
  ),
  {
    system: 'cachet',
    who: "a Cachet instance cannot change another environment's instance metadata",
    request: (e) => ({
      principal: e.role('cachet', 'cachet_instance-role'),
      action: 'ec2:ModifyInstanceMetadataOptions',
      resource: `arn:aws:ec2:${e.region}:${e.account}:instance/i-0123456789abcdef0`,
      context: { ...TLS, 'aws:ResourceTag/elasticbeanstalk:environment-name': 'someone-else' },
    }),
  },
  {
    system: 'cachet',
    who: 'a Cachet instance cannot push an image',
    request: (e) => ({
      principal: e.role('cachet', 'cachet_instance-role'),
      action: 'ecr:PutImage',
      resource: e.arn('cachet', 'aws_ecr_repository', 'cachet-image_repository'),
      context: TLS,
    }),
  },
  {
    system: 'cachet',
    when: hasStatusPage,
    who: 'the status-page function cannot read an alarm no component maps (NAT port allocation)',
    request: (e) => ({
      principal: e.role('cachet', 'status-page-updates_role'),
      action: 'cloudwatch:DescribeAlarms',
      resource: e.arn('web', 'aws_cloudwatch_metric_alarm', `monitoring_nat-port-allocation-${e.region}a`),
      context: TLS,
    }),
  },
  {
    system: 'cachet',
    when: hasStatusPage,
    who: 'another rule cannot invoke the function',
    request: (e) => ({
      principal: 'events.amazonaws.com',
      action: 'lambda:InvokeFunction',
      resource: e.arn('cachet', 'aws_lambda_function', 'status-page-updates_function'),
      context: e.source(`arn:aws:events:${e.region}:${e.account}:rule/another`),
    }),
  },
  ...(['cachet', 'web'] as const).flatMap((system): Row[] => [
    {
      system,
      who: 'another account cannot publish to the topic',
      request: (e) => ({
        principal: OUTSIDER,
        action: 'sns:Publish',
        resource: e.arn(system, 'aws_sns_topic', 'alarm-topic'),
        context: TLS,
        identityPolicies: [ALLOW_ALL],
      }),
    },
    {
      system,
      who: "a rule not named after the topic (another stack's) cannot publish to it",
      request: (e) => ({
        principal: 'events.amazonaws.com',
        action: 'sns:Publish',
        resource: e.arn(system, 'aws_sns_topic', 'alarm-topic'),
        context: e.source(`arn:aws:events:${e.region}:${e.account}:rule/another-rule`),
      }),
    },
    {
      system,
      who: "another account's alarms cannot publish to the topic",
      request: (e) => ({
        principal: 'cloudwatch.amazonaws.com',
        action: 'sns:Publish',
        resource: e.arn(system, 'aws_sns_topic', 'alarm-topic'),
        context: { 'aws:SourceAccount': '999999999999', 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:999999999999:alarm:x' },
      }),
    },
    {
      system,
      who: 'another account cannot decrypt with the key',
      request: (e) => ({ principal: OUTSIDER, action: 'kms:Decrypt', resource: e.key(system), context: TLS, identityPolicies: [ALLOW_ALL] }),
    },
    {
      system,
      who: "CloudWatch Logs cannot use the key for another account's log group",
      request: (e) => ({
        principal: `logs.${e.region}.amazonaws.com`,
        action: 'kms:GenerateDataKey',
        resource: e.key(system),
        context: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${e.region}:999999999999:log-group:x` },
      }),
    },
    {
      ...assumeRefused(system, 'a service in another account cannot assume the flow-log role', 'vpc-flow-logs.amazonaws.com', 'network_flow-log-role'),
      when: flowLogsIn('cloud-watch-logs', system),
    },
    {
      system,
      when: flowLogsIn('s3', system),
      who: 'the flow-log bucket refuses s3:PutObject over plain HTTP',
      request: (e) => ({
        principal: 'delivery.logs.amazonaws.com',
        action: 's3:PutObject',
        resource: `${e.bucket(system, 'network_flow-log-bucket')}/AWSLogs/${e.account}/vpcflowlogs/x.log.parquet`,
        context: { 'aws:SecureTransport': 'false', ...e.source(`arn:aws:logs:${e.region}:${e.account}:*`), 's3:x-amz-acl': 'bucket-owner-full-control' },
      }),
    },
    {
      system,
      when: flowLogsIn('s3', system),
      who: "log delivery cannot write another account's flow logs into the bucket",
      request: (e) => ({
        principal: 'delivery.logs.amazonaws.com',
        action: 's3:PutObject',
        resource: `${e.bucket(system, 'network_flow-log-bucket')}/AWSLogs/${e.account}/vpcflowlogs/x.log.parquet`,
        context: {
          ...TLS,
          'aws:SourceAccount': '999999999999',
          'aws:SourceArn': 'arn:aws:logs:eu-west-1:999999999999:*',
          's3:x-amz-acl': 'bucket-owner-full-control',
        },
      }),
    },
  ]),
  assumeRefused('cachet', 'Beanstalk without its external id cannot assume the service role', 'elasticbeanstalk.amazonaws.com', 'cachet_service-role'),
];

/** Where the system's flow logs go in the environment (network.flowLogDestination). */
function flowLogsIn(destination: 'cloud-watch-logs' | 's3', system: System): (e: Env) => boolean {
  return (e) =>
    destination === 's3' ? e.has(system, 'aws_s3_bucket', 'network_flow-log-bucket') : e.has(system, 'aws_cloudwatch_log_group', 'network_flow-log-group');
}

/** The status-page function is made when the environment maps alarms to Cachet components. */
function hasStatusPage(e: Env): boolean {
  return e.has('cachet', 'aws_lambda_function', 'status-page-updates_function');
}

/** The pull request reports are made for a CodeCommit source unless the environment turns them off. */
function withPullRequestReports(rows: readonly Row[]): Row[] {
  return rows.map((r) => ({ ...r, when: (e: Env) => e.has('web', 'aws_codebuild_project', 'delivery_pull-request-reports_project') }));
}

function withStatusPage(rows: readonly Row[]): Row[] {
  return rows.map((r) => ({ ...r, when: hasStatusPage }));
}

function assumeRefused(system: System, who: string, service: string, role: string): Row {
  return {
    system,
    who,
    request: (e) => ({ principal: service, action: 'sts:AssumeRole', resource: e.role(system, role), context: { 'aws:SourceAccount': '999999999999' } }),
  };
}

function amiParameter(e: Env): string {
  const environment = e.attribute('web', 'aws_codebuild_project', 'delivery_deploy', 'environment') as Json;
  const variable = environment.environment_variable.find((v: Json) => v.name === 'AMI_PARAMETER');
  return variable.value;
}

function launchTemplate(e: Env): string {
  return e.arn('web', 'aws_launch_template', 'fleet_launch-template');
}

function beanstalkEnvironment(e: Env): string {
  return e.attribute('cachet', 'aws_elastic_beanstalk_environment', 'cachet_environment', 'name') as string;
}

/** The region's Elastic Load Balancing account, which writes access logs (AWS's published table). */
function elbAccount(e: Env): string {
  return ELB_ACCOUNTS[e.region];
}

/** A Cachet-stack secret by logical id prefix; `master` is the cluster's RDS-managed master secret. */
function cachetSecret(e: Env, secret: string): string {
  if (secret === 'master') return String(e.attribute('cachet', 'aws_rds_cluster', 'database_cluster', 'master_user_secret[0].secret_arn'));
  return e.arn('cachet', 'aws_secretsmanager_secret', secret);
}

/** The scripts and functions AWS runs for us, each with the calls read from its text. */
function scriptCalls(e: Env): Record<string, AwsCall[]> {
  const read = (path: string) => readFileSync(projectPath(path), 'utf8');
  const userData = Buffer.from(String(e.attribute('web', 'aws_launch_template', 'fleet_launch-template', 'user_data')), 'base64').toString('utf8');
  return {
    'web user data': cliCalls(userData),
    'app/deploy/release.sh': cliCalls(read('app/deploy/release.sh')),
    'app/buildspec.yml': cliCalls(read('app/buildspec.yml')),
    'app/deployspec.yml': cliCalls(read('app/deployspec.yml')),
    'app/build.sh': cliCalls(read('app/build.sh')),
    ...(e.has('web', 'aws_codebuild_project', 'delivery_pull-request-reports_project')
      ? {
          'buildspecs/pull-request-report.yml': cliCalls(read('buildspecs/pull-request-report.yml')),
          'buildspecs/post-pull-request-report.sh': cliCalls(read('buildspecs/post-pull-request-report.sh')),
        }
      : {}),
    'assets/cachet-image/buildspec.yml': cliCalls(read('assets/cachet-image/buildspec.yml')),
    'assets/cachet/.platform/hooks/prebuild/05-cachet-imds.sh': cliCalls(read('assets/cachet/.platform/hooks/prebuild/05-cachet-imds.sh')),
    'assets/cachet/.platform/hooks/prebuild/10-cachet-db-secret.sh': cliCalls(read('assets/cachet/.platform/hooks/prebuild/10-cachet-db-secret.sh')),
    'assets/cachet/.platform/hooks/prebuild/20-cachet-image.sh': cliCalls(read('assets/cachet/.platform/hooks/prebuild/20-cachet-image.sh')),
    'assets/cachet/.platform/cachet/cachet-db-secret': cliCalls(read('assets/cachet/.platform/cachet/cachet-db-secret')),
    ...(hasStatusPage(e) ? { 'assets/status-page-function/index.mjs': sdkCalls(read('assets/status-page-function/index.mjs')) } : {}),
  };
}

async function stacksOf(env: string): Promise<Record<string, Json>> {
  return Object.fromEntries((await shippedStacks(env)).map(([id, text]) => [id, JSON.parse(text)]));
}

const label = (r: Row) => `${r.system}: ${r.who}`;
const statementName = (s: StatementRef) => `${s.policy}#${s.index}${s.sid ? ` (${s.sid})` : ''}`;

// Every environment's stacks, read once at collection: which rows apply depends on what each has.
// Built before the tests, yielding between environments (see shippedStacks).
const environments: (readonly [string, Env])[] = [];
for (const name of environmentNames()) {
  environments.push([name, new Env(name, await stacksOf(name))]);
  await yieldToEventLoop();
}

describe.each(environments)('authorization in %s', (_, e) => {
  const allowed = ALLOWED.filter((r) => r.when?.(e) ?? true);
  const denied = DENIED.filter((r) => r.when?.(e) ?? true);
  const decide = (row: Row, without?: StatementRef): Promise<Decision> => e.policies.decide(row.request(e), without);

  it.each(allowed.map((r) => [label(r), r] as const))('allows %s', async (_, row) => {
    expect(await decide(row)).toBe('Allowed');
  });

  it.each(denied.map((r) => [label(r), r] as const))('refuses: %s', async (_, row) => {
    expect(await decide(row)).not.toBe('Allowed');
  });

  it('every AWS call in the scripts and functions AWS runs has an allowed row, and every row names a call its script makes', () => {
    // GIVEN the calls read from each script WHEN matched against the rows that name that script
    const calls = scriptCalls(e);
    const missing = Object.entries(calls).flatMap(([script, list]) =>
      list.filter((c) => !allowed.some((r) => r.script === script && r.request(e).action === c.action)).map((c) => `${script}: aws ${c.call} (${c.action})`),
    );
    const stale = allowed.filter((r) => r.script && !(calls[r.script] ?? []).some((c) => c.action === r.request(e).action)).map(label);
    // THEN none is missing, and no row claims a call its script does not make
    expect(missing).toEqual([]);
    expect(stale).toEqual([]);
    expect(Object.values(calls).flat().length).toBeGreaterThan(10);
  });

  it('every Allow statement of our policies is needed: removing it refuses a named row', async () => {
    // GIVEN each Allow statement of the stacks' identity, resource, trust and key policies
    const allows = e.policies.statements().filter((s) => s.effect === 'Allow');
    expect(allows.length).toBeGreaterThan(40);
    const unused: string[] = [];
    for (const statement of allows) {
      // WHEN it is removed THEN some allowed row is refused
      let needed = false;
      for (const row of allowed.filter((r) => e.policies.consults(r.request(e), statement))) {
        if ((await decide(row, statement)) !== 'Allowed') {
          needed = true;
          break;
        }
      }
      if (!needed) unused.push(statementName(statement));
    }
    expect(unused).toEqual([]);
  });

  it('every Deny statement holds: removing it lets a refused row through', async () => {
    const denies = e.policies.statements().filter((s) => s.effect === 'Deny');
    expect(denies.length).toBeGreaterThan(0);
    const idle: string[] = [];
    for (const statement of denies) {
      let needed = false;
      for (const row of denied.filter((r) => e.policies.consults(r.request(e), statement))) {
        if ((await decide(row, statement)) === 'Allowed') {
          needed = true;
          break;
        }
      }
      if (!needed) idle.push(statementName(statement));
    }
    expect(idle).toEqual([]);
  });
});

describe('two environments in one account', () => {
  // GIVEN dev and staging deployed to the same account (the shipped files use one account each)
  const account = config('dev').accountId;
  const stacks = Object.fromEntries(
    buildStacks(Testing.app(), [config('dev'), config('staging', { accountId: account })]).map((s) => [s.node.id, JSON.parse(Testing.synth(s))]),
  );
  const policies = new AccountPolicies(stacks);
  const release = (env: string) => `${policies.arn(`web-${env}`, 'aws_s3_bucket', 'releases_bucket')}/webapp/v1.tar.gz`;
  const fleet = (env: string) => policies.arn(`web-${env}`, 'aws_iam_role', 'fleet_instance-role');

  it.each([
    ['dev', 'dev', 'Allowed'],
    ['staging', 'staging', 'Allowed'],
    ['dev', 'staging', 'ImplicitlyDenied'],
    ['staging', 'dev', 'ImplicitlyDenied'],
  ] as const)("the %s fleet reading %s's release: %s", async (reader, owner, decision) => {
    expect(await policies.decide({ principal: fleet(reader), action: 's3:GetObject', resource: release(owner), context: TLS })).toBe(decision);
  });

  it("the staging deploy role cannot publish to dev's releases", async () => {
    const deploy = policies.arn('web-staging', 'aws_iam_role', 'delivery_deploy-role');
    expect(await policies.decide({ principal: deploy, action: 's3:PutObject', resource: release('dev'), context: TLS })).toBe('ImplicitlyDenied');
  });
});

describe('pull request reports with a GitHub source', () => {
  // GIVEN dev with a GitHub source and the reports on (no shipped environment has them)
  const source = { provider: 'github' as const, fullRepositoryId: 'example/webapp', pullRequestAuthors: [583231] };
  const stacks = Object.fromEntries(
    buildStacks(Testing.app(), [config('dev', { webapp: { delivery: { source, enablePullRequestReports: true } } })]).map((s) => [
      s.node.id,
      JSON.parse(Testing.synth(s)),
    ]),
  );
  const e = new Env('dev', stacks);
  const role = e.role('web', 'delivery_pull-request-reports_role');
  const token = e.arn('web', 'aws_secretsmanager_secret', 'delivery_pull-request-reports_comment-token');
  const connection = e.arn('web', 'aws_codeconnections_connection', 'delivery_github');
  const rows: Row[] = [
    assume('web', 'codebuild.amazonaws.com', 'delivery_pull-request-reports_role'),
    ...['codeconnections:GetConnectionToken', 'codeconnections:GetConnection'].map((action): Row => ({
      system: 'web',
      who: `CodeBuild clones the repository through the connection (${action})`,
      request: () => ({ principal: role, action, resource: connection, context: TLS }),
    })),
    {
      system: 'web',
      who: 'the report build writes its log',
      request: () => ({
        principal: role,
        action: 'logs:PutLogEvents',
        resource: `${e.arn('web', 'aws_cloudwatch_log_group', 'delivery_pull-request-reports_logs')}:log-stream:abc`,
        context: TLS,
      }),
    },
    {
      system: 'web',
      who: 'the report build reads the comment token',
      script: 'buildspecs/post-github-comment.sh',
      request: () => ({ principal: role, action: 'secretsmanager:GetSecretValue', resource: token, context: TLS }),
    },
    {
      system: 'web',
      who: 'the report build: Secrets Manager decrypts the token',
      request: () => ({ principal: role, action: 'kms:Decrypt', resource: e.key('web'), context: e.via('secretsmanager') }),
    },
  ];
  const refused: [string, AuthorizationRequest][] = [
    [
      'read another secret',
      { principal: role, action: 'secretsmanager:GetSecretValue', resource: `${token.replace(/secret:.*/, 'secret:other-AbCdEf')}`, context: TLS },
    ],
    ['decrypt with the key directly', { principal: role, action: 'kms:Decrypt', resource: e.key('web'), context: TLS }],
    [
      'start its own builds',
      {
        principal: role,
        action: 'codebuild:StartBuild',
        resource: e.arn('web', 'aws_codebuild_project', 'delivery_pull-request-reports_project'),
        context: TLS,
      },
    ],
  ];

  it.each(rows.map((r) => [r.who, r] as const))('allows %s', async (_, row) => {
    expect(await e.policies.decide(row.request(e))).toBe('Allowed');
  });

  it.each(refused)('refuses the report build to %s', async (_, request) => {
    expect(await e.policies.decide(request)).not.toBe('Allowed');
  });

  it('has a row for every AWS call of the GitHub comment script', () => {
    const calls = cliCalls(readFileSync(projectPath('buildspecs/post-github-comment.sh'), 'utf8'));
    expect(calls.map((c) => c.action)).toEqual(['secretsmanager:GetSecretValue']);
    for (const c of calls) expect(rows.some((r) => r.script === 'buildspecs/post-github-comment.sh' && r.request(e).action === c.action)).toBe(true);
  });

  it("needs every Allow statement of the report role's policy: removing one refuses a row", async () => {
    const statements = e.policies.statements().filter((s) => s.effect === 'Allow' && s.policy.includes('pull-request-reports_policy'));
    expect(statements.length).toBe(4);
    for (const statement of statements) {
      const refusedWithout = await Promise.all(rows.map(async (r) => (await e.policies.decide(r.request(e), statement)) !== 'Allowed'));
      expect([statementName(statement), refusedWithout.some(Boolean)]).toEqual([statementName(statement), true]);
    }
  });
});
