import { z } from 'zod';
import { AWS_REGIONS } from './aws-regions';
import { cidrContains, cidrsOverlap, parseCidr, type Ipv4Cidr } from '../constructs/cidr';
import { AURORA_INSTANCE_CLASSES } from '../constructs/aurora-mysql-cluster';
import { EMAIL_ADDRESS, GIT_BRANCH, HOSTED_ZONE_ID, HTTPS_URL } from '../constructs/validation';
import { JENKINS_WIDEST_PREFIX } from '../constructs/jenkins-server';
import { SSH_WIDEST_PREFIX } from '../constructs/web-tier';
import { AL2023_AMI_ARCHITECTURE } from '../constructs/platform';
import { instanceTypeListSource, instanceTypes, regionOfferings } from './instance-types';

/**
 * An environment's name: the name of its file in environments/ and the suffix of its stacks
 * (`cachet-<name>`, `web-<name>`) and resource names.
 */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9]{1,15}$/;

/** Retention values that CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const logRetentionDays = z
  .number()
  .int()
  .refine((v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v), {
    message: `must be one of the retention periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}`,
  });

const awsRegion = z.string().superRefine((region, ctx) => {
  if (AWS_REGIONS.includes(region)) return;
  // Regions of the same area and direction (us-east-9: us-east-1, us-east-2) are the likely meaning.
  const near = AWS_REGIONS.filter((r) => r.replace(/-\d+$/, '') === region.replace(/-\d*$/, ''));
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message: `"${region}" is not a region of the aws partition; ${near.length > 0 ? `did you mean ${near.join(' or ')}?` : 'use one such as eu-west-1'} (the ${AWS_REGIONS.length} in config/aws-regions.ts; add a newly opened one there)`,
  });
});

const cidr = z.string().superRefine((value, ctx) => {
  const parsed = parseCidr(value);
  if ('error' in parsed) ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed.error });
});

const hostname = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)(?!-)([a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$/,
    'must be a lower-case DNS name such as status.example.com (letters, digits, hyphens; no trailing dot, no scheme)',
  );

const networkSchema = z
  .object({
    vpcCidr: cidr.describe("The VPC's IPv4 block."),
    availabilityZones: z
      .array(z.string())
      .min(2, 'needs at least two availability zones for high availability; list two or more, e.g. ["eu-west-1a", "eu-west-1b"]')
      .describe('Explicit AZ names (no lookup, so plans work offline); at least two.'),
    publicSubnetCidrs: z.array(cidr).describe('One public subnet (load balancer, NAT) per AZ, in AZ order.'),
    applicationSubnetCidrs: z.array(cidr).describe('One private application subnet (web instances) per AZ, in AZ order.'),
    dataSubnetCidrs: z.array(cidr).describe('One isolated data subnet (database) per AZ, in AZ order.'),
    natGateways: z.enum(['one-per-az', 'single']).default('one-per-az').describe('`one-per-az` survives an AZ outage; `single` is cheaper for dev.'),
    flowLogDestination: z
      .enum(['cloud-watch-logs', 's3'])
      .default('cloud-watch-logs')
      .describe(
        '`cloud-watch-logs` (Logs Insights) or `s3` (a private bucket in Parquet, queried with Athena; storage a fraction of the price, for long retention).',
      ),
    enableS3GatewayEndpoint: z
      .boolean()
      .default(true)
      .describe("An S3 gateway endpoint for the application tier: S3 traffic (releases, bundles, image layers, OS packages) skips NAT's per-GB charge. Free."),
    flowLogRetentionDays: logRetentionDays
      .default(90)
      .describe('Days VPC flow logs are kept (a CloudWatch Logs retention period; in S3, when the objects expire).'),
  })
  .strict();

/** The most instances a fleet's configuration may name: above it, a number is taken for a typo. */
export const MAX_FLEET = 100;

const databaseSchema = z
  .object({
    engineVersion: z
      .string()
      .regex(/^8\.0\.mysql_aurora\.3\.\d{2}\.\d+$/, 'must be a pinned Aurora MySQL 3 engine version such as 8.0.mysql_aurora.3.08.2')
      .describe('Aurora MySQL 3 (MySQL 8.0-compatible) engine version, pinned; `npm run versions` asks AWS whether it is still offered.'),
    instanceClass: z
      .string()
      .refine((c) => c in AURORA_INSTANCE_CLASSES, {
        message: `must be an instance class the alarms know (its memory and max_connections): one of ${Object.keys(AURORA_INSTANCE_CLASSES).join(', ')}; add another in constructs/aurora-mysql-cluster.ts`,
      })
      .describe('Instance class of the writer and every reader.'),
    readerCount: z.number().int().min(0).default(1).describe('Readers besides the writer; each instance sits in its own AZ.'),
    databaseName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must start with a letter and hold only letters, digits and _')
      .default('cachet')
      .describe('The database Cachet uses, created with the cluster.'),
    masterUsername: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{0,15}$/, 'must start with a letter, at most 16 letters, digits or _')
      .default('cachet_admin')
      .describe('Master user; RDS keeps its password in Secrets Manager (never in Terraform).'),
    backupRetentionDays: z
      .number()
      .int()
      .min(7, 'must be at least 7 days: Aurora backup storage up to the cluster size costs nothing')
      .max(35)
      .default(7)
      .describe("Aurora keeps backups up to the cluster's size at no charge: fewer than 7 days saves nothing."),
    backtrackWindowHours: z.number().int().min(0).max(72).default(0).describe('0 turns backtrack off; at most 72 hours.'),
    deletionProtection: z.boolean().default(true).describe('Refuse to delete the cluster (required in production).'),
    finalSnapshot: z.boolean().default(true).describe('Take a final snapshot when the cluster is destroyed.'),
    restoreFromSnapshot: z
      .string()
      .optional()
      .describe(
        'Create the cluster from this cluster snapshot (identifier or ARN), such as a destroyed stack\'s final snapshot; read only when the cluster is created (docs/operations.md, "Destroy and restore"). @default - a new, empty cluster',
      ),
    requireTls: z.boolean().default(true).describe('Refuse connections that do not use TLS (`require_secure_transport`).'),
    logExports: z
      .array(z.enum(['audit', 'error', 'general', 'slowquery']))
      .default(['audit', 'error', 'slowquery'])
      .describe('Logs exported to CloudWatch Logs; the parameters that make Aurora write them are set too.'),
    logRetentionDays: logRetentionDays.default(30).describe('Days the exported database logs are kept.'),
  })
  .strict();

