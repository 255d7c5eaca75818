import type { Construct } from 'constructs';
import { Lazy, type ITerraformDependable } from 'cdktf';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { policyDocument, type PolicyStatement } from './policy';

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
    const dependables = grants.flatMap((g) => g.dependables);
    return new Grant(
      grants.flatMap((g) => g.statements),
      dependables.filter((d, i) => dependables.indexOf(d) === i),
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
