import type { SystemDescriptor } from '../system';
import { CACHET_READINESS_PATH } from './cachet-beanstalk';
import { CachetStack, cachetStackName } from './cachet-stack';

/** The Cachet status page: Aurora MySQL and Cachet on Elastic Beanstalk behind its load balancer. */
export const CACHET_SYSTEM: SystemDescriptor = {
  title: 'Cachet status page',
  build: (app, config) => new CachetStack(app, config),
  stackName: cachetStackName,
  docs: 'docs/cachet.md',
  verify: {
    urlOutput: 'status_page_url',
    frontOutput: 'beanstalk_cname',
    health: { path: CACHET_READINESS_PATH, status: 'ok', meaning: 'Cachet queried its database' },
    closedDatabase: { endpointOutput: 'database_writer_endpoint', portOutput: 'database_port' },
  },
};
