import type { SystemDescriptor } from '../system';
import { WebStack, webStackName } from './web-stack';

/** The Go web app: an Auto Scaling group behind an ALB, released by its delivery pipeline. */
export const WEB_SYSTEM: SystemDescriptor = {
  title: 'Go web app',
  build: (app, config) => new WebStack(app, config),
  stackName: webStackName,
  docs: 'docs/web.md',
  verify: {
    urlOutput: 'app_url',
    frontOutput: 'alb_dns_name',
    health: { path: '/api/v1/health/ready', status: 'ready' },
    info: {
      path: '/api/v1/info',
      stringFields: ['service', 'version', 'commit', 'instance_id', 'availability_zone', 'server_time'],
      numberFields: ['uptime_seconds'],
      countFields: ['log_lines_dropped'],
      summary: { version: 'version', commit: 'commit', log_lines_dropped: 'log lines dropped' },
      instanceField: 'instance_id',
      desiredOutput: 'min_instances',
    },
  },
};
