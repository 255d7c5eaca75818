import { Construct } from 'constructs';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { LbTargetGroupAttachment } from '@cdktf/provider-aws/lib/lb-target-group-attachment';
import { AliasRecord } from './alias-record';
import { parseCidr } from './cidr';
import { DnsValidatedCertificate } from './dns-validated-certificate';
import type { IHostedZone } from './hosted-zone';
import { Connections, Peer, Port, projectSecurityGroup, type IConnectable } from './connections';
import type { EncryptionKey } from './encryption-key';
import type { Network } from './network';
import { albAccessLogBucket } from './public-load-balancer';
import { AL2023_AMI, TLS_POLICY } from './platform';
import { type IGrantable, type IPrincipal, ServiceRole } from './grants';

/** The widest block Jenkins may take connections from: GitHub's webhook blocks and an office are narrower. */
export const JENKINS_WIDEST_PREFIX = 16;

/**
 * The most webhook blocks the load balancer's webhook rule takes: an ALB rule holds at most 5
 * condition values, and its path is one of them.
 */
export const JENKINS_MAX_WEBHOOK_CIDRS = 4;

/** Where GitHub's Jenkins plugin receives webhooks. */
export const JENKINS_WEBHOOK_PATH = '/github-webhook/*';

export interface JenkinsServerProps {
  readonly name: string;
  /** The load balancer goes in the network's public subnets, Jenkins in its first application subnet. */
  readonly network: Network;
  /** GitHub's webhook source blocks; each /16 or narrower, at most 4: they reach the webhook path only. */
  readonly webhookCidrs: readonly string[];
  /** The office's block; /16 or narrower: it reaches the whole UI. */
  readonly officeCidr: string;
  /** Jenkins' name, e.g. `jenkins.example.com`: its certificate (DNS-validated in `hostedZone`) and alias record. */
  readonly domainName: string;
  readonly hostedZone: IHostedZone;
  /**
   * Jenkins' own HTTP port on the instance, reached only by the load balancer.
   * @default 8080
   */
  readonly webPort?: number;
  /** @default 't3.medium' */
  readonly instanceType?: string;
  /**
   * Refuse to delete the load balancer.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /** Key for the root volume. */
  readonly encryptionKey: EncryptionKey;
}

/**
 * An optional Jenkins server, which the design allows instead of CodeBuild, behind TLS: an
 * internet-facing load balancer with an ACM certificate for `domainName` (HTTP redirects to HTTPS)
 * lets GitHub's webhook blocks reach the webhook path only and the office the whole UI, and answers
 * everyone else 403; its security group admits only those blocks. Jenkins runs on one instance in
 * an application subnet (egress through NAT), reachable on its web port from the load balancer
 * only, never on SSH (Session Manager instead); IMDSv2 only, encrypted root volume, an instance
 * profile holding the jobs' permissions. User data installs Jenkins LTS from its RPM repository.
 */