const cachetSchema = z
  .object({
    solutionStackName: z
      .string()
      .regex(
        /^64bit Amazon Linux 2023 v\d+\.\d+\.\d+ running Docker$/,
        'must be an Amazon Linux 2023 Docker solution stack, e.g. "64bit Amazon Linux 2023 v4.7.2 running Docker"',
      )
      .describe(
        'Elastic Beanstalk Docker platform a new environment starts on. Use the current version (`aws elasticbeanstalk list-available-solution-stacks`): Beanstalk refuses a superseded one the account has not used in 30 days. Managed updates move it on; later changes are ignored.',
      ),
    instanceType: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as t3.small')
      .describe('EC2 instance type of the Beanstalk instances: x86_64 (the Cachet image is built for it), offered in the region.'),
    minInstances: z.number().int().min(1).default(2).describe('Instances always running.'),
    maxInstances: z
      .number()
      .int()
      .min(1)
      .max(MAX_FLEET, `must be at most ${MAX_FLEET}; a larger fleet is a typo here (raise MAX_FLEET in config/schema.ts, and see npm run quotas)`)
      .default(4)
      .describe('Most instances scaling may run.'),
    deploymentPolicy: z
      .enum(['RollingWithAdditionalBatch', 'Immutable'])
      .default('RollingWithAdditionalBatch')
      .describe('Both keep full capacity while a release rolls.'),
    healthCheckPath: z
      .string()
      .regex(/^\/\S*$/, 'must be an absolute path such as /readyz')
      .default('/readyz')
      .describe("The load balancer's health check: the image's /readyz queries the database through Cachet's connection and is never cached."),
    scaleOutCpuPercent: z.number().min(1).max(100).default(70).describe('Scale out above / in below this average CPU (percent).'),
    scaleInCpuPercent: z.number().min(1).max(100).default(25).describe('Scale in below this average CPU (percent); below scaleOutCpuPercent.'),
    logRetentionDays: logRetentionDays.default(30).describe('Days Beanstalk instance and health logs are kept.'),
    enableWaf: z
      .boolean()
      .default(true)
      .describe(
        "WAF web ACL on the load balancer: Cachet's /setup pages refused but from setupCidr, AWS managed rule groups (common, known bad inputs, IP reputation, SQL injection). Off, /setup is open to the internet until set-up is done.",
      ),
    appKeyVersion: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe(
        "Version of Cachet's APP_KEY: raise it by one and apply to rotate the key (a new key, and every instance redeployed with it; signed-in sessions end).",
      ),
    siteName: z.string().min(1).max(60).default('Status').describe("The status page's name (Cachet's app_name), set at install."),
    adminEmail: z
      .string()
      .regex(EMAIL_ADDRESS, 'must be an e-mail address')
      .optional()
      .describe(
        "E-mail address of Cachet's first admin (user `admin`), set up at install; its password is in the admin secret. @default - admin@<dns.domainName>",
      ),
    setupCidr: cidr
      .optional()
      .describe(
        "The one address block (at most a /24) that may open Cachet's set-up pages (/setup) through the WAF. @default - ssh.operatorCidr; without either, nobody",
      ),
    ssh: z
      .object({
        operatorCidr: cidr.describe("The operator's own address block (a /32, at most a /24)."),
        keyName: z.string().min(1).optional().describe('EC2 key pair for the instances. @default - no key pair (use EC2 Instance Connect)'),
      })
      .strict()
      .optional()
      .describe('SSH to the web tier, from one operator address only. Omit to allow no SSH at all.'),
  })
  .strict();

const gitBranch = z.string().regex(GIT_BRANCH, 'must be a git branch name such as dev, staging or main');

