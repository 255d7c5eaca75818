import type { Construct } from 'constructs';
import type { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget, type CloudwatchEventTargetInputTransformer } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { ServiceRole } from './grants';

export interface RoleTargetProps {
  /** The rule whose events (or schedule) start the target. */
  readonly rule: CloudwatchEventRule;
  /** What the target starts: a CodeBuild project or a pipeline. */
  readonly arn: string;
  /** The one action EventBridge may call on it, e.g. `codebuild:StartBuild`. */
  readonly action: string;
  /** Construct ids, in the scope, of the role, its inline policy and the target (they are addresses: keep them). */
  readonly ids: { readonly role: string; readonly policy: string; readonly target: string };
  /** The role's name in IAM, its policy's name, and the statement's Sid. */
  readonly roleName: string;
  readonly policyName: string;
  readonly sid: string;
  /** @default - the event as it is */
  readonly inputTransformer?: CloudwatchEventTargetInputTransformer;
}

/**
 * An EventBridge target that starts one thing through a role of its own that may do only that
 * (EventBridge needs a role for CodeBuild and CodePipeline targets), as the pipelines' pushes,
 * schedules and uploads start their builds.
 */
export function roleTarget(scope: Construct, props: RoleTargetProps): CloudwatchEventTarget {
  const { role } = new ServiceRole(scope, props.ids.role, {
    name: props.roleName,
    service: 'events.amazonaws.com',
    inlinePolicy: {
      id: props.ids.policy,
      name: props.policyName,
      statements: [{ Sid: props.sid, Effect: 'Allow', Action: props.action, Resource: props.arn }],
    },
  });
  return new CloudwatchEventTarget(scope, props.ids.target, {
    rule: props.rule.name,
    arn: props.arn,
    roleArn: role.arn,
    inputTransformer: props.inputTransformer,
  });
}
