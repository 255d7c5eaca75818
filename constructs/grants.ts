import type { Construct } from 'constructs';
import { Lazy, type ITerraformDependable } from 'cdktf';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { locationOf, managedPolicyArn, policyDocument, serviceAssumeRolePolicy, type AwsManagedPolicy, type PolicyStatement } from './policy';

/** Whatever can be given permissions: it has a principal whose policy takes statements. */
export interface IGrantable {
  readonly grantPrincipal: IPrincipal;
}

/** A principal's own policy, which grants add statements to. */
export interface IPrincipal {
  /** Adds `statements`; returns the resources that hold them (the policy), for `dependsOn`. */
  addToPrincipalPolicy(statements: readonly PolicyStatement[]): readonly ITerraformDependable[];
}

/**
 * What a `grant*` method gave: the statements it added to the grantee's policy, and the resources
 * that hold them. A resource that needs the permission in force when it is created (a function that
 * runs at once, an environment whose instances boot with it) depends on it:
 * `dependsOn: [...grant.dependables]`.
 */
export class Grant {
  /** Adds `statements` to the grantee's policy and records them. */
  static addToPrincipal(grantee: IGrantable, statements: readonly PolicyStatement[]): Grant {
    return new Grant(statements, grantee.grantPrincipal.addToPrincipalPolicy(statements));
  }

  /** One grant holding the statements and resources of several. */
  static combine(...grants: readonly Grant[]): Grant {
    return new Grant(
      grants.flatMap((g) => g.statements),
      [...new Set(grants.flatMap((g) => g.dependables))],
    );
  }

  private constructor(
    public readonly statements: readonly PolicyStatement[],
    public readonly dependables: readonly ITerraformDependable[],
  ) {}
}

export interface InlinePolicyProps {
  readonly role: IamRole;
  /** The policy's name on the role. */
  readonly name: string;
  /** The role's own statements, before any grant's. @default - none */
  readonly statements?: readonly PolicyStatement[];
}

/**
 * A role's inline policy that grants accumulate in, in the order they are made: the document is
 * written at synth. A grant that repeats an earlier one (two buckets encrypted by one key, each
 * granting its use through S3) adds nothing, so every statement is needed. The policy resource (`id` in `scope`) exists once it has a statement, since IAM
 * refuses an empty one.
 */
export class InlinePolicy implements IGrantable, IPrincipal {
  public readonly grantPrincipal: IPrincipal = this;
  private readonly statements: PolicyStatement[] = [];
  private policy?: IamRolePolicy;

  constructor(
    private readonly scope: Construct,
    private readonly id: string,
    private readonly props: InlinePolicyProps,
  ) {
    if (props.statements?.length) this.addToPrincipalPolicy(props.statements);
  }

  /**
   * Adds `statements`, leaving out any that only repeat one already there under another Sid. A Sid
   * names one grant: a different statement under a Sid already used is refused ("In IAM, the Sid
   * value must be unique within a JSON policy", IAM JSON policy reference, Sid).
   */
  addToPrincipalPolicy(statements: readonly PolicyStatement[]): readonly ITerraformDependable[] {
    const sameGrant = (a: PolicyStatement, b: PolicyStatement) => JSON.stringify({ ...a, Sid: undefined }) === JSON.stringify({ ...b, Sid: undefined });
    for (const statement of statements) {
      if (this.statements.some((s) => sameGrant(s, statement))) continue;
      if (statement.Sid !== undefined && this.statements.some((s) => s.Sid === statement.Sid)) {
        throw new Error(`InlinePolicy ${this.id}: Sid ${statement.Sid} already names another statement of this policy; give the new grant its own Sid`);
      }
      this.statements.push(statement);
    }
    this.policy ??= new IamRolePolicy(this.scope, this.id, {
      role: this.props.role.id,
      name: this.props.name,
      policy: Lazy.stringValue({ produce: () => policyDocument(this.statements) }),
    });
    return [this.policy];
  }

  /** The policy resource, for `dependsOn`. @throws when nothing has been granted yet */
  get resource(): IamRolePolicy {
    if (!this.policy) throw new Error(`InlinePolicy ${this.id}: has no statements yet, so no policy resource`);
    return this.policy;
  }
}

export interface ServiceRoleProps {
  /** The role's name in IAM. */
  readonly name: string;
  /** The service principal that assumes it, e.g. `codebuild.amazonaws.com`. */
  readonly service: string;
  /**
   * Let only this account's use of the service assume it (`aws:SourceAccount`, the confused-deputy
   * guard). EC2 and RDS Enhanced Monitoring send no source account: turn it off for them.
   * @default true
   */
  readonly sourceAccountOnly?: boolean;
  /**
   * AWS managed policies attached to the role, each with its attachment's construct id.
   * @default - none
   */
  readonly managedPolicies?: readonly { readonly id: string; readonly policy: AwsManagedPolicy }[];
  /**
   * The inline policy grants go into: its construct id, its name on the role, and the role's own
   * statements (InlinePolicy).
   * @default - no inline policy; the role cannot be granted to
   */
  readonly inlinePolicy?: { readonly id: string; readonly name: string; readonly statements?: readonly PolicyStatement[] };
}

/**
 * An IAM role a service assumes, with its managed policies and the inline policy its grants go
 * into: the pairing every part of the systems makes. Like InlinePolicy, it adds its resources to
 * `scope` under the ids it is given (the role as `id`), so a part moved onto it keeps every address.
 */
export class ServiceRole implements IGrantable {
  public readonly role: IamRole;
  /** The managed policies' attachments, for `dependsOn`. */
  public readonly attachments: readonly IamRolePolicyAttachment[];
  public readonly grantPrincipal: IPrincipal;
  private readonly inline?: InlinePolicy;

  constructor(
    scope: Construct,
    private readonly id: string,
    props: ServiceRoleProps,
  ) {
    const guard = (props.sourceAccountOnly ?? true) ? locationOf(scope) : undefined;
    this.role = new IamRole(scope, id, { name: props.name, assumeRolePolicy: serviceAssumeRolePolicy(props.service, guard) });
    this.attachments = (props.managedPolicies ?? []).map(
      ({ id: attachmentId, policy }) => new IamRolePolicyAttachment(scope, attachmentId, { role: this.role.name, policyArn: managedPolicyArn(policy) }),
    );
    if (props.inlinePolicy) {
      const { id: policyId, ...policy } = props.inlinePolicy;
      this.inline = new InlinePolicy(scope, policyId, { role: this.role, ...policy });
    }
    this.grantPrincipal = this.inline ?? {
      addToPrincipalPolicy: () => {
        throw new Error(`ServiceRole ${id}: has no inlinePolicy, so nothing can be granted to it; give it one`);
      },
    };
  }

  /** The inline policy, for what must wait for its statements. @throws when the role has none */
  get policy(): InlinePolicy {
    if (!this.inline) throw new Error(`ServiceRole ${this.id}: has no inlinePolicy; give it one`);
    return this.inline;
  }
}
