import { describe, expect, it } from 'vitest';
import { CACHET_IMAGE_DIR } from '../../stacks/cachet/cachet-beanstalk';
import { ContainerImage, type ContainerImageProps } from '../../constructs/container-image';
import { EncryptionKey } from '../../constructs/encryption-key';
import { emptyStack, resourceList, synth, type Json, recordingGrantee } from '../helpers/synth';

function build(props: Partial<ContainerImageProps> = {}) {
  const stack = emptyStack();
  const key = new EncryptionKey(stack, 'key', { alias: 'test', description: 'test', allowCloudWatchLogs: true });
  const image = new ContainerImage(stack, 'image', { name: 'test-cachet', directory: CACHET_IMAGE_DIR, encryptionKey: key, ...props });
  return { image, json: synth(stack).json as Json };
}

describe('ContainerImage', () => {
  const { image, json } = build();
  const [repository] = resourceList(json, 'aws_ecr_repository');
  const [project] = resourceList(json, 'aws_codebuild_project');
  const [upload] = resourceList(json, 'aws_s3_object');

  it('keeps images in a private repository with immutable tags, scanned on push, encrypted with the customer key', () => {
    expect(repository).toMatchObject({
      name: 'test-cachet',
      image_tag_mutability: 'IMMUTABLE',
      image_scanning_configuration: { scan_on_push: true },
      force_delete: false,
    });
    expect(repository.encryption_configuration).toEqual([{ encryption_type: 'KMS', kms_key: expect.stringMatching(/^\$\{aws_kms_key\.key_\w+\.arn\}$/) }]);
  });

  it('expires untagged layers after a day and keeps the newest images', () => {
    const [lifecycle] = resourceList(json, 'aws_ecr_lifecycle_policy');
    const rules = JSON.parse(lifecycle.policy).rules;
    expect(rules.map((r: Json) => [r.selection.tagStatus, r.selection.countType, r.selection.countNumber])).toEqual([
      ['untagged', 'sinceImagePushed', 1],
      ['any', 'imageCountMoreThan', 30],
    ]);
  });

  it('tags the image with the hash of the bundle the build reads', () => {
    expect(image.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(upload.key).toMatch(new RegExp(`^image/${image.tag}[0-9a-f]{48}\\.zip$`));
    expect(project.source).toMatchObject({ type: 'S3', buildspec: 'buildspec.yml', location: expect.stringContaining(`/${upload.key}`) });
    expect(project.environment.environment_variable).toContainEqual({ name: 'IMAGE_TAG', value: image.tag });
  });

  it('builds with Docker in privileged mode, logging to an encrypted group', () => {
    expect(project.environment).toMatchObject({ privileged_mode: true, type: 'LINUX_CONTAINER' });
    const [logs] = resourceList(json, 'aws_cloudwatch_log_group');
    expect(logs.kms_key_id).toMatch(/aws_kms_key\.key_\w+\.arn/);
  });

  it('starts the build when a bundle is uploaded, and uploads only once that path exists', () => {
    const [rule] = resourceList(json, 'aws_cloudwatch_event_rule');
    expect(JSON.parse(rule.event_pattern)).toMatchObject({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { object: { key: [{ prefix: 'image/' }] } },
    });
    expect(resourceList(json, 'aws_s3_bucket_notification')[0].eventbridge).toBe(true);
    const [target] = resourceList(json, 'aws_cloudwatch_event_target');
    expect(target.arn).toMatch(/aws_codebuild_project\.image_build_\w+\.arn/);
    for (const needed of [/aws_s3_bucket_notification\./, /aws_cloudwatch_event_target\./, /aws_codebuild_project\./, /aws_s3_bucket_versioning\./]) {
      expect(upload.depends_on.some((d: string) => needed.test(d))).toBe(true);
    }
  });

  it('lets the build push to its own repository only', () => {
    const policy = resourceList(json, 'aws_iam_role_policy').find((p) => p.name === 'build-and-push')!.policy as string;
    expect(policy).toMatch(/"Sid" = "PushToTheRepository", .*"ecr:PutImage".*"Resource" = aws_ecr_repository\.image_repository_\w+\.arn/);
  });

  it('grants pulling from its repository', () => {
    const grantee = recordingGrantee();
    image.grantPull(grantee);
    expect(grantee.statements.map((s) => 'Action' in s && s.Action)).toEqual([
      'ecr:GetAuthorizationToken',
      ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:DescribeImages', 'ecr:GetDownloadUrlForLayer'],
    ]);
  });

  it.each([
    [{ name: 'Test_Cachet' }, /name "Test_Cachet" is not an ECR repository name/],
    [{ keepImages: 0 }, /keepImages is 0; keep at least 1 image/],
  ])('refuses %j', (props, error) => {
    expect(() => build(props)).toThrow(error);
  });
});