export class JenkinsServer extends Construct implements IConnectable, IGrantable {
  public readonly instance: Instance;
  public readonly connections: Connections;
  /** What the jobs may do in AWS, through the instance profile (never access keys): grant to the server, e.g. `fleet.grantRelease(jenkins)`. */
  public readonly grantPrincipal: IPrincipal;
  /** `https://<domainName>`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: JenkinsServerProps) {
    super(scope, id);
    if (props.webhookCidrs.length === 0) {
      throw new Error(`JenkinsServer ${id}: webhookCidrs is empty; list GitHub's webhook blocks (hooks in https://api.github.com/meta)`);
    }
    if (props.webhookCidrs.length > JENKINS_MAX_WEBHOOK_CIDRS) {
      throw new Error(
        `JenkinsServer ${id}: webhookCidrs has ${props.webhookCidrs.length} blocks; the load balancer's webhook rule takes ${JENKINS_MAX_WEBHOOK_CIDRS} (5 condition values with the path): list GitHub's IPv4 hook blocks only`,
      );
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
        description: 'Jenkins: its web port from its load balancer only; no SSH',
      }),
    );
    this.connections.allowToPeer(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to GitHub, AWS APIs and the Jenkins plugin site', 'https-out');
    const site = this.loadBalance(props, webPort);

    const { role, policy } = new ServiceRole(this, 'role', {
      name: `${props.name}-jenkins`,
      service: 'ec2.amazonaws.com',
      sourceAccountOnly: false,
      managedPolicies: [{ id: 'session-manager', policy: 'AmazonSSMManagedInstanceCore' }],
      inlinePolicy: { id: 'jobs', name: 'jobs' },
    });
    this.grantPrincipal = policy;
    const profile = new IamInstanceProfile(this, 'profile', { name: `${props.name}-jenkins`, role: role.name });

    // The template carries only the AMI, so that it resolves through SSM at launch without the
    // instance drifting from it; everything else is on the instance, where scanners read it.
    const imdsV2Only = { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' };
    const template = new LaunchTemplate(this, 'launch-template', { namePrefix: `${props.name}-jenkins-`, imageId: AL2023_AMI, metadataOptions: imdsV2Only });
    this.instance = new Instance(this, 'instance', {
      launchTemplate: { id: template.id, version: `${template.latestVersion}` },
      instanceType: props.instanceType ?? 't3.medium',
      subnetId: props.network.applicationSubnets[0].id,
      vpcSecurityGroupIds: [this.connections.securityGroup.id],
      associatePublicIpAddress: false,
      iamInstanceProfile: profile.name,
      metadataOptions: imdsV2Only,
      monitoring: true,
      ebsOptimized: true,
      rootBlockDevice: { volumeSize: 30, volumeType: 'gp3', encrypted: true, kmsKeyId: props.encryptionKey.arn, deleteOnTermination: true },
      userData: jenkinsUserData(webPort),
      tags: { Name: `${props.name}-jenkins` },
    });
    new LbTargetGroupAttachment(this, 'target', { targetGroupArn: site.targetGroup.arn, targetId: this.instance.id, port: webPort });
    this.url = `https://${props.domainName}`;
  }

  /**
   * The TLS front: the load balancer, its listeners and the rules that let the webhook blocks reach
   * the webhook path and the office everything, and its name.
   */
  private loadBalance(props: JenkinsServerProps, webPort: number): { targetGroup: LbTargetGroup } {
    const lbConnections = new Connections(
      projectSecurityGroup(this, 'lb-security-group', {
        name: `${props.name}-jenkins-lb`,
        vpc: props.network.vpc,
        description: "Jenkins' load balancer: 443 and 80 from GitHub webhooks and the office only",
      }),
    );
    const webhooks = props.webhookCidrs.map((cidr, i) => Peer.ipv4(cidr, `webhook-${i}`));
    const office = Peer.ipv4(props.officeCidr, 'office');
    for (const port of [443, 80]) {
      for (const peer of [...webhooks, office]) lbConnections.allowFrom(peer, Port.tcp(port), `${port} from ${peer.label}`, `${port}-from-${peer.label}`);
    }
    lbConnections.allowTo(this, Port.tcp(webPort), { egress: "To Jenkins' web port", ingress: "Jenkins' web port from its load balancer" });

    const certificate = new DnsValidatedCertificate(this, 'certificate', { domainName: props.domainName, hostedZone: props.hostedZone });
    const logs = albAccessLogBucket(this, { name: `${props.name}-ci` });
    const loadBalancer = new Lb(this, 'load-balancer', {
      // An ALB name takes 32 characters: the stem's 28 and "-ci".
      name: `${props.name}-ci`,
      loadBalancerType: 'application',
      internal: false,
      securityGroups: [lbConnections.securityGroup.id],
      subnets: props.network.publicSubnets.map((s) => s.id),
      dropInvalidHeaderFields: true,
      desyncMitigationMode: 'defensive',
      enableDeletionProtection: props.deletionProtection ?? true,
      accessLogs: { bucket: logs.bucket.id, enabled: true },
      // ELB writes a test object when logging is enabled: the policy that lets it must exist first.
      dependsOn: [logs.policy],
    });
    const targetGroup = new LbTargetGroup(this, 'targets', {
      namePrefix: 'jnk-',
      port: webPort,
      protocol: 'HTTP',
      targetType: 'instance',
      vpcId: props.network.vpc.id,
      // Jenkins answers 200 on its login page, before and after its set-up.
      healthCheck: { enabled: true, path: '/login', protocol: 'HTTP', port: 'traffic-port', matcher: '200', interval: 30, timeout: 5 },
      lifecycle: { createBeforeDestroy: true },
    });
    new LbListener(this, 'http', {
      loadBalancerArn: loadBalancer.arn,
      port: 80,
      protocol: 'HTTP',
      defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
    });
    const https = new LbListener(this, 'https', {
      loadBalancerArn: loadBalancer.arn,
      port: 443,
      protocol: 'HTTPS',
      sslPolicy: TLS_POLICY,
      certificateArn: certificate.certificateArn,
      defaultAction: [{ type: 'fixed-response', fixedResponse: { contentType: 'text/plain', statusCode: '403', messageBody: 'Forbidden' } }],
    });
    const forward = [{ type: 'forward', targetGroupArn: targetGroup.arn }];
    new LbListenerRule(this, 'webhooks', {
      listenerArn: https.arn,
      priority: 10,
      action: forward,
      condition: [{ pathPattern: { values: [JENKINS_WEBHOOK_PATH] } }, { sourceIp: { values: [...props.webhookCidrs] } }],
    });
    new LbListenerRule(this, 'office', {
      listenerArn: https.arn,
      priority: 20,
      action: forward,
      condition: [{ sourceIp: { values: [props.officeCidr] } }],
    });
    new AliasRecord(this, 'name', {
      zone: props.hostedZone,
      recordName: props.domainName,
      target: { dnsName: loadBalancer.dnsName, hostedZoneId: loadBalancer.zoneId },
    });
    return { targetGroup };
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