const deliverySchema = z
  .object({
    source: z
      .discriminatedUnion('provider', [
        z
          .object({
            provider: z.literal('codecommit').describe('A CodeCommit repository this stack creates.'),
            repositoryName: z
              .string()
              .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be a CodeCommit repository name (letters, digits, . _ -)')
              .default('webapp')
              .describe('Name of the repository the stack creates.'),
          })
          .strict(),
        z
          .object({
            provider: z.literal('github').describe('GitHub, through an AWS CodeConnections connection.'),
            fullRepositoryId: z
              .string()
              .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/repository, e.g. example/webapp')
              .describe('`owner/repository` on GitHub.'),
            pullRequestAuthors: z
              .array(z.number().int().positive('must be a GitHub user id (the `id` of https://api.github.com/users/<login>)'))
              .min(1, 'needs at least one GitHub user id')
              .max(50, 'takes at most 50 ids (one webhook filter)')
              .optional()
              .describe(
                "GitHub user ids (numbers, the `id` of https://api.github.com/users/<login>) whose pull requests get a report: the report's build runs the pull request's code with its project's role, so only people trusted with it. Required with `enablePullRequestReports`.",
              ),
          })
          .strict(),
      ])
      .default({ provider: 'codecommit' })
      .describe(
        'Where the pipeline takes its source. CodeCommit (a repository this stack creates) by default; GitHub through an AWS CodeConnections connection, for accounts CodeCommit does not take.',
      ),
    branch: gitBranch.describe('The branch whose pushes release to this environment.'),
    pullRequestApprovals: z.number().int().min(1).max(10).default(1).describe('Approvals a CodeCommit pull request into `branch` needs.'),
    requireApproval: z.boolean().optional().describe('A manual approval between Build and Deploy. @default - `production`'),
    artifactRetentionDays: z.number().int().min(1).max(3650).default(30).describe('Days pipeline artifacts are kept (older versions are expired).'),
    buildLogRetentionDays: logRetentionDays.default(90).describe('Days the build and deploy logs are kept.'),
    buildImage: z
      .string()
      .min(1)
      .default('aws/codebuild/amazonlinux-x86_64-standard:5.0')
      .describe('CodeBuild image for both actions (needs Go for the build, the AWS CLI and jq for the deploy).'),
    refreshTimeoutMinutes: z
      .number()
      .int()
      .min(5)
      .max(420)
      .default(60)
      .describe('How long the Deploy action waits for the instance refresh before rolling it back.'),
    enablePullRequestReports: z
      .boolean()
      .optional()
      .describe(
        "A report on every pull request into `branch`: what it changes in each stack, the monthly estimate before and after and checkov's result (buildspecs/pull-request-report.yml), posted on it as a comment; on GitHub also as the commit status, the comment once a token is in the secret the stack makes. With GitHub, turn it on once the connection is available, and list `source.pullRequestAuthors`. @default - true with a CodeCommit source, false with GitHub",
      ),
    enableJenkins: z.boolean().default(false).describe('A Jenkins server, as the design allows instead of CodeBuild (settings in `jenkins`).'),
    jenkins: z
      .object({
        instanceType: z
          .string()
          .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as t3.medium')
          .default('t3.medium')
          .describe('EC2 instance type of the Jenkins server: x86_64, offered in the region.'),
        webhookCidrs: z
          .array(cidr)
          .min(1, 'needs at least one block; copy the `hooks` list from https://api.github.com/meta')
          .max(4, 'takes at most 4 blocks (an ALB rule holds 5 condition values with the webhook path); list the IPv4 `hooks` blocks')
          .describe("GitHub's webhook source blocks (`hooks` in https://api.github.com/meta), IPv4, at most 4: they reach the webhook path only."),
        officeCidr: cidr.describe("The office's address block: it reaches Jenkins' whole UI."),
        domainName: hostname.describe("Jenkins' name, in the hosted zone (`dns.hostedZoneId`): its certificate and alias record."),
        webPort: z.number().int().min(1024).max(65535).default(8080).describe("Jenkins' own HTTP port on the instance, reached only by its load balancer."),
      })
      .strict()
      .optional()
      .describe('The Jenkins server, when enableJenkins is true: who may reach it, and its size.'),
  })
  .strict();

const webappSchema = z
  .object({
    network: networkSchema.describe("The app's own VPC (same rules as `network`; its blocks must not overlap the Cachet VPC)."),
    domainName: hostname.describe("The app's public name; certificate and alias record go in `dns.hostedZoneId`."),
    instanceType: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as t3.small')
      .default('t3.small')
      .describe(
        `EC2 instance type of the web instances: ${AL2023_AMI_ARCHITECTURE} (the AMI's architecture; the initial release is built for it), offered in the region.`,
      ),
    minInstances: z.number().int().min(1).default(2).describe('Instances always running, across the AZs.'),
    maxInstances: z
      .number()
      .int()
      .min(2)
      .max(MAX_FLEET, `must be at most ${MAX_FLEET}; a larger fleet is a typo here (raise MAX_FLEET in config/schema.ts, and see npm run quotas)`)
      .default(4)
      .describe('At least twice minInstances: an instance refresh launches a full new set first.'),
    scaling: z
      .object({
        metric: z.enum(['requests-per-target', 'cpu']).describe('What target tracking holds at `target`.'),
        target: z.number().positive().describe('Requests per target per minute, or average CPU percent.'),
      })
      .strict()
      .default({ metric: 'requests-per-target', target: 1000 })
      .describe('Target tracking: requests per target per minute, or average CPU percent.'),
    startupSeconds: z
      .number()
      .int()
      .min(0)
      .max(900)
      .default(90)
      .describe('Seconds from launch until the service answers (boot, download, start); part of the warmup.'),
    initialReleaseVersion: z
      .string()
      .regex(/^[A-Za-z0-9._+-]{1,64}$/, 'must be a version such as v1.0.0 (letters, digits, . _ + -)')
      .default('initial')
      .describe('Release installed until the pipeline records one: s3://<releases bucket>/webapp/<version>.tar.gz.'),
    deletionProtection: z.boolean().default(true).describe('@default true'),
    enableWaf: z.boolean().default(true).describe('WAF web ACL (AWS managed rule groups) on the load balancer.'),
    routingRules: z
      .array(
        z
          .object({
            priority: z.number().int().min(1).max(50000).describe('Evaluation order, 1 to 50000, unique.'),
            hostHeaders: z.array(hostname).min(1).optional().describe('Host names to match (any of them).'),
            pathPatterns: z
              .array(z.string().regex(/^\/\S*$/, 'must be a path pattern such as /api/*'))
              .min(1)
              .optional()
              .describe('Path patterns to match (any of them), such as /api/*.'),
          })
          .strict(),
      )
      .optional()
      .describe('Forward only matching hosts/paths; others get a JSON 404. @default - forward everything'),
    cognito: z
      .object({
        userPoolArn: z
          .string()
          .regex(/^arn:aws:cognito-idp:[a-z0-9-]+:\d{12}:userpool\/\S+$/, 'must be a Cognito user pool ARN')
          .describe('The user pool users sign in with.'),
        userPoolClientId: z.string().min(1).describe("The user pool's app client (the load balancer's)."),
        userPoolDomain: z.string().min(1).describe("The user pool's domain prefix (the hosted UI)."),
      })
      .strict()
      .optional()
      .describe('Sign users in with a Cognito user pool at the load balancer. @default - no authentication'),
    appPort: z.number().int().min(1024).max(65535).default(8080).describe('Port the Go service listens on behind the load balancer.'),
    healthCheck: z
      .object({
        path: z
          .string()
          .regex(/^\/\S*$/, 'must be an absolute path such as /api/v1/health/ready')
          .default('/api/v1/health/ready')
          .describe('Path the load balancer checks; the service answers 200 only while it takes traffic.'),
        intervalSeconds: z.number().int().min(5).max(300).default(10).describe('Seconds between health checks.'),
        timeoutSeconds: z.number().int().min(2).max(120).default(5).describe('Seconds a check may take; below intervalSeconds.'),
        healthyThreshold: z.number().int().min(2).max(10).default(2).describe('Consecutive passes before a target takes traffic.'),
        unhealthyThreshold: z.number().int().min(2).max(10).default(2).describe('Consecutive failures before a target is taken out.'),
      })
      .strict()
      .default({})
      .describe('Target group health check; the release timings are derived from it (release-timings.ts).'),
    drainMarginSeconds: z
      .number()
      .int()
      .min(0)
      .max(300)
      .default(5)
      .describe('Seconds the service keeps serving beyond what the balancer needs to see it unhealthy.'),
    shutdownTimeoutSeconds: z.number().int().min(1).max(300).default(20).describe('Seconds in-flight requests get after the drain.'),
    delivery: deliverySchema.describe('The delivery pipeline that releases the app to this environment.'),
  })
  .strict();

