import { describe, expect, it } from 'vitest';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { type PublicLoadBalancerProps } from '../../constructs/public-load-balancer';
import { addTestLoadBalancer, emptyStack, resourceList, synth, type Json } from '../helpers/synth';
import { TLS_POLICY } from '../../constructs/platform';

function build(props: Partial<PublicLoadBalancerProps> = {}) {
  const stack = emptyStack();
  addTestLoadBalancer(stack, props);
  return synth(stack);
}

const listener = (json: Json, port: number) => resourceList(json, 'aws_lb_listener').find((l) => l.port === port)!;

describe('PublicLoadBalancer', () => {
  it('is internet-facing in the public subnets, drops invalid headers, and is protected from deletion by default', () => {
    const { text, json } = build();
    expect(text).toHaveResourceWithProperties(Lb, {
      internal: false,
      load_balancer_type: 'application',
      drop_invalid_header_fields: true,
      enable_deletion_protection: true,
    });
    const [lb] = resourceList(json, 'aws_lb');
    expect(lb.subnets).toHaveLength(3);
    expect(lb.subnets.every((s: string) => s.includes('aws_subnet.network_public-'))).toBe(true);
  });

  it('redirects HTTP to HTTPS with a 301', () => {
    expect(listener(build().json, 80).default_action).toEqual([{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', status_code: 'HTTP_301' } }]);
  });

  it('terminates TLS with the certificate and a TLS 1.3/1.2 policy, forwarding to the targets', () => {
    const { text, json } = build();
    expect(text).toHaveResourceWithProperties(LbListener, {
      port: 443,
      protocol: 'HTTPS',
      ssl_policy: TLS_POLICY,
      certificate_arn: 'arn:aws:acm:eu-west-1:123456789012:certificate/test',
    });
    expect(listener(json, 443).default_action).toEqual([
      { type: 'forward', order: 1, target_group_arn: expect.stringMatching(/aws_lb_target_group\.alb_targets_\w+\.arn/) },
    ]);
    expect(TLS_POLICY).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
  });

  it('health-checks the targets on the readiness path with the given timings and drains for the given delay', () => {
    expect(build().text).toHaveResourceWithProperties(LbTargetGroup, {
      port: 8080,
      protocol: 'HTTP',
      deregistration_delay: '40',
      health_check: {
        enabled: true,
        path: '/api/v1/health/ready',
        matcher: '200',
        interval: 10,
        timeout: 5,
        healthy_threshold: 2,
        unhealthy_threshold: 3,
        port: 'traffic-port',
        protocol: 'HTTP',
      },
    });
  });

  it('writes access logs to its own private bucket that only ELB log delivery may write to', () => {
    const { json } = build();
    const [lb] = resourceList(json, 'aws_lb');
    expect(lb.access_logs).toEqual({ bucket: expect.stringMatching(/aws_s3_bucket\.alb_access-logs_bucket_\w+\.id/), enabled: true });
    const [policy] = resourceList(json, 'aws_s3_bucket_policy');
    expect(policy.policy).toContain('"Service" = "logdelivery.elasticloadbalancing.amazonaws.com"');
    expect(policy.policy).toContain('data.aws_elb_service_account.alb_elb-account_');
    expect(policy.policy).toContain('/AWSLogs/123456789012/*');
  });

  it('can go without access logs and deletion protection', () => {
    const { json } = build({ enableAccessLogs: false, deletionProtection: false });
    expect(resourceList(json, 'aws_lb')[0]).toMatchObject({ enable_deletion_protection: false });
    expect(resourceList(json, 'aws_lb')[0].access_logs).toBeUndefined();
    expect(resourceList(json, 'aws_s3_bucket')).toEqual([]);
  });

  it('answers 404 by default and forwards only matching hosts and paths when routing rules are given', () => {
    const { json } = build({ routingRules: [{ priority: 10, hostHeaders: ['app.example.com'], pathPatterns: ['/api/*'] }] });
    expect(listener(json, 443).default_action[0]).toMatchObject({
      type: 'fixed-response',
      fixed_response: { status_code: '404', content_type: 'application/json' },
    });
    const [rule] = resourceList(json, 'aws_lb_listener_rule');
    expect(rule.priority).toBe(10);
    expect(rule.condition).toEqual([{ host_header: { values: ['app.example.com'] } }, { path_pattern: { values: ['/api/*'] } }]);
    expect(rule.action[0]).toMatchObject({ type: 'forward' });
  });

  it('signs users in with Cognito before forwarding when asked to', () => {
    const { json } = build({
      cognito: { userPoolArn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/x', userPoolClientId: 'client', userPoolDomain: 'auth' },
    });
    expect(listener(json, 443).default_action.map((a: Json) => [a.order, a.type])).toEqual([
      [1, 'authenticate-cognito'],
      [2, 'forward'],
    ]);
  });

  it.each([
    [false, 0],
    [true, 1],
  ])('with enableWaf=%s has %i web ACL(s) on the load balancer', (enableWaf, count) => {
    const { json } = build({ enableWaf });
    const associations = resourceList(json, 'aws_wafv2_web_acl_association');
    expect(associations).toHaveLength(count);
    if (count) expect(associations[0].resource_arn).toMatch(/aws_lb\.alb_load-balancer_\w+\.arn/);
  });

  it.each([
    [
      { healthCheck: { path: '/h', intervalSeconds: 5, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 2 } },
      /healthCheck\.timeoutSeconds 5 must be below intervalSeconds 5/,
    ],
    [{ deregistrationDelaySeconds: 4000 }, /deregistrationDelaySeconds 4000 must be 0 to 3600/],
    [
      {
        routingRules: [
          { priority: 1, hostHeaders: ['a'] },
          { priority: 1, pathPatterns: ['/b'] },
        ],
      },
      /priorities 1, 1 must be unique/,
    ],
    [{ routingRules: [{ priority: 1 }] }, /routing rule 1 has neither hostHeaders nor pathPatterns/],
  ])('refuses %j', (props, error) => {
    expect(() => build(props as Partial<PublicLoadBalancerProps>)).toThrow(error);
  });

  it('is created after its access log bucket policy, which ELB checks by writing at once', () => {
    // GIVEN access logs on (the default) WHEN synthesized THEN the load balancer waits for the policy
    const [lb] = resourceList(build().json, 'aws_lb');
    expect(lb.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_policy\.alb_access-logs_policy_\w+$/)]);
  });

  it('waits for nothing without access logs', () => {
    const [lb] = resourceList(build({ enableAccessLogs: false }).json, 'aws_lb');
    expect(lb.depends_on).toBeUndefined();
  });

  it('keeps its access logs on destroy (DestroyWithContents on the stack says otherwise)', () => {
    expect(resourceList(build().json, 'aws_s3_bucket')[0].force_destroy).toBe(false);
  });
});
