import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { Grant, InlinePolicy, ServiceRole, type ServiceRoleProps } from '../../constructs/grants';
import { serviceAssumeRolePolicy, type PolicyStatement } from '../../constructs/policy';
import { emptyStack, policyStatements, recordingGrantee, resourceList, resources, synth } from '../helpers/synth';
import { projectPath } from '../../project';

const statement = (sid: string): PolicyStatement => ({ Sid: sid, Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${sid.toLowerCase()}/*` });

describe('InlinePolicy', () => {
  function withPolicy(statements?: PolicyStatement[]) {
    const stack = emptyStack();
    const role = new IamRole(stack, 'role', { name: 'r', assumeRolePolicy: serviceAssumeRolePolicy('ec2.amazonaws.com') });
    return { stack, policy: new InlinePolicy(stack, 'policy', { role, name: 'p', statements }) };
  }

  it('writes its own statements first, then each grant in the order made', () => {
    const { stack, policy } = withPolicy([statement('Own')]);
    Grant.addToPrincipal(policy, [statement('First')]);
    Grant.addToPrincipal(policy, [statement('Second')]);
    const [written] = resourceList(synth(stack).json, 'aws_iam_role_policy');
    expect(policyStatements(written.policy).map((s) => s.Sid)).toEqual(['Own', 'First', 'Second']);
  });

  it('leaves out a grant that repeats an earlier one under another Sid', () => {
    // GIVEN two grants of the same permission (one key's use through S3, for two buckets)
    const { stack, policy } = withPolicy([statement('Own')]);
    Grant.addToPrincipal(policy, [{ ...statement('Own'), Sid: 'Again' }]);
    Grant.addToPrincipal(policy, [statement('Other')]);
    // THEN the policy holds it once, so removing any statement takes a permission away
    const [written] = resourceList(synth(stack).json, 'aws_iam_role_policy');
    expect(policyStatements(written.policy).map((s) => s.Sid)).toEqual(['Own', 'Other']);
  });

  it('refuses another statement under a Sid already used, naming the Sid', () => {
    const { policy } = withPolicy([statement('Own')]);
    expect(() => Grant.addToPrincipal(policy, [{ ...statement('Own'), Action: 's3:PutObject' }])).toThrow(
      /Sid Own already names another statement of this policy/,
    );
  });

  it('takes the same statement under the same Sid again, once', () => {
    const { stack, policy } = withPolicy([statement('Own')]);
    Grant.addToPrincipal(policy, [statement('Own')]);
    const [written] = resourceList(synth(stack).json, 'aws_iam_role_policy');
    expect(policyStatements(written.policy).map((s) => s.Sid)).toEqual(['Own']);
  });

  it('has no resource while it has no statement, and says so when asked for one', () => {
    const { stack, policy } = withPolicy();
    expect(resourceList(synth(stack).json, 'aws_iam_role_policy')).toEqual([]);
    expect(() => policy.resource).toThrow(/InlinePolicy policy: has no statements yet/);
  });
});

describe('Grant', () => {
  it('records what it added, and combines', () => {
    const grantee = recordingGrantee();
    const grant = Grant.combine(Grant.addToPrincipal(grantee, [statement('A')]), Grant.addToPrincipal(grantee, [statement('B')]));
    expect(grant.statements).toEqual(grantee.statements);
    expect(grant.statements.map((s) => s.Sid)).toEqual(['A', 'B']);
  });

  it('can be depended on: a resource that needs it waits for the policy holding it', () => {
    // GIVEN two grants to one inline policy
    const stack = emptyStack();
    const role = new IamRole(stack, 'role', { name: 'r', assumeRolePolicy: serviceAssumeRolePolicy('lambda.amazonaws.com') });
    const policy = new InlinePolicy(stack, 'policy', { role, name: 'p' });
    const grant = Grant.combine(Grant.addToPrincipal(policy, [statement('A')]), Grant.addToPrincipal(policy, [statement('B')]));
    // WHEN a resource depends on the grant
    new IamRole(stack, 'after', { name: 'a', assumeRolePolicy: serviceAssumeRolePolicy('lambda.amazonaws.com'), dependsOn: [...grant.dependables] });
    // THEN it depends on the policy resource, once
    expect(grant.dependables).toEqual([policy.resource]);
    const after = resourceList(synth(stack).json, 'aws_iam_role').find((r) => r.name === 'a')!;
    expect(after.depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy\.policy/)]);
  });
});

describe('inline policies in constructs and stacks', () => {
  it('are all written through InlinePolicy, which checks their Sids (no raw IamRolePolicy)', () => {
    const files = ['constructs', 'stacks'].flatMap((dir) =>
      readdirSync(projectPath(dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(dir, f)),
    );
    const raw = files.filter((f) => f !== join('constructs', 'grants.ts') && /new IamRolePolicy\(/.test(readFileSync(projectPath(f), 'utf8')));
    expect(files.length).toBeGreaterThan(20);
    expect(raw).toEqual([]);
  });
});

describe('ServiceRole', () => {
  function build(props: Partial<ServiceRoleProps> = {}) {
    const stack = emptyStack();
    const role = new ServiceRole(stack, 'builder', {
      name: 'builder',
      service: 'codebuild.amazonaws.com',
      inlinePolicy: { id: 'builder-policy', name: 'build' },
      ...props,
    });
    return { stack, role };
  }
  const trust = (stack: ReturnType<typeof emptyStack>) => policyStatements(resourceList(synth(stack).json, 'aws_iam_role')[0].assume_role_policy);

  it("lets only the stack account's use of the service assume it, by default", () => {
    expect(trust(build().stack)).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'codebuild.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      },
    ]);
  });

  it('leaves the guard out for a service that sends no source account (EC2)', () => {
    expect(trust(build({ service: 'ec2.amazonaws.com', sourceAccountOnly: false }).stack)[0].Condition).toBeUndefined();
  });

  it('attaches its managed policies under the ids given', () => {
    const { stack } = build({ managedPolicies: [{ id: 'session-manager', policy: 'AmazonSSMManagedInstanceCore' }] });
    const attachments = resources(synth(stack).json, 'aws_iam_role_policy_attachment');
    expect(Object.keys(attachments)).toEqual([expect.stringMatching(/^session-manager/)]);
    expect(Object.values(attachments)[0].policy_arn).toBe('arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore');
  });

  it('takes grants into its inline policy, under the id given', () => {
    const { stack, role } = build();
    Grant.addToPrincipal(role, [statement('Granted')]);
    const policies = resources(synth(stack).json, 'aws_iam_role_policy');
    expect(Object.keys(policies)).toEqual([expect.stringMatching(/^builder-policy/)]);
    expect(policyStatements(Object.values(policies)[0].policy).map((s) => s.Sid)).toEqual(['Granted']);
  });

  it('refuses a grant without an inline policy, naming the fix', () => {
    const { role } = build({ inlinePolicy: undefined });
    expect(() => Grant.addToPrincipal(role, [statement('Granted')])).toThrow(
      /ServiceRole builder: has no inlinePolicy, so nothing can be granted to it; give it one/,
    );
  });
});
