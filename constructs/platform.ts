/**
 * The platform choices the constructs share, each in one place: the operating system image, the TLS
 * policy of every HTTPS listener, and the CodeBuild image and environment.
 */
import type { CodebuildProjectEnvironment, CodebuildProjectEnvironmentEnvironmentVariable } from '@cdktf/provider-aws/lib/codebuild-project';

/** The CPU architecture of the AMI below: the web instances' binaries are built for it. */
export const AL2023_AMI_ARCHITECTURE = 'x86_64';

/** AWS's public SSM parameter naming the latest Amazon Linux 2023 AMI. */
export const AL2023_AMI_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

/** Amazon Linux 2023, resolved by EC2 at launch from the public parameter (no data source). */
export const AL2023_AMI = `resolve:ssm:${AL2023_AMI_PARAMETER}`;

/** TLS 1.3 and 1.2 only, forward-secret ciphers: every HTTPS listener of the project uses it. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/** CodeBuild image of every project unless its props name another (Go, the AWS CLI, jq and Docker are on it). */
export const DEFAULT_BUILD_IMAGE = 'aws/codebuild/amazonlinux-x86_64-standard:5.0';

export interface BuildEnvironmentOptions {
  /** @default DEFAULT_BUILD_IMAGE */
  readonly image?: string;
  /** @default 'BUILD_GENERAL1_SMALL' (3 GB, 2 vCPUs) */
  readonly computeType?: 'BUILD_GENERAL1_SMALL' | 'BUILD_GENERAL1_MEDIUM';
  /** Docker's daemon, which CodeBuild runs only in privileged mode. @default false */
  readonly privileged?: boolean;
  /** The project's variables. @default - none */
  readonly variables?: CodebuildProjectEnvironmentEnvironmentVariable[];
}

/** A CodeBuild project's environment: a Linux container of a CodeBuild image, pulled with CodeBuild's own credentials. */
export function buildEnvironment(options: BuildEnvironmentOptions = {}): CodebuildProjectEnvironment {
  return {
    type: 'LINUX_CONTAINER',
    computeType: options.computeType ?? 'BUILD_GENERAL1_SMALL',
    image: options.image ?? DEFAULT_BUILD_IMAGE,
    imagePullCredentialsType: 'CODEBUILD',
    privilegedMode: options.privileged ?? false,
    environmentVariable: options.variables,
  };
}

export type Architecture = 'x86_64' | 'arm64';

/** An instance type's family: its letters, its generation and the letters after it (`m6gd.large`: m, 6, gd). */
export const INSTANCE_FAMILY = /^([a-z]+)(\d+)([a-z-]*)\./;

/**
 * The CPU architecture of an EC2 instance type, from its family: Graviton families carry a `g`
 * after the generation (t4g, m6gd, c7gn, g5g) or are `a1`; the rest are x86_64 (g4dn is a GPU x86).
 */
export function instanceArchitecture(instanceType: string): Architecture {
  const family = INSTANCE_FAMILY.exec(instanceType);
  if (!family) throw new Error(`"${instanceType}" is not an EC2 instance type such as t3.small`);
  return family[1] === 'a' || family[3].includes('g') ? 'arm64' : 'x86_64';
}

/** Go's names for an architecture (GOARCH) and the ELF header's machine field (e_machine, little-endian hex). */
export const ARCHITECTURE_BUILD: Readonly<Record<Architecture, { readonly goarch: string; readonly elfMachine: string }>> = {
  x86_64: { goarch: 'amd64', elfMachine: '3e00' },
  arm64: { goarch: 'arm64', elfMachine: 'b700' },
};
