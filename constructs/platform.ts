/**
 * The platform choices the constructs share, each in one place: the operating system image, the TLS
 * policy of every HTTPS listener, and the CodeBuild image.
 */

/** AWS's public SSM parameter naming the latest Amazon Linux 2023 AMI. */
export const AL2023_AMI_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

/** Amazon Linux 2023, resolved by EC2 at launch from the public parameter (no data source). */
export const AL2023_AMI = `resolve:ssm:${AL2023_AMI_PARAMETER}`;

/** TLS 1.3 and 1.2 only, forward-secret ciphers: every HTTPS listener of the project uses it. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/** CodeBuild image of every project unless its props name another (Go, the AWS CLI, jq and Docker are on it). */
export const DEFAULT_BUILD_IMAGE = 'aws/codebuild/amazonlinux-x86_64-standard:5.0';
