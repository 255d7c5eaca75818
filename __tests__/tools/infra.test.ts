// The infrastructure pipeline's summaries, from `terraform show -json` of a plan: what the approval
// shows, what the report lists and the drift datum per stack. (The steps themselves run in the
// local CodeBuild runner against the emulator: __tests__/buildspecs/infrastructure.test.ts.)
import { describe, expect, it } from 'vitest';
import { approvalLine, countLine, driftMetrics, formatPlans, stackPlan } from '../../tools/infra';

const change = (address: string, actions: string[]) => ({ address, change: { actions } });
const PLAN = {
  resource_changes: [
    change('aws_vpc.b', ['create']),
    change('aws_lb.a', ['update']),
    change('aws_instance.c', ['delete', 'create']),
    change('aws_s3_bucket.d', ['delete']),
    change('aws_iam_role.e', ['no-op']),
    change('data.aws_region.f', ['read']),
  ],
};

describe('stackPlan', () => {
  it.each([
    ['aws_vpc.b', 'add'],
    ['aws_lb.a', 'change'],
    ['aws_instance.c', 'replace'],
    ['aws_s3_bucket.d', 'destroy'],
  ])('reads %s as %s', (address, action) => {
    expect(stackPlan('web-dev', PLAN).changes).toContainEqual({ address, action });
  });

  it('leaves out no-ops and reads', () => {
    expect(stackPlan('web-dev', PLAN).changes.map((c) => c.address)).not.toContain('aws_iam_role.e');
    expect(stackPlan('web-dev', PLAN).changes.map((c) => c.address)).not.toContain('data.aws_region.f');
  });
});

describe('the summaries', () => {
  const plan = stackPlan('web-dev', PLAN);
  const none = stackPlan('cachet-dev', { resource_changes: [] });

  it('counts each action per stack, or says there is no change', () => {
    expect(countLine(plan)).toBe('web-dev: 1 to add, 1 to change, 1 to replace, 1 to destroy');
    expect(countLine(none)).toBe('cachet-dev: no change');
  });

  it('lists every resource a stack touches, by action, sorted', () => {
    expect(formatPlans([none, plan])).toBe(
      '## cachet-dev: no change\n\n## web-dev: 1 to add, 1 to change, 1 to replace, 1 to destroy\n\n```diff\n-/+ aws_instance.c\n~ aws_lb.a\n- aws_s3_bucket.d\n+ aws_vpc.b\n```',
    );
  });

  it('gives the approval one line, cut to fit CodePipeline', () => {
    expect(approvalLine([none, plan], 0)).toBe(
      'cachet-dev: no change; web-dev: 1 to add, 1 to change, 1 to replace, 1 to destroy; checkov: 0 unwaived failures',
    );
    const cut = approvalLine(
      Array.from({ length: 40 }, () => plan),
      1,
    );
    expect(cut).toHaveLength(600);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('publishes 1 for a stack that differs from its code, 0 for one that does not', () => {
    expect(driftMetrics([plan, none]).map((d) => [d.Dimensions[0].Value, d.Value])).toEqual([
      ['web-dev', 1],
      ['cachet-dev', 0],
    ]);
  });
});