const alarmsSchema = z
  .object({
    emailAddresses: z
      .array(z.string().regex(EMAIL_ADDRESS, 'must be an e-mail address'))
      .default([])
      .describe(
        'Who gets every alarm and its recovery by e-mail (each confirms the subscription once). In production this or httpsEndpoints must name someone.',
      ),
    httpsEndpoints: z
      .array(z.string().regex(HTTPS_URL, 'must be an https:// URL'))
      .default([])
      .describe('HTTPS endpoints (a chat webhook, an incident tool) that get every alarm and recovery.'),
    elb5xxPerMinute: z.number().min(0).default(10).describe('Load balancer 5xx per minute, for 5 minutes.'),
    target5xxPerMinute: z.number().min(0).default(10).describe("5xx Cachet's instances answer per minute, for 5 minutes."),
    targetP99Seconds: z.number().positive().default(2).describe("Targets' p99 response time in seconds, for 5 minutes."),
    unhealthyHosts: z.number().int().min(0).default(0).describe('Unhealthy targets allowed (the web app), for 5 minutes.'),
    rejectedConnectionsPerMinute: z.number().min(0).default(0).describe('Connections the load balancer may refuse per minute.'),
    databaseCpuPercent: z.number().min(1).max(100).default(90).describe('Average CPU of a database instance, for 5 minutes.'),
    freeableMemoryPercent: z
      .number()
      .min(1)
      .max(100)
      .default(25)
      .describe("Alarm when a database instance has less than this share of its class's memory free, for 15 minutes."),
    replicaLagMilliseconds: z.number().int().min(1).default(2000).describe('Aurora replica lag of a reader, for 10 minutes.'),
    connectionsPercent: z
      .number()
      .min(1)
      .max(100)
      .default(90)
      .describe("Alarm when a database instance's connections exceed this share of its class's max_connections."),
    natDroppedPacketsPerMinute: z.number().min(0).default(100).describe('Packets a NAT gateway may drop per minute, for 5 minutes.'),
  })
  .strict();

/** The web stack's alarms, by id (`<project>-<name>-web-<id>`), that the status page can show. */
export const WEB_ALARM_IDS = ['elb-5xx', 'target-5xx', 'target-p99', 'unhealthy-hosts', 'rejected-connections', 'in-service'] as const;

const statusPageSchema = z
  .object({
    components: z
      .array(
        z
          .object({
            alarm: z.enum(WEB_ALARM_IDS).describe('The web alarm, by its id: its name is <project>-<name>-web-<alarm>.'),
            componentId: z
              .number()
              .int()
              .min(1)
              .max(2_147_483_647, "must be at most 2147483647, the largest id Cachet's components table holds")
              .describe("The Cachet component's id (Dashboard, Components: the number in its edit link)."),
            status: z
              .enum(['performance-issues', 'partial-outage', 'major-outage'])
              .describe(
                'The status the component shows while the alarm is in ALARM; a component shows the worst status of its alarms in ALARM, operational when none is.',
              ),
            incident: z.string().min(1).max(191).optional().describe('Open an incident of this name on ALARM and resolve it on OK. @default - no incident'),
          })
          .strict(),
      )
      .default([])
      .describe('Which web alarms the status page shows, on which components. @default - none: nothing is deployed for it'),
  })
  .strict();

