import type { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import type { EnvironmentConfig } from '../../config/schema';
import { EncryptionKey } from '../../constructs/encryption-key';
import { AlarmTopic } from '../../constructs/monitoring';
import { EnvironmentStack } from '../environment-stack';
import { SYSTEMS } from '../index';
import { webNameStem } from '../web/web-stack';
import { DEPLOY_SERVICES } from './deploy-permissions';
import { InfrastructurePipeline } from './infrastructure-pipeline';

/** The infrastructure pipeline stack of an environment: `pipeline-<env>`. */
export function pipelineStackName(config: EnvironmentConfig): string {
  return `pipeline-${config.name}`;
}

/** Whether an environment gets the pipeline: `pipeline.enabled`, by default when its state is in S3. */
export function hasInfrastructurePipeline(config: EnvironmentConfig): boolean {
  return config.pipeline.enabled ?? config.state.backend === 's3';
}

/**
 * The infrastructure pipeline of an environment (InfrastructurePipeline) and what it reports to: its
 * key and its alarm topic. Applied by `npm run bootstrap` after the state bucket, with its state in
 * that bucket; it plans and applies the systems' stacks, never itself (a pipeline that changed its
 * own role mid-run could lock itself out), so a change to it is applied with `npm run bootstrap` again.
 */
export class PipelineStack extends EnvironmentStack {
  public readonly pipeline: InfrastructurePipeline;

  constructor(scope: Construct, config: EnvironmentConfig) {
    if (config.state.backend !== 's3') {
      throw new Error(`PipelineStack ${config.name}: state.backend is ${config.state.backend}; the pipeline's builds need the state in S3 (state.backend s3)`);
    }
    super(scope, pipelineStackName(config), config);
    const name = `${config.project}-${config.name}-infra`;
    const delivery = config.webapp.delivery;
    const key = new EncryptionKey(this, 'key', {
      alias: name,
      description: `Artifacts, plans, logs and alarms of ${name}`,
      allowCloudWatchLogs: true,
      allowCloudWatchAlarms: true,
      allowEventBridgeRules: true,
    });
    const topic = new AlarmTopic(this, 'alarm-topic', { ...config.alarms, name: `${name}-alarms`, encryptionKey: key });
    this.pipeline = new InfrastructurePipeline(this, 'pipeline', {
      name,
      environment: config.name,
      source:
        delivery.source.provider === 'codecommit'
          ? { provider: 'codecommit', repositoryName: delivery.source.repositoryName, repositoryKeyAlias: webNameStem(config) }
          : delivery.source,
      // The web app's branch: a push releases the app and applies the infrastructure of the same commit.
      branch: delivery.branch,
      stacks: Object.values(SYSTEMS).map((system) => system.stackName(config)),
      resourceTypes: Object.keys(DEPLOY_SERVICES),
      state: config.state,
      encryptionKey: key,
      alarmTopic: topic,
      requireApproval: config.pipeline.requireApproval ?? config.production,
      driftSchedule: config.pipeline.driftSchedule,
      logRetentionDays: config.pipeline.buildLogRetentionDays,
      buildImage: delivery.buildImage,
    });
    for (const event of this.pipeline.failureEvents()) topic.notifyOn(event);
    new TerraformOutput(this, 'pipeline_name', { value: this.pipeline.pipeline.name, description: 'The infrastructure pipeline' });
    new TerraformOutput(this, 'deploy_role_arn', { value: this.pipeline.deployRole.role.arn, description: 'The role the Apply action runs as' });
  }
}
