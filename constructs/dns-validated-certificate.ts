import { Construct } from 'constructs';
import { TerraformIterator, Token } from 'cdktf';
import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { AcmCertificateValidation } from '@cdktf/provider-aws/lib/acm-certificate-validation';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import type { IHostedZone } from './hosted-zone';

/** A certificate a listener can serve: its ARN resolves once it is usable. */
export interface ICertificate {
  readonly certificateArn: string;
}

export interface DnsValidatedCertificateProps {
  /** The name the certificate is for, e.g. `status.example.com`. */
  readonly domainName: string;
  /** The zone that holds `domainName`; validation records go there. */
  readonly hostedZone: IHostedZone;
  /**
   * Extra names on the same certificate (must be in the same zone).
   * @default - none
   */
  readonly subjectAlternativeNames?: readonly string[];
}

/**
 * An ACM certificate validated through DNS records in a Route 53 zone. `certificateArn` resolves only
 * once validation has finished, so a listener that uses it never gets an unvalidated certificate.
 */
export class DnsValidatedCertificate extends Construct implements ICertificate {
  public readonly certificate: AcmCertificate;
  /** ARN of the validated certificate. */
  public readonly certificateArn: string;

  constructor(scope: Construct, id: string, props: DnsValidatedCertificateProps) {
    super(scope, id);
    this.certificate = new AcmCertificate(this, 'certificate', {
      domainName: props.domainName,
      subjectAlternativeNames: props.subjectAlternativeNames ? [...props.subjectAlternativeNames] : undefined,
      validationMethod: 'DNS',
      keyAlgorithm: 'RSA_2048',
      lifecycle: { createBeforeDestroy: true },
    });

    const options = TerraformIterator.fromComplexList(this.certificate.domainValidationOptions, 'domain_name');
    const records = new Route53Record(this, 'validation-record', {
      forEach: options,
      zoneId: props.hostedZone.zoneId,
      name: options.getString('resource_record_name'),
      type: options.getString('resource_record_type'),
      records: [options.getString('resource_record_value')],
      ttl: 300,
      allowOverwrite: true,
    });

    const validation = new AcmCertificateValidation(this, 'validation', {
      certificateArn: this.certificate.arn,
      validationRecordFqdns: Token.asList(TerraformIterator.fromResources(records).pluckProperty('fqdn')),
    });
    this.certificateArn = validation.certificateArn;
  }
}