/** What the cost estimate assumes an environment uses in a month (what AWS bills by use, not by the hour). */
const costSchema = z
  .object({
    natGigabytesPerMonth: z.number().min(0).default(20).describe('GB through each NAT gateway (image pulls, package mirrors, AWS APIs).'),
    loadBalancerCapacityUnits: z.number().min(0).default(1).describe('Average load balancer capacity units (LCUs) of each load balancer.'),
    logGigabytesPerMonth: z.number().min(0).default(5).describe('GB of logs ingested by each stack (flow logs, application, database, builds).'),
    databaseStorageGigabytes: z.number().min(0).default(10).describe('Aurora storage in GB.'),
    databaseIoMillionsPerMonth: z.number().min(0).default(10).describe('Aurora I/O requests, in millions.'),
    buildMinutesPerMonth: z.number().min(0).default(100).describe('CodeBuild minutes (the web pipeline and the Cachet image).'),
    pipelineActionMinutesPerMonth: z.number().min(0).default(60).describe('CodePipeline V2 action execution minutes.'),
    wafMillionRequestsPerMonth: z.number().min(0).default(1).describe('Requests through each web ACL, in millions.'),
    bucketGigabytes: z.number().min(0).default(5).describe("GB stored in each stack's buckets (releases, artifacts, logs, bundles)."),
    imageGigabytes: z.number().min(0).default(2).describe('GB of images in the Cachet repository.'),
    functionInvocationsPerMonth: z.number().min(0).default(1000).describe('Invocations of the status-page function.'),
  })
  .strict();

/** The service quotas `npm run quotas` counts (defaults and codes: tools/quotas/defaults.json). */
export const QUOTA_KEYS = [
  'elasticIps',
  'natGatewaysPerAz',
  'vpcs',
  'onDemandStandardVcpus',
  'lambdaConcurrentExecutions',
  'applicationLoadBalancers',
  'securityGroups',
  'rulesPerSecurityGroup',
] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];

const quotasSchema = z
  .object(
    Object.fromEntries(
      QUOTA_KEYS.map((key) => [
        key,
        z
          .number()
          .int()
          .min(1)
          .optional()
          .describe(`The account's applied \`${key}\` quota in this region, raised above AWS's default. @default - AWS's default`),
      ]),
    ) as Record<QuotaKey, z.ZodOptional<z.ZodNumber>>,
  )
  .strict();

const pipelineSchema = z
  .object({
    enabled: z
      .boolean()
      .optional()
      .describe(
        'The infrastructure pipeline (stack `pipeline-<env>`, applied by `npm run bootstrap`): every push to `webapp.delivery.branch` (the branch the web app releases from, so both run the same commit) is planned (validate, checkov), approved where `requireApproval` says, and applied from the saved plan; a schedule checks the stacks for drift. Source: `webapp.delivery.source`. Needs `state.backend: s3`. @default - true with S3 state',
      ),
    requireApproval: z.boolean().optional().describe('A manual approval, showing the plan summary, before Apply. @default - `production`'),
    driftSchedule: z
      .string()
      .regex(/^(rate|cron)\(.+\)$/, 'must be an EventBridge schedule expression such as rate(1 day) or cron(0 6 * * ? *)')
      .default('rate(1 day)')
      .describe('When the drift check runs (an EventBridge schedule expression, UTC).'),
    buildLogRetentionDays: logRetentionDays.default(90).describe('Days the plan, apply and drift logs are kept.'),
  })
  .strict();

const stateSchema = z.discriminatedUnion('backend', [
  z.object({ backend: z.literal('local').describe('State files beside the project (terraform.<stack>.<region>.tfstate); refused in production.') }).strict(),
  z
    .object({
      backend: z.literal('s3').describe('An S3 bucket, locked with a lock file (Terraform >= 1.10).'),
      bucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
        .describe('Bucket holding the state (create it, versioned and encrypted, before the first init).'),
      region: awsRegion.describe('Region of the state bucket.'),
      keyPrefix: z
        .string()
        .regex(/^[A-Za-z0-9._/-]+$/)
        .default('cdktf')
        .describe('Keys are `<keyPrefix>/<region>/<stack>.tfstate`.'),
      kmsKeyId: z.string().optional().describe("KMS key for the state objects. @default - the bucket's default encryption"),
    })
    .strict(),
  z
    .object({
      backend: z.literal('cloud').describe('Terraform Cloud: one workspace per stack.'),
      organization: z.string().min(1).describe('Terraform Cloud (or Enterprise) organization.'),
      workspacePrefix: z.string().default('').describe('Each stack gets its own workspace: `<workspacePrefix><stack>`.'),
      hostname: z.string().default('app.terraform.io').describe('Terraform Cloud or Enterprise host.'),
    })
    .strict(),
]);

/**
 * The longest `<project>-<name>`, the stem of every resource name: the tightest AWS limit on a name
 * built from it is the web load balancer's, `<project>-<name>-web` in 32 characters
 * (__tests__/stacks/name-limits.test.ts checks every name against its limit).
 */
export const NAME_STEM_MAX_LENGTH = 28;

/** The longest `project`: the stem's, less the shortest environment name and the hyphen. */
export const PROJECT_MAX_LENGTH = NAME_STEM_MAX_LENGTH - 3;

