import { Construct } from 'constructs';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { parseCidr } from './cidr';
import { Connections, Peer, Port, projectSecurityGroup, type IConnectable } from './connections';
import type { EncryptionKey } from './encryption-key';
import type { Network } from './network';
import { managedPolicyArn, serviceAssumeRolePolicy } from './policy';
import { AL2023_AMI } from './platform';
import { InlinePolicy, type IGrantable, type IPrincipal } from './grants';

/** The widest block Jenkins may take connections from: GitHub's webhook blocks and an office are narrower. */
export const JENKINS_WIDEST_PREFIX = 16;

export interface JenkinsServerProps {
  readonly name: string;
  /** Jenkins goes in the network's first public subnet (it receives GitHub's webhooks). */
  readonly network: Network;
  /** GitHub's webhook source blocks; each /16 or narrower. */
  readonly webhookCidrs: readonly string[];
  /** The office's block; /16 or narrower. */
  readonly officeCidr: string;
  /**
   * Jenkins' own web port, open beside 443 to the same sources.
   * @default 8080
   */
  readonly webPort?: number;
  /** @default 't3.medium' */
  readonly instanceType?: string;
  /** Key for the root volume. */
  readonly encryptionKey: EncryptionKey;
}

/**
 * An optional Jenkins server, which the design allows instead of CodeBuild: one instance in a
 * public subnet, reachable on 443 and its web port only from GitHub's webhook blocks and the office,
 * never on SSH (Session Manager instead); IMDSv2 only, encrypted root volume, an instance profile
 * holding the jobs' permissions. User data installs Jenkins LTS from its RPM repository; TLS on
 * 443 is the operator's to add (a reverse proxy with a certificate for the server's name).
 */
export class JenkinsServer extends Construct implements IConnectable, IGrantable {
  public readonly instance: Instance;
  public readonly connections: Connections;
  /** What the jobs may do in AWS, through the instance profile (never access keys): grant to the server, e.g. `fleet.grantRelease(jenkins)`. */
  public readonly grantPrincipal: IPrincipal;

  constructor(scope: Construct, id: string, props: JenkinsServerProps) {
    super(scope, id);
    if (props.webhookCidrs.length === 0) {
      throw new Error(`JenkinsServer ${id}: webhookCidrs is empty; list GitHub's webhook blocks (hooks in https://api.github.com/meta)`);
    }
    for (const [field, cidr] of [...props.webhookCidrs.map((c) => ['webhookCidrs', c] as const), ['officeCidr', props.officeCidr] as const]) {
      const block = parseCidr(cidr);
      if ('error' in block) throw new Error(`JenkinsServer ${id}: ${field}: ${block.error}`);
      if (block.prefix < JENKINS_WIDEST_PREFIX) {
        throw new Error(
          `JenkinsServer ${id}: ${field} "${cidr}" is wider than /${JENKINS_WIDEST_PREFIX}; Jenkins takes only GitHub's webhook blocks and the office block`,
        );
      }
    }
    const webPort = props.webPort ?? 8080;

    this.connections = new Connections(
      projectSecurityGroup(this, 'security-group', {
        name: `${props.name}-jenkins`,
        vpc: props.network.vpc,
        description: 'Jenkins: HTTPS and its web port from GitHub webhooks and the office only; no SSH',
      }),
    );
    const sources = [...props.webhookCidrs.map((cidr, i) => Peer.ipv4(cidr, `webhook-${i}`)), Peer.ipv4(props.officeCidr, 'office')];
    for (const port of [443, webPort]) {
      for (const peer of sources) this.connections.allowFrom(peer, Port.tcp(port), `${port} from ${peer.label}`, `${port}-from-${peer.label}`);
    }
    this.connections.allowToPeer(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to GitHub, AWS APIs and the Jenkins plugin site', 'https-out');

    const role = new IamRole(this, 'role', { name: `${props.name}-jenkins`, assumeRolePolicy: serviceAssumeRolePolicy('ec2.amazonaws.com') });
    new IamRolePolicyAttachment(this, 'session-manager', { role: role.name, policyArn: managedPolicyArn('AmazonSSMManagedInstanceCore') });
    this.grantPrincipal = new InlinePolicy(this, 'jobs', { role, name: 'jobs' });
    const profile = new IamInstanceProfile(this, 'profile', { name: `${props.name}-jenkins`, role: role.name });

    // The template carries only the AMI, so that it resolves through SSM at launch without the
    // instance drifting from it; everything else is on the instance, where scanners read it.
    const imdsV2Only = { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' };
    const template = new LaunchTemplate(this, 'launch-template', { namePrefix: `${props.name}-jenkins-`, imageId: AL2023_AMI, metadataOptions: imdsV2Only });
    this.instance = new Instance(this, 'instance', {
      launchTemplate: { id: template.id, version: `${template.latestVersion}` },
      instanceType: props.instanceType ?? 't3.medium',
      subnetId: props.network.publicSubnets[0].id,
      vpcSecurityGroupIds: [this.connections.securityGroup.id],
      // GitHub's webhooks reach it from the internet; the group admits only the listed blocks.
      associatePublicIpAddress: true,
      iamInstanceProfile: profile.name,
      metadataOptions: imdsV2Only,
      monitoring: true,
      ebsOptimized: true,
      rootBlockDevice: { volumeSize: 30, volumeType: 'gp3', encrypted: true, kmsKeyId: props.encryptionKey.arn, deleteOnTermination: true },
      userData: jenkinsUserData(webPort),
      tags: { Name: `${props.name}-jenkins` },
    });
  }
}

/** Installs Jenkins LTS and Java 21 (current LTS lines need it) from their repositories and serves Jenkins on `port`. */
export function jenkinsUserData(port: number): string {
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    'dnf install -y java-21-amazon-corretto-headless',
    'curl -fsSL -o /etc/yum.repos.d/jenkins.repo https://pkg.jenkins.io/redhat-stable/jenkins.repo',
    'rpm --import https://pkg.jenkins.io/redhat-stable/jenkins.io-2023.key',
    'dnf install -y jenkins',
    'mkdir -p /etc/systemd/system/jenkins.service.d',
    `printf '[Service]\\nEnvironment="JENKINS_PORT=${port}"\\n' > /etc/systemd/system/jenkins.service.d/port.conf`,
    'systemctl daemon-reload',
    'systemctl enable --now jenkins',
    '',
  ].join('\n');
}
