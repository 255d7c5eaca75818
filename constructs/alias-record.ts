import { Construct } from 'constructs';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import type { IHostedZone } from './hosted-zone';

/** Where an alias points: an AWS endpoint's DNS name and the hosted zone AWS serves it from. */
export interface AliasTarget {
  readonly dnsName: string;
  readonly hostedZoneId: string;
}

export interface AliasRecordProps {
  /** Zone the record goes in. */
  readonly zone: IHostedZone;
  /** Full record name, e.g. `status.example.com`. */
  readonly recordName: string;
  readonly target: AliasTarget;
  /**
   * Also publish an AAAA record (only when the target serves IPv6).
   * @default false
   */
  readonly ipv6?: boolean;
}

/** Route 53 alias record(s) for a name, following the target's health. */
export class AliasRecord extends Construct {
  /** The record's name. */
  public readonly fqdn: string;

  constructor(scope: Construct, id: string, props: AliasRecordProps) {
    super(scope, id);
    const types = props.ipv6 ? ['A', 'AAAA'] : ['A'];
    const records = types.map(
      (type) =>
        new Route53Record(this, type.toLowerCase(), {
          zoneId: props.zone.zoneId,
          name: props.recordName,
          type,
          alias: { name: props.target.dnsName, zoneId: props.target.hostedZoneId, evaluateTargetHealth: true },
        }),
    );
    this.fqdn = records[0].fqdn;
  }
}