const environmentObjectSchema = z
  .object({
    name: z
      .string()
      .regex(ENVIRONMENT_NAME, 'must be 2-16 lower-case letters or digits, starting with a letter (it is the file name: environments/<name>.yaml)')
      .describe('Taken from the file name (environments/<name>.yaml); not written in the file.'),
    production: z
      .boolean()
      .default(false)
      .describe(
        'Production safeguards: forceDestroyBuckets refused; a database reader, deletion protection, a final snapshot and WAF required; a manual approval before Deploy on unless set otherwise.',
      ),
    project: z
      .string()
      .regex(
        new RegExp(`^[a-z][a-z0-9-]{1,${PROJECT_MAX_LENGTH - 1}}$`),
        `must be 2-${PROJECT_MAX_LENGTH} lower-case letters, digits or hyphens, starting with a letter`,
      )
      .describe('Resource name prefix, e.g. `statuspage`.'),
    accountId: z
      .string()
      .regex(/^\d{12}$/, 'must be the 12-digit AWS account id')
      .describe('The only account the provider may touch (`allowed_account_ids`).'),
    region: awsRegion.describe('AWS region of both stacks; one of the aws partition (config/aws-regions.ts).'),
    network: networkSchema.describe('The Cachet VPC: three tiers of subnets, one subnet per tier in each availability zone.'),
    dns: z
      .object({
        domainName: hostname.describe("The status page's name; the certificate and alias record use it."),
        hostedZoneId: z
          .string()
          .regex(HOSTED_ZONE_ID, 'must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ')
          .describe('Route 53 hosted zone that holds `domainName`.'),
      })
      .strict()
      .describe("The status page's DNS name and the hosted zone of both systems' names."),
    database: databaseSchema.describe("Cachet's Aurora MySQL cluster."),
    cachet: cachetSchema.describe('Cachet on Elastic Beanstalk.'),
    webapp: webappSchema.describe("The Go web app: its web tier stack, and the drill's health check and drain."),
    pipeline: pipelineSchema
      .default({})
      .describe("The infrastructure pipeline: plan, approval and apply of this environment's stacks on every push, and drift checks."),
    state: stateSchema
      .default({ backend: 'local' })
      .describe(
        'Where each stack keeps its Terraform state: local files (default; refused in production), S3 with a lock file, or Terraform Cloud workspaces.',
      ),
    alarms: alarmsSchema
      .default({})
      .describe(
        "Who the alarms notify and their thresholds (AWS's recommended alarms: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html).",
      ),
    statusPage: statusPageSchema
      .default({})
      .describe("The status page shows the web app's health: alarm state changes set Cachet components (and incidents) through Cachet's API."),
    cost: costSchema.default({}).describe('Usage the cost estimate (npm run cost) assumes; printed beside its numbers.'),
    quotas: quotasSchema
      .default({})
      .describe(
        "Service quotas the account has raised in this region (Service Quotas), which the peak needs are held to instead of AWS's defaults; synth refuses a production environment whose needs exceed a quota not declared raised. `npm run quotas` shows the needs; `-- --applied` reads the account's values.",
      ),
    forceDestroyBuckets: z
      .boolean()
      .default(false)
      .describe(
        'Let `terraform destroy` delete buckets and image repositories with what is in them (releases, artifacts, logs, bundles, images), by an aspect on every stack of the environment but its bootstrap stack. Without it a destroy stops at BucketNotEmpty; refused in production.',
      ),
    tags: z.record(z.string()).default({}).describe('Extra default tags for every resource.'),
  })
  .strict();

export const environmentConfigSchema = environmentObjectSchema.superRefine(checkCrossFieldRules);

/** What an environment file holds: everything but the name, which is the file's. */
export const environmentFileSchema = environmentObjectSchema.omit({ name: true });

export type EnvironmentConfigInput = z.input<typeof environmentObjectSchema>;
export type EnvironmentConfig = z.output<typeof environmentObjectSchema>;
export type NetworkConfig = EnvironmentConfig['network'];
export type DatabaseConfig = EnvironmentConfig['database'];
export type CachetConfig = EnvironmentConfig['cachet'];
export type StateConfig = EnvironmentConfig['state'];
export type WebappConfig = EnvironmentConfig['webapp'];
export type DeliveryConfig = WebappConfig['delivery'];
export type PipelineConfig = EnvironmentConfig['pipeline'];

type Ctx = z.RefinementCtx;

function issue(ctx: Ctx, path: (string | number)[], message: string): void {
  ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
}

/** Rules that span fields; each names the field to fix. */
function checkCrossFieldRules(c: EnvironmentConfig, ctx: Ctx): void {
  const stem = `${c.project}-${c.name}`;
  if (stem.length > NAME_STEM_MAX_LENGTH) {
    issue(
      ctx,
      ['project'],
      `"${stem}" (project-name) is ${stem.length} characters; at most ${NAME_STEM_MAX_LENGTH} fit AWS's name limits (the load balancer's "${stem}-web" in 32): shorten project or the environment's file name`,
    );
  }
  checkAvailabilityZones(c, ctx);
  checkInstanceTypes(c, ctx);
  checkSubnets(c, ctx);
  checkDatabase(c, ctx);
  checkCachet(c, ctx);
  checkWebapp(c, ctx);
  if (c.pipeline.enabled && c.state.backend !== 's3') {
    issue(
      ctx,
      ['pipeline', 'enabled'],
      `is true with state.backend ${c.state.backend}: the pipeline's builds share the state with everyone else only through S3; set state: { backend: s3, bucket, region } (npm run bootstrap creates the bucket) or leave pipeline.enabled unset`,
    );
  }
}

function checkWebapp(c: EnvironmentConfig, ctx: Ctx): void {
  const w = c.webapp;
  if (w.maxInstances < 2 * w.minInstances) {
    issue(
      ctx,
      ['webapp', 'maxInstances'],
      `${w.maxInstances} must be at least twice minInstances (${w.minInstances}) so an instance refresh can launch a full new set before terminating`,
    );
  }
  const cachetVpc = parseCidr(c.network.vpcCidr);
  const appVpc = parseCidr(w.network.vpcCidr);
  if (!('error' in cachetVpc) && !('error' in appVpc) && cidrsOverlap(cachetVpc, appVpc)) {
    issue(
      ctx,
      ['webapp', 'network', 'vpcCidr'],
      `"${appVpc.text}" overlaps network.vpcCidr ("${cachetVpc.text}"); give the web app its own block so the VPCs can be peered later`,
    );
  }
  if (w.domainName === c.dns.domainName) {
    issue(ctx, ['webapp', 'domainName'], `is the status page's name too; give the web app its own name`);
  }
  (w.routingRules ?? []).forEach((rule, i) => {
    const first = (w.routingRules ?? []).findIndex((r) => r.priority === rule.priority);
    if (first < i)
      issue(ctx, ['webapp', 'routingRules', i, 'priority'], `${rule.priority} is also the priority of rule ${first}; listener rules need distinct priorities`);
    if (!rule.hostHeaders && !rule.pathPatterns) issue(ctx, ['webapp', 'routingRules', i], 'has neither hostHeaders nor pathPatterns; give at least one');
  });
  const hc = w.healthCheck;
  if (hc.timeoutSeconds >= hc.intervalSeconds) {
    issue(
      ctx,
      ['webapp', 'healthCheck', 'timeoutSeconds'],
      `${hc.timeoutSeconds} must be below intervalSeconds (${hc.intervalSeconds}), as the load balancer requires`,
    );
  }
  checkJenkins(w.delivery, ctx);
  const source = w.delivery.source;
  if (w.delivery.enablePullRequestReports && source.provider === 'github' && !source.pullRequestAuthors) {
    issue(
      ctx,
      ['webapp', 'delivery', 'source', 'pullRequestAuthors'],
      "is required with enablePullRequestReports and a GitHub source: a report's build runs the pull request's code, so list the GitHub user ids trusted with it",
    );
  }
}

