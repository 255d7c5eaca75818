// The web stack with a GitHub source and pull request reports on (no shipped environment has it):
// synthesized, `terraform validate`d and planned offline against the real provider, which checks
// the project's CODECONNECTIONS source and the webhook's filters against its own schema.
import { beforeAll, describe, expect, it } from 'vitest';
import { offlineTerraformEnv, planOffline, plannedResources, synthesizeAll, type Json, type OfflineResult } from '../../harness/offline-terraform';
import { config } from '../helpers/synth';

let result: OfflineResult;
const planned = (type: string) => plannedResources(result.plan).filter((r) => r.type === type);

beforeAll(async () => {
  const github = { provider: 'github' as const, fullRepositoryId: 'example/webapp', pullRequestAuthors: [583231] };
  const [stack] = synthesizeAll([config('dev', { webapp: { delivery: { source: github, enablePullRequestReports: true } } })], ['web']);
  result = await planOffline(stack, offlineTerraformEnv());
}, 300_000);

describe('web-dev with a GitHub source and pull request reports', () => {
  it('validates', () => {
    expect(result.validate).toMatchObject({ valid: true, error_count: 0 });
  });

  it('plans the report project on the GitHub repository through the connection, reporting its status', () => {
    const project = planned('aws_codebuild_project').find((p) => p.values.name === 'statuspage-dev-web-pull-requests')!;
    expect(project.values.source).toEqual([
      expect.objectContaining({
        type: 'GITHUB',
        location: 'https://github.com/example/webapp.git',
        git_clone_depth: 0,
        report_build_status: true,
        auth: [expect.objectContaining({ type: 'CODECONNECTIONS' })],
        build_status_config: [expect.objectContaining({ context: 'infrastructure report (dev)' })],
      }),
    ]);
  });

  it('plans the webhook on pull requests into dev by the listed author, and the empty token secret', () => {
    const [webhook] = planned('aws_codebuild_webhook');
    expect(webhook.values.filter_group[0].filter.map((f: Json) => [f.type, f.pattern])).toEqual([
      ['EVENT', 'PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED'],
      ['BASE_REF', '^refs/heads/dev$'],
      ['ACTOR_ACCOUNT_ID', '^(583231)$'],
    ]);
    expect(planned('aws_secretsmanager_secret').map((s) => s.values.name_prefix)).toContain('statuspage-dev-web-pull-requests-github-token-');
  });

  it('has no pull request rule (the webhook starts the build)', () => {
    expect(planned('aws_cloudwatch_event_rule').map((r) => r.values.name)).not.toContain('statuspage-dev-web-pull-requests');
  });
});
