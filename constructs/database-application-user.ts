import { Construct } from 'constructs';
import { Fn, type ITerraformDependable } from 'cdktf';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretRotation } from '@cdktf/provider-aws/lib/secretsmanager-secret-rotation';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { ServerlessapplicationrepositoryCloudformationStack } from '@cdktf/provider-aws/lib/serverlessapplicationrepository-cloudformation-stack';
import type { IDatabase } from './aurora-mysql-cluster';
import type { IConnectable } from './connections';
import type { EncryptionKey } from './encryption-key';
import type { Network } from './network';
import { locationOf } from './policy';

/**
 * AWS's rotation function for MySQL by alternating users (the Serverless Application Repository's
 * SecretsManagerRDSMySQLRotationMultiUser), at the version aws-cdk-lib's SecretRotationApplication
 * pins. Its code: aws-samples/aws-secrets-manager-rotation-lambdas, SecretsManagerRDSMySQLRotationMultiUser.
 */
export const MYSQL_MULTI_USER_ROTATION = {
  applicationId: 'arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSMySQLRotationMultiUser',
  semanticVersion: '1.1.225',
} as const;

/** The rotation function clones a user as `<name>_clone` and refuses names that end up over 16 characters. */
const USERNAME = /^[a-z][a-z0-9_]{0,9}$/;

export interface DatabaseApplicationUserProps {
  /** Stem of the secret and function names. */
  readonly name: string;
  /** The cluster the user is in; its RDS-managed master secret makes and rotates the user. */
  readonly database: IDatabase;
  /** Encrypts the secret (the stack's key, which the master secret uses too). */
  readonly encryptionKey: EncryptionKey;
  /**
   * The user's name (1-10 characters: the rotation's clone appends `_clone` and stays within 16).
   * @default 'cachet_app'
   */
  readonly username?: string;
}

export interface RotationOptions {
  /** The function runs in these subnets (the application subnets: the database, and Secrets Manager through NAT). */
  readonly network: Network;
  /**
   * The security group the function runs in: one the database already admits and that may reach
   * Secrets Manager on 443, so that no new path to the database opens (the application's own).
   */
  readonly runIn: IConnectable;
  /**
   * What must exist first: the application creates the user on its first start, and the function
   * logs in as the user before it makes the clone.
   * @default - nothing
   */
  readonly after?: ITerraformDependable[];
  /**
   * Days between rotations.
   * @default 30
   */
  readonly days?: number;
}

/**
 * The database user an application serves as, instead of the master user: its secret (the JSON
 * AWS's rotation functions take: engine, host, port, dbname, username, password, masterarn) with a
 * first password made at apply time through a write-only argument. With `addRotation`, Secrets
 * Manager rotates it by alternating two users (`<username>` and `<username>_clone`), so credentials
 * an instance holds stay valid for a whole rotation period after the secret moves on: no connection
 * is refused while instances catch up. The application creates the user and grants its privileges
 * (the Cachet image's schema step); the rotation function, AWS's, deployed from the Serverless
 * Application Repository into the VPC, creates the clone with the same grants and changes passwords
 * with the master secret.
 */
/** What an application needs of its database user: the name, and the secret its password is read from. */
export interface IDatabaseUser {
  readonly username: string;
  /** ARN of the secret holding the user's credentials (rotated in place). */
  readonly secretArn: string;
}

export class DatabaseApplicationUser extends Construct implements IDatabaseUser {
  public readonly secret: SecretsmanagerSecret;
  public readonly username: string;
  private readonly props: DatabaseApplicationUserProps;
  private readonly first: SecretsmanagerSecretVersion;

  constructor(scope: Construct, id: string, props: DatabaseApplicationUserProps) {
    super(scope, id);
    this.username = props.username ?? 'cachet_app';
    if (!USERNAME.test(this.username)) {
      throw new Error(
        `DatabaseApplicationUser ${id}: username "${this.username}" must be 1-10 lower-case letters, digits or _, starting with a letter (the rotation's "_clone" must fit in 16)`,
      );
    }
    this.props = props;
    const db = props.database;

    this.secret = new SecretsmanagerSecret(this, 'secret', {
      namePrefix: `${props.name}/database-app-user-`,
      description: `Database user ${this.username} (rotated by alternating with ${this.username}_clone)`,
      kmsKeyId: props.encryptionKey.arn,
      recoveryWindowInDays: 30,
    });
    this.first = new SecretsmanagerSecretVersion(this, 'first-value', {
      secretId: this.secret.id,
      secretStringWo: Fn.jsonencode({
        engine: 'mysql',
        host: db.endpoint,
        port: db.port,
        dbname: db.databaseName,
        username: this.username,
        password: Fn.base64sha256(Fn.join('', [Fn.uuid(), Fn.uuid()])),
        masterarn: db.masterUserSecretArn,
      }),
      secretStringWoVersion: 1,
    });
  }

  /** ARN of the user's secret. */
  public get secretArn(): string {
    return this.secret.arn;
  }

  /**
   * Rotation by alternating users: AWS's function from the Serverless Application Repository in the
   * VPC, and the schedule. The first rotation comes after `days`: at apply time the user may not
   * exist yet.
   */
  public addRotation(options: RotationOptions): SecretsmanagerSecretRotation {
    const days = options.days ?? 30;
    if (!Number.isInteger(days) || days < 1 || days > 1000) {
      throw new Error(`DatabaseApplicationUser ${this.node.id}: rotation days ${days} must be a whole number from 1 to 1000 (Secrets Manager's range)`);
    }
    const { name, database, encryptionKey } = this.props;
    const location = locationOf(this);
    const application = new ServerlessapplicationrepositoryCloudformationStack(this, 'rotation-application', {
      name: `${name}-db-rotation`,
      applicationId: MYSQL_MULTI_USER_ROTATION.applicationId,
      semanticVersion: MYSQL_MULTI_USER_ROTATION.semanticVersion,
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_RESOURCE_POLICY'],
      // The parameters aws-cdk-lib's SecretRotation passes to this application.
      parameters: {
        endpoint: `https://secretsmanager.${location.region}.amazonaws.com`,
        functionName: `${name}-db-rotation`,
        vpcSubnetIds: Fn.join(
          ',',
          options.network.applicationSubnets.map((s) => s.id),
        ),
        vpcSecurityGroupIds: options.runIn.connections.securityGroup.id,
        kmsKeyArn: encryptionKey.arn,
        masterSecretArn: database.masterUserSecretArn,
        masterSecretKmsKeyArn: encryptionKey.arn,
      },
    });
    return new SecretsmanagerSecretRotation(this, 'rotation', {
      secretId: this.secret.id,
      rotationLambdaArn: Fn.lookup(application.outputs, 'RotationLambdaARN'),
      rotationRules: { automaticallyAfterDays: days },
      rotateImmediately: false,
      dependsOn: [this.first, ...(options.after ?? [])],
    });
  }
}