/** Jenkins listens on the internet: only for webhooks and the office, never for everyone. */
function checkJenkins(d: DeliveryConfig, ctx: Ctx): void {
  const at = ['webapp', 'delivery', 'jenkins'];
  if (d.enableJenkins && !d.jenkins) {
    issue(ctx, at, 'is required when enableJenkins is true: give webhookCidrs, officeCidr and domainName');
  }
  if (!d.jenkins) return;
  const sources: [(string | number)[], string][] = [
    ...d.jenkins.webhookCidrs.map((text, i): [(string | number)[], string] => [[...at, 'webhookCidrs', i], text]),
    [[...at, 'officeCidr'], d.jenkins.officeCidr],
  ];
  for (const [path, text] of sources) {
    const block = parseCidr(text);
    if (!('error' in block) && block.prefix < JENKINS_WIDEST_PREFIX) {
      const what = block.prefix === 0 ? 'the whole internet' : `${block.size} addresses`;
      issue(ctx, path, `"${text}" opens Jenkins to ${what}; list GitHub's webhook blocks and the office block (each /${JENKINS_WIDEST_PREFIX} or narrower)`);
    }
  }
}

function checkAvailabilityZones(c: EnvironmentConfig, ctx: Ctx): void {
  if (!AWS_REGIONS.includes(c.region)) return; // the region is reported; zones of a region that is not cannot be judged
  const azPattern = new RegExp(`^${c.region}[a-z]$`);
  for (const [network, at] of [
    [c.network, 'network'],
    [c.webapp.network, 'webapp.network'],
  ] as const) {
    const path = at.split('.');
    const seen = new Set<string>();
    network.availabilityZones.forEach((az, i) => {
      if (!azPattern.test(az)) {
        issue(ctx, [...path, 'availabilityZones', i], `"${az}" is not an availability zone of region ${c.region}; use names such as ${c.region}a`);
      }
      if (seen.has(az)) issue(ctx, [...path, 'availabilityZones', i], `"${az}" is listed twice; each AZ once`);
      seen.add(az);
    });
  }
}

/**
 * Every instance type against the dated list (config/instance-types/): a type EC2 has, offered in
 * the region (when the list has the region), and of the architecture our images are built for.
 */
function checkInstanceTypes(c: EnvironmentConfig, ctx: Ctx): void {
  const fields: [(string | number)[], string][] = [
    [['cachet', 'instanceType'], c.cachet.instanceType],
    [['webapp', 'instanceType'], c.webapp.instanceType],
  ];
  if (c.webapp.delivery.enableJenkins && c.webapp.delivery.jenkins)
    fields.push([['webapp', 'delivery', 'jenkins', 'instanceType'], c.webapp.delivery.jenkins.instanceType]);
  const types = instanceTypes();
  const offered = AWS_REGIONS.includes(c.region) ? regionOfferings(c.region) : undefined;
  const list = `config/instance-types/, ${instanceTypeListSource()}`;
  for (const [path, type] of fields) {
    const family = type.split('.')[0];
    const siblings = (names: Iterable<string>) =>
      [...names].filter((t) => t.startsWith(`${family}.`) && types.get(t)?.architectures.includes(AL2023_AMI_ARCHITECTURE));
    const info = types.get(type);
    if (!info) {
      const sizes = siblings(types.keys());
      issue(
        ctx,
        path,
        `"${type}" is not an EC2 instance type (${list}); ${sizes.length > 0 ? `${family} comes as ${sizes.join(', ')}` : 'use one such as t3.small'}`,
      );
    } else if (!info.architectures.includes(AL2023_AMI_ARCHITECTURE)) {
      issue(
        ctx,
        path,
        `"${type}" is ${info.architectures.join('/')}, but the instances run ${AL2023_AMI_ARCHITECTURE} images (the Amazon Linux 2023 AMI, the Cachet image CodeBuild builds, the web app's release); use an ${AL2023_AMI_ARCHITECTURE} type such as t3.small`,
      );
    } else if (offered && !offered.has(type)) {
      const sizes = siblings(offered);
      issue(
        ctx,
        path,
        `"${type}" is not offered in ${c.region} (${list}); ${sizes.length > 0 ? `${c.region} offers ${sizes.join(', ')}` : `pick a type config/instance-types/${c.region}.txt lists`}. If AWS offers it there now (aws ec2 describe-instance-type-offerings --region ${c.region} --filters Name=instance-type,Values=${type}), the list is behind: move the moto pin in requirements-dev.txt and run npx tsx tools/instance-types.ts --write`,
      );
    }
  }
}

