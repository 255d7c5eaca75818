// Alarms that reach people, in every stack of every environment: each alarm notifies its stack's
// topic on ALARM and OK; AWS's recommended alarms exist; the dashboard draws what the definitions name.
import { describe, expect, it } from 'vitest';
import { everyShippedStack, resourceList, resources, type Json } from '../helpers/synth';

const stacks = await everyShippedStack();

/** `namespace metric` of each alarm. */
const alarmMetrics = (json: Json) => resourceList(json, 'aws_cloudwatch_metric_alarm').map((a) => `${a.namespace} ${a.metric_name}`);

/** `namespace metric` of each graph on the stack's dashboard. */
function dashboardMetrics(json: Json): string[] {
  const [dashboard] = resourceList(json, 'aws_cloudwatch_dashboard');
  // Terraform fills the interpolations (dimension values) in; the rest must be JSON as written.
  return JSON.parse(dashboard.dashboard_body.replace(/\$\{[^}]*\}/g, 'reference'))
    .widgets.filter((w: Json) => w.type === 'metric')
    .map((w: Json) => `${w.properties.metrics[0][0]} ${w.properties.metrics[0][1]}`);
}

const RECOMMENDED: Record<string, string[]> = {
  cachet: [
    'AWS/ApplicationELB HTTPCode_ELB_5XX_Count',
    'AWS/ApplicationELB HTTPCode_Target_5XX_Count',
    'AWS/ApplicationELB TargetResponseTime',
    'AWS/ApplicationELB RejectedConnectionCount',
    'AWS/ElasticBeanstalk EnvironmentHealth',
    'AWS/RDS CPUUtilization',
    'AWS/RDS FreeableMemory',
    'AWS/RDS DatabaseConnections',
    'AWS/RDS AuroraReplicaLag',
    'AWS/NATGateway ErrorPortAllocation',
    'AWS/NATGateway PacketsDropCount',
  ],
  web: [
    'AWS/ApplicationELB HTTPCode_ELB_5XX_Count',
    'AWS/ApplicationELB HTTPCode_Target_5XX_Count',
    'AWS/ApplicationELB TargetResponseTime',
    'AWS/ApplicationELB UnHealthyHostCount',
    'AWS/ApplicationELB RejectedConnectionCount',
    'AWS/AutoScaling GroupInServiceInstances',
    'AWS/NATGateway ErrorPortAllocation',
    'AWS/NATGateway PacketsDropCount',
  ],
};
/** Drawn for context, not alarmed. */
const DRAWN_ONLY = ['AWS/ApplicationELB RequestCount', 'AWS/ApplicationELB HealthyHostCount', 'AWS/EC2 CPUUtilization'];

describe.each(stacks)('%s', (name, json) => {
  it('sends every alarm, on ALARM and on OK, to its own topic', () => {
    const [topicId] = Object.keys(resources(json, 'aws_sns_topic'));
    const topic = `\${aws_sns_topic.${topicId}.arn}`;
    const alarms = resourceList(json, 'aws_cloudwatch_metric_alarm');
    expect(alarms.length).toBeGreaterThan(5);
    expect(
      alarms.filter((a) => JSON.stringify(a.alarm_actions) !== JSON.stringify([topic]) || JSON.stringify(a.ok_actions) !== JSON.stringify([topic])),
    ).toEqual([]);
  });

  it("has AWS's recommended alarms for what it runs", () => {
    expect([...new Set(alarmMetrics(json))].sort()).toEqual(expect.arrayContaining(RECOMMENDED[name.split('-')[0]]));
  });

  it('draws every alarmed metric, and nothing but the definitions', () => {
    const drawn = dashboardMetrics(json);
    expect(drawn).toEqual(expect.arrayContaining(alarmMetrics(json)));
    expect(drawn.filter((m) => !alarmMetrics(json).includes(m) && !DRAWN_ONLY.includes(m))).toEqual([]);
  });

  it('alarms each NAT gateway', () => {
    const nats = Object.keys(resources(json, 'aws_nat_gateway')).length;
    expect(alarmMetrics(json).filter((m) => m === 'AWS/NATGateway ErrorPortAllocation')).toHaveLength(nats);
  });
});

describe('database alarms', () => {
  it.each([
    ['dev', 4, 90],
    ['prod', 16, 1000],
  ])('take their thresholds from the %s instance class: a quarter of %i GiB free, 90 %% of %i connections', (env, memoryGiB, maxConnections) => {
    const json = stacks.find(([name]) => name === `cachet-${env}`)![1];
    const alarms = resourceList(json, 'aws_cloudwatch_metric_alarm');
    expect(alarms.filter((a) => a.metric_name === 'FreeableMemory').map((a) => a.threshold)).toContain(memoryGiB * 2 ** 30 * 0.25);
    expect(alarms.filter((a) => a.metric_name === 'DatabaseConnections').map((a) => a.threshold)).toContain(Math.floor(maxConnections * 0.9));
  });

  it.each([
    ['dev', ['WRITER', 'READER']],
    ['prod', ['WRITER', 'READER']],
  ])('%s alarms by role, so the alarms follow the writer through a failover (AWS advice for Aurora)', (env, roles) => {
    const json = stacks.find(([name]) => name === `cachet-${env}`)![1];
    const rds = resourceList(json, 'aws_cloudwatch_metric_alarm').filter((a) => a.namespace === 'AWS/RDS');
    // GIVEN every database alarm THEN none names an instance, each names the cluster and a role
    expect(rds.filter((a) => 'DBInstanceIdentifier' in a.dimensions)).toEqual([]);
    expect([...new Set(rds.map((a) => a.dimensions.Role))].sort()).toEqual([...roles].sort());
    expect(rds.every((a) => /^\$\{aws_rds_cluster\.database_cluster_\w+\.cluster_identifier\}$/.test(a.dimensions.DBClusterIdentifier))).toBe(true);
    // AND the names say the role, not an instance
    expect(rds.map((a) => a.alarm_name).filter((n) => /reader-\d/.test(n))).toEqual([]);
  });

  it.each(['WRITER', 'READER'])('alarms on deadlocks that last five minutes on the %s', (role) => {
    const json = stacks.find(([name]) => name === 'cachet-prod')![1];
    const deadlocks = resourceList(json, 'aws_cloudwatch_metric_alarm').filter((a) => a.metric_name === 'Deadlocks' && a.dimensions?.Role === role);
    expect(deadlocks).toEqual([expect.objectContaining({ comparison_operator: 'GreaterThanThreshold', threshold: 0, evaluation_periods: 5, period: 60 })]);
  });

  it('watches the busiest reader and the worst replica lag among the readers', () => {
    const json = stacks.find(([name]) => name === 'cachet-prod')![1];
    const readers = resourceList(json, 'aws_cloudwatch_metric_alarm').filter((a) => a.dimensions?.Role === 'READER');
    expect(Object.fromEntries(readers.map((a) => [a.metric_name, a.statistic]))).toEqual({
      CPUUtilization: 'Maximum',
      Deadlocks: 'Maximum',
      FreeableMemory: 'Minimum',
      DatabaseConnections: 'Maximum',
      AuroraReplicaLag: 'Maximum',
    });
  });
});
