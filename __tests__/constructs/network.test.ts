import { describe, expect, it } from 'vitest';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { EncryptionKey } from '../../constructs/encryption-key';
import { Network, type NetworkProps } from '../../constructs/network';
import { addTestNetwork, emptyStack, policyStatements, resourceList, resources, synth, TEST_AZS } from '../helpers/synth';

/** The test network with some props changed, synthesized. */
function networkWith(props: Partial<NetworkProps>) {
  const stack = emptyStack();
  addTestNetwork(stack, 'one-per-az', props);
  return synth(stack).json;
}

describe('Network', () => {
  it('creates one subnet per tier and AZ with the configured blocks', () => {
    // GIVEN / WHEN
    const stack = emptyStack();
    addTestNetwork(stack);
    const { json } = synth(stack);

    // THEN
    const subnets = resourceList(json, 'aws_subnet').map((s) => [s.tags.Tier, s.availability_zone, s.cidr_block]);
    expect(subnets).toEqual(
      expect.arrayContaining([
        ['public', 'eu-west-1a', '10.0.0.0/24'],
        ['public', 'eu-west-1c', '10.0.2.0/24'],
        ['application', 'eu-west-1b', '10.0.32.0/20'],
        ['data', 'eu-west-1c', '10.0.66.0/24'],
      ]),
    );
    expect(subnets).toHaveLength(9);
    expect(resourceList(json, 'aws_subnet').every((s) => s.map_public_ip_on_launch === false)).toBe(true);
  });

  it.each([
    ['one-per-az', 3],
    ['single', 1],
  ] as const)('with natGateways=%s creates %i NAT gateway(s) and routes every application subnet through one', (mode, count) => {
    const stack = emptyStack();
    addTestNetwork(stack, mode);
    const { json } = synth(stack);

    expect(resourceList(json, 'aws_nat_gateway')).toHaveLength(count);
    const natRoutes = resourceList(json, 'aws_route').filter((r) => r.nat_gateway_id);
    expect(natRoutes).toHaveLength(TEST_AZS.length);
    expect(new Set(natRoutes.map((r) => r.nat_gateway_id)).size).toBe(count);
  });

  it('gives the data subnets a route table with no route out of the VPC', () => {
    const stack = emptyStack();
    addTestNetwork(stack);
    const { json } = synth(stack);

    const tables = resources(json, 'aws_route_table');
    const [dataTableId] = Object.entries(tables).find(([, t]) => t.tags.Name === 'test-data')!;
    const routesOfDataTable = resourceList(json, 'aws_route').filter((r) => String(r.route_table_id).includes(dataTableId));
    expect(routesOfDataTable).toEqual([]);
    const associations = resourceList(json, 'aws_route_table_association').filter((a) => String(a.route_table_id).includes(dataTableId));
    expect(associations).toHaveLength(TEST_AZS.length);
  });

  it("gives the application tier's route tables, and only those, an S3 gateway endpoint of the region", () => {
    // GIVEN the network with its defaults
    const stack = emptyStack();
    addTestNetwork(stack);
    const { json } = synth(stack);
    // THEN one gateway endpoint for S3 in eu-west-1, on the three application route tables
    const [endpoint] = resourceList(json, 'aws_vpc_endpoint');
    expect(endpoint).toMatchObject({ service_name: 'com.amazonaws.eu-west-1.s3', vpc_endpoint_type: 'Gateway' });
    const tables = resources(json, 'aws_route_table');
    const named = (id: string) => tables[/aws_route_table\.([^.]+)\.id/.exec(id)![1]].tags.Name;
    expect(endpoint.route_table_ids.map(named).sort()).toEqual(TEST_AZS.map((az) => `test-application-${az}`));
  });

  it('leaves the S3 endpoint out when enableS3GatewayEndpoint is false', () => {
    expect(resourceList(networkWith({ enableS3GatewayEndpoint: false }), 'aws_vpc_endpoint')).toEqual([]);
  });

  it('routes only the public subnets to the internet gateway', () => {
    const stack = emptyStack();
    addTestNetwork(stack);
    const { json } = synth(stack);

    const igwRoutes = resourceList(json, 'aws_route').filter((r) => r.gateway_id);
    expect(igwRoutes).toHaveLength(1);
    expect(igwRoutes[0].destination_cidr_block).toBe('0.0.0.0/0');
  });

  it('strips every rule from the default security group', () => {
    const stack = emptyStack();
    addTestNetwork(stack);
    const { json } = synth(stack);

    const [defaultGroup] = resourceList(json, 'aws_default_security_group');
    expect(defaultGroup.ingress).toBeUndefined();
    expect(defaultGroup.egress).toBeUndefined();
  });

  it('sends all traffic to an encrypted flow log group with retention', () => {
    const stack = emptyStack();
    addTestNetwork(stack);
    const { text, json } = synth(stack);

    expect(text).toHaveResourceWithProperties(FlowLog, { traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs' });
    const [group] = resourceList(json, 'aws_cloudwatch_log_group');
    expect(group.kms_key_id).toMatch(/aws_kms_key\.key_.*\.arn/);
    expect(group.retention_in_days).toBe(90);
  });

  it('delivers flow logs to a private bucket in Parquet by hour with flowLogDestination s3, expired after the retention, with no log group or role', () => {
    // GIVEN a year of flow logs in S3
    const json = networkWith({ flowLogDestination: 's3', flowLogRetentionDays: 365 });
    // THEN the flow log writes to the bucket, and nothing to CloudWatch Logs
    const [flowLog] = resourceList(json, 'aws_flow_log');
    expect(flowLog).toMatchObject({
      traffic_type: 'ALL',
      log_destination_type: 's3',
      log_destination: expect.stringMatching(/^\$\{aws_s3_bucket\.network_flow-log-bucket_\w+\.arn\}$/),
      destination_options: { file_format: 'parquet', per_hour_partition: true, hive_compatible_partitions: false },
    });
    expect(flowLog.iam_role_arn).toBeUndefined();
    expect(resourceList(json, 'aws_cloudwatch_log_group')).toEqual([]);
    expect(resourceList(json, 'aws_iam_role')).toEqual([]);
    const [lifecycle] = resourceList(json, 'aws_s3_bucket_lifecycle_configuration');
    expect(lifecycle.rule[0].expiration).toEqual([{ days: 365 }]);
    expect(resourceList(json, 'aws_s3_bucket_server_side_encryption_configuration')[0].rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe(
      'AES256',
    );
  });

  it("lets only log delivery for this account's sources write the flow-log bucket, under AWSLogs/<account>/, over TLS", () => {
    const json = networkWith({ flowLogDestination: 's3' });
    const statements = policyStatements(resourceList(json, 'aws_s3_bucket_policy')[0].policy);
    expect(statements.map((st) => st.Sid)).toEqual(['DenyRequestsWithoutTls', 'LogDeliveryWritesFlowLogs', 'LogDeliveryChecksTheBucket']);
    const write = statements[1];
    expect(write).toMatchObject({
      Principal: { Service: 'delivery.logs.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: expect.stringMatching(/\/AWSLogs\/123456789012\/\*$/),
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012', 's3:x-amz-acl': 'bucket-owner-full-control' },
        ArnLike: { 'aws:SourceArn': 'arn:aws:logs:eu-west-1:123456789012:*' },
      },
    });
  });

  it('lets the flow log role write only to its own log group', () => {
    const stack = emptyStack();
    addTestNetwork(stack);
    const { json } = synth(stack);

    const [policy] = resourceList(json, 'aws_iam_role_policy');
    expect(policy.policy).toContain('aws_cloudwatch_log_group.network_flow-log-group');
    expect(policy.policy).not.toMatch(/"Resource"\s*=\s*"\*"/);
  });

  it.each([
    ['availabilityZones', { availabilityZones: ['eu-west-1a'] }, /availabilityZones has 1 entries; give at least two/],
    ['dataSubnetCidrs', { dataSubnetCidrs: ['10.0.64.0/24'] }, /dataSubnetCidrs has 1 blocks for 2 AZs; give one per AZ/],
  ])('refuses a bad %s', (_field, patch, error) => {
    const stack = emptyStack();
    const key = new EncryptionKey(stack, 'key', { alias: 't', description: 't' });
    const props = {
      name: 't',
      vpcCidr: '10.0.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetCidrs: ['10.0.0.0/24', '10.0.1.0/24'],
      applicationSubnetCidrs: ['10.0.16.0/20', '10.0.32.0/20'],
      dataSubnetCidrs: ['10.0.64.0/24', '10.0.65.0/24'],
      flowLogEncryptionKey: key,
    };
    expect(() => new Network(stack, 'network', { ...props, ...patch })).toThrow(error);
  });
});