function checkSubnets(c: EnvironmentConfig, ctx: Ctx): void {
  checkNetwork(c.network, ['network'], ctx);
  checkNetwork(c.webapp.network, ['webapp', 'network'], ctx);
}

function checkNetwork(network: NetworkConfig, at: (string | number)[], ctx: Ctx): void {
  const vpc = parseCidr(network.vpcCidr);
  if ('error' in vpc) return; // already reported on the field itself
  if (vpc.prefix < 16 || vpc.prefix > 24) {
    issue(ctx, [...at, 'vpcCidr'], `"${vpc.text}" must be between /16 and /24, the sizes AWS allows for a VPC`);
  }
  const azCount = network.availabilityZones.length;
  const all: { path: (string | number)[]; block: Ipv4Cidr }[] = [];
  for (const tier of ['publicSubnetCidrs', 'applicationSubnetCidrs', 'dataSubnetCidrs'] as const) {
    const list = network[tier];
    if (list.length !== azCount) {
      issue(ctx, [...at, tier], `has ${list.length} subnets but there are ${azCount} availability zones; give exactly one subnet per AZ, in AZ order`);
    }
    list.forEach((text, i) => {
      const block = parseCidr(text);
      if ('error' in block) return;
      const path = [...at, tier, i];
      if (!cidrContains(vpc, block)) {
        issue(ctx, path, `"${text}" does not fit inside the VPC ${vpc.text}; pick a block inside it`);
      }
      if (block.prefix > 28) {
        issue(ctx, path, `"${text}" is smaller than /28, the smallest subnet AWS allows`);
      }
      all.push({ path, block });
    });
  }
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (cidrsOverlap(all[i].block, all[j].block)) {
        issue(ctx, all[j].path, `"${all[j].block.text}" overlaps ${all[i].path.join('.')} ("${all[i].block.text}"); subnets must not overlap`);
      }
    }
  }
}

function checkDatabase(c: EnvironmentConfig, ctx: Ctx): void {
  const azCount = c.network.availabilityZones.length;
  if (c.database.readerCount + 1 > azCount) {
    issue(
      ctx,
      ['database', 'readerCount'],
      `${c.database.readerCount} readers plus the writer need ${c.database.readerCount + 1} availability zones (one instance per AZ) but only ${azCount} are configured; lower readerCount or add AZs`,
    );
  }
  if (c.production) {
    if (c.forceDestroyBuckets) {
      issue(ctx, ['forceDestroyBuckets'], 'must be false in production: a destroy must never take releases, artifacts and logs with it');
    }
    if (c.database.readerCount < 1) {
      issue(ctx, ['database', 'readerCount'], 'must be at least 1 in production so a reader in another AZ can take over from the writer');
    }
    if (!c.database.deletionProtection) {
      issue(ctx, ['database', 'deletionProtection'], 'must be true in production; turn it off by hand on the day you really mean to delete the database');
    }
    if (!c.database.finalSnapshot) {
      issue(ctx, ['database', 'finalSnapshot'], 'must be true in production so that destroying the stack keeps a snapshot');
    }
    for (const [system, enabled] of [
      ['cachet', c.cachet.enableWaf],
      ['webapp', c.webapp.enableWaf],
    ] as const) {
      if (!enabled) issue(ctx, [system, 'enableWaf'], 'must be true in production: the load balancer faces the internet; remove the line to keep the default');
    }
    if (c.state.backend === 'local') {
      issue(
        ctx,
        ['state', 'backend'],
        'must be s3 or cloud in production: local state lives on one machine, unlocked and unversioned; set state: { backend: s3, bucket: <a versioned bucket>, region: <its region> } (docs/operations.md, "State backends")',
      );
    }
    if (c.alarms.emailAddresses.length + c.alarms.httpsEndpoints.length === 0) {
      issue(
        ctx,
        ['alarms', 'emailAddresses'],
        'production alarms must reach someone: set alarms.emailAddresses (or alarms.httpsEndpoints, a chat or incident webhook)',
      );
    }
  }
}

function checkCachet(c: EnvironmentConfig, ctx: Ctx): void {
  if (c.cachet.minInstances > c.cachet.maxInstances) {
    issue(
      ctx,
      ['cachet', 'maxInstances'],
      `${c.cachet.maxInstances} is below minInstances (${c.cachet.minInstances}); raise maxInstances or lower minInstances`,
    );
  }
  if (c.cachet.scaleInCpuPercent >= c.cachet.scaleOutCpuPercent) {
    issue(
      ctx,
      ['cachet', 'scaleInCpuPercent'],
      `${c.cachet.scaleInCpuPercent} must be below scaleOutCpuPercent (${c.cachet.scaleOutCpuPercent}) or the group flaps`,
    );
  }
  const setup = c.cachet.setupCidr;
  if (setup) {
    const block = parseCidr(setup);
    if (!('error' in block) && block.prefix < SSH_WIDEST_PREFIX) {
      issue(
        ctx,
        ['cachet', 'setupCidr'],
        `"${setup}" lets ${block.size} addresses open Cachet's set-up; give the operator's own address as a /32 (at most a /${SSH_WIDEST_PREFIX})`,
      );
    }
  }
  const ssh = c.cachet.ssh;
  if (ssh) {
    const block = parseCidr(ssh.operatorCidr);
    if (!('error' in block) && block.prefix < SSH_WIDEST_PREFIX) {
      const what = block.prefix === 0 ? 'the whole internet' : `${block.size} addresses`;
      issue(
        ctx,
        ['cachet', 'ssh', 'operatorCidr'],
        `"${ssh.operatorCidr}" opens SSH to ${what}; give the operator's own address as a /32 (at most a /${SSH_WIDEST_PREFIX}), or omit ssh and use Session Manager`,
      );
    }
  }
}
