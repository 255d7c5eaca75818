import { describe, expect, it } from 'vitest';
import { Connections } from '../../constructs/connections';
import {
  DatabaseApplicationUser,
  MYSQL_MULTI_USER_ROTATION,
  type DatabaseApplicationUserProps,
  type RotationOptions,
} from '../../constructs/database-application-user';
import { projectSecurityGroup } from '../../constructs/connections';
import { addTestDatabase, emptyStack, resourceList, synth } from '../helpers/synth';

function build(props: Partial<DatabaseApplicationUserProps> = {}, rotation?: Partial<RotationOptions>) {
  const stack = emptyStack();
  const { key, network, database } = addTestDatabase(stack);
  const user = new DatabaseApplicationUser(stack, 'app-user', { name: 'test', database, encryptionKey: key, ...props });
  if (rotation) {
    const web = new Connections(projectSecurityGroup(stack, 'web', { name: 'test-web', vpc: network.vpc, description: 'web' }));
    user.addRotation({ network, runIn: web, ...rotation });
  }
  return synth(stack).json;
}

describe('DatabaseApplicationUser', () => {
  it('keeps the user in a KMS-encrypted secret in the form AWS rotation functions take, the password made at apply time and never in the JSON', () => {
    const json = build();
    const [secret] = resourceList(json, 'aws_secretsmanager_secret');
    expect(secret.kms_key_id).toMatch(/aws_kms_key\.key_\w+\.arn/);
    const [value] = resourceList(json, 'aws_secretsmanager_secret_version');
    expect(value.secret_string).toBeUndefined();
    expect(value.secret_string_wo).toMatch(
      /^\$\{jsonencode\(\{"engine" = "mysql", "host" = aws_rds_cluster\.db_cluster_\w+\.endpoint, "port" = 3306, "dbname" = "app", "username" = "cachet_app", "password" = base64sha256\(join\("", \[uuid\(\), uuid\(\)\]\)\), "masterarn" = aws_rds_cluster\.db_cluster_\w+\.master_user_secret\[0\]\.secret_arn\}\)\}$/,
    );
  });

  it('serves any IDatabase, an RDS Proxy in front of the cluster say, from its endpoint, port, schema and master secret', () => {
    // GIVEN a database that is not an AuroraMysqlCluster
    const stack = emptyStack();
    const { key, network } = addTestDatabase(stack);
    const proxy = {
      endpoint: 'proxy.proxy-abc.eu-west-1.rds.amazonaws.com',
      port: 3306,
      databaseName: 'status',
      masterUserSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:master-AbCdEf',
      connections: new Connections(projectSecurityGroup(stack, 'proxy', { name: 'test-proxy', vpc: network.vpc, description: 'proxy' })),
    };
    // WHEN the user is made in it
    new DatabaseApplicationUser(stack, 'app-user', { name: 'test', database: proxy, encryptionKey: key });
    // THEN its secret names that database
    const [value] = resourceList(synth(stack).json, 'aws_secretsmanager_secret_version');
    expect(value.secret_string_wo).toContain(
      '"host" = "proxy.proxy-abc.eu-west-1.rds.amazonaws.com", "port" = 3306, "dbname" = "status", "username" = "cachet_app"',
    );
    expect(value.secret_string_wo).toContain('"masterarn" = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:master-AbCdEf"');
  });

  it('creates no rotation until asked', () => {
    expect(resourceList(build(), 'aws_secretsmanager_secret_rotation')).toHaveLength(0);
  });

  it("rotates by alternating users with AWS's function, in the given group and the application subnets, not at apply time", () => {
    const json = build({}, {});
    const [application] = resourceList(json, 'aws_serverlessapplicationrepository_cloudformation_stack');
    expect(application).toMatchObject({
      application_id: MYSQL_MULTI_USER_ROTATION.applicationId,
      semantic_version: '1.1.225',
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_RESOURCE_POLICY'],
      parameters: {
        endpoint: 'https://secretsmanager.eu-west-1.amazonaws.com',
        functionName: 'test-db-rotation',
        masterSecretArn: expect.stringMatching(/master_user_secret\[0\]\.secret_arn/),
        kmsKeyArn: expect.stringMatching(/aws_kms_key\.key_\w+\.arn/),
        masterSecretKmsKeyArn: expect.stringMatching(/aws_kms_key\.key_\w+\.arn/),
      },
    });
    expect(application.parameters.vpcSecurityGroupIds).toMatch(/^\$\{aws_security_group\.web(_\w+)?\.id\}$/);
    expect(application.parameters.vpcSubnetIds).toMatch(/aws_subnet\.network_application/);
    const [rotation] = resourceList(json, 'aws_secretsmanager_secret_rotation');
    expect(rotation).toMatchObject({ rotation_rules: { automatically_after_days: 30 }, rotate_immediately: false });
    expect(rotation.rotation_lambda_arn).toMatch(
      /^\$\{aws_serverlessapplicationrepository_cloudformation_stack\.app-user_rotation-application_\w+\.outputs\.RotationLambdaARN\}$/,
    );
    // No rule of its own: the function uses what the given group may already do.
    expect(resourceList(json, 'aws_vpc_security_group_ingress_rule').filter((r) => /web/.test(r.referenced_security_group_id ?? ''))).toEqual([]);
  });

  it.each([
    [{ username: 'cachet_application' }, undefined, /username "cachet_application" must be 1-10 lower-case letters/],
    [{ username: 'Cachet' }, undefined, /username "Cachet"/],
    [{}, { days: 0 }, /rotation days 0 must be a whole number from 1 to 1000/],
    [{}, { days: 1.5 }, /rotation days 1\.5/],
  ])('refuses %j %j', (props, rotation, error) => {
    expect(() => build(props, rotation)).toThrow(error);
  });
});
