import { TerraformOutput } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { AliasRecord } from '../../constructs/alias-record';
import { DnsValidatedCertificate } from '../../constructs/dns-validated-certificate';
import { ExistingHostedZone } from '../../constructs/hosted-zone';
import { emptyStack, resourceList, resources, synth } from '../helpers/synth';

describe('DnsValidatedCertificate', () => {
  function build() {
    const stack = emptyStack();
    const cert = new DnsValidatedCertificate(stack, 'cert', { domainName: 'status.example.com', hostedZone: ExistingHostedZone.fromZoneId('ZTEST') });
    new TerraformOutput(stack, 'certificate_arn', { value: cert.certificateArn });
    return synth(stack);
  }

  it('requests a DNS-validated certificate for the name', () => {
    expect(build().text).toHaveResourceWithProperties(AcmCertificate, { domain_name: 'status.example.com', validation_method: 'DNS' });
  });

  it('writes one validation record per domain validation option into the zone', () => {
    const [record] = resourceList(build().json, 'aws_route53_record');
    expect(record.for_each).toMatch(
      /^\$\{\{ for key, val in tolist\(aws_acm_certificate\.cert_certificate_\w+\.domain_validation_options\): val\.domain_name => val \}\}$/,
    );
    expect(record).toMatchObject({ zone_id: 'ZTEST', name: '${each.value.resource_record_name}', type: '${each.value.resource_record_type}' });
  });

  it('exposes the ARN only after validation has finished', () => {
    const { json } = build();
    const [[validationId, validation]] = Object.entries(resources(json, 'aws_acm_certificate_validation'));
    expect(validation.validation_record_fqdns).toMatch(/^\$\{\[ for key, val in aws_route53_record\.cert_validation-record_\w+: val\.fqdn\]\}$/);
    expect(json.output.certificate_arn.value).toBe(`\${aws_acm_certificate_validation.${validationId}.certificate_arn}`);
  });
});

describe('AliasRecord', () => {
  it.each([
    [false, ['A']],
    [true, ['A', 'AAAA']],
  ])('with ipv6=%s publishes %j alias records that follow target health', (ipv6, types) => {
    const stack = emptyStack();
    new AliasRecord(stack, 'alias', {
      zone: ExistingHostedZone.fromZoneId('ZTEST'),
      recordName: 'status.example.com',
      target: { dnsName: 'env.eu-west-1.elasticbeanstalk.com', hostedZoneId: 'Z2NYPWQ7DFZAZH' },
      ipv6,
    });
    const records = resourceList(synth(stack).json, 'aws_route53_record');
    expect(records.map((r) => r.type)).toEqual(types);
    for (const r of records) {
      expect(r.alias).toEqual({ name: 'env.eu-west-1.elasticbeanstalk.com', zone_id: 'Z2NYPWQ7DFZAZH', evaluate_target_health: true });
    }
  });
});

describe('ExistingHostedZone', () => {
  it.each(['Z0123456789ABCDEFGHIJ', 'MM9JRYUJFFZVNJ7A7JZNMP'])('takes the id %s as the Route 53 API returns ids', (id) => {
    expect(ExistingHostedZone.fromZoneId(id).zoneId).toBe(id);
  });

  it.each(['/hostedzone/Z0123456789', 'z0123', ''])('refuses %j, naming the field and the form', (id) => {
    expect(() => ExistingHostedZone.fromZoneId(id)).toThrow(/zoneId ".*" is not a Route 53 hosted zone id; use one such as Z0123456789ABCDEFGHIJ/);
  });
});
