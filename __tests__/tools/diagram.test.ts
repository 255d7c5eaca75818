// The architecture diagrams, asserted on the graph itself (nodes and port-labelled edges from the
// synthesized security group rules), not on pixels.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { type EnvironmentConfig } from '../../config/schema';
import { MYSQL_PORT } from '../../constructs/aurora-mysql-cluster';
import { CACHET_INSTANCE_PORT } from '../../stacks/cachet/cachet-beanstalk';
import { DRAWN_TYPES, LEFT_OUT_TYPES, renderSvg, stackGraph, toDot, toMermaid, type Graph } from '../../tools/diagram';
import { DEPLOY_SERVICES } from '../../stacks/pipeline/deploy-permissions';
import { CachetStack } from '../../stacks/cachet/cachet-stack';
import { WebStack } from '../../stacks/web/web-stack';
import { config, WITH_JENKINS, type Json } from '../helpers/synth';
import { environmentNames } from '../../config/load';

const ENVIRONMENTS = environmentNames();

const cachetGraph = (c: EnvironmentConfig) => stackGraph(`cachet-${c.name}`, JSON.parse(Testing.synth(new CachetStack(Testing.app(), c))));
const webGraph = (c: EnvironmentConfig) => stackGraph(`web-${c.name}`, JSON.parse(Testing.synth(new WebStack(Testing.app(), c))));
/** The example environments' stacks, synthesized once, and their graphs. */
const graphsJson: Record<string, Json> = Object.fromEntries(
  ENVIRONMENTS.flatMap((n) => [
    [`cachet-${n}`, JSON.parse(Testing.synth(new CachetStack(Testing.app(), config(n))))],
    [`web-${n}`, JSON.parse(Testing.synth(new WebStack(Testing.app(), config(n))))],
  ]),
);
const graphs: Record<string, Graph> = Object.fromEntries(Object.entries(graphsJson).map(([stack, json]) => [stack, stackGraph(stack, json)]));

/** Edges as `from-label -> to-label: ports`, with node labels instead of ids. */
function edges(graph: Graph): string[] {
  const label = (id: string) => graph.nodes.find((n) => n.id === id)!.label.split('\\n')[0];
  return graph.edges.map((e) => `${label(e.from)} -> ${label(e.to)}: ${e.label}`).sort();
}

const kinds = (graph: Graph, kind: string) => graph.nodes.filter((n) => n.kind === kind);

describe.each(ENVIRONMENTS)('the cachet-%s diagram', (name) => {
  const c = config(name);
  const graph = graphs[`cachet-${name}`];
  const azs = c.network.availabilityZones.length;

  it('draws every subnet in its tier, with its AZ and CIDR', () => {
    const subnets = kinds(graph, 'subnet')
      .map((n) => `${n.tier} ${n.label.replace('\\n', ' ')}`)
      .sort();
    const expected = c.network.availabilityZones
      .flatMap((az, i) => [
        `public public ${az} ${c.network.publicSubnetCidrs[i]}`,
        `application application ${az} ${c.network.applicationSubnetCidrs[i]}`,
        `data data ${az} ${c.network.dataSubnetCidrs[i]}`,
      ])
      .sort();
    expect(subnets).toEqual(expected);
    expect(graph.vpcLabel).toBe(`VPC ${c.network.vpcCidr}`);
  });

  it('draws the NAT gateways, the load balancer, the Beanstalk environment and one database node per instance', () => {
    expect(kinds(graph, 'nat')).toHaveLength(c.network.natGateways === 'single' ? 1 : azs);
    expect(kinds(graph, 'load-balancer').map((n) => n.tier)).toEqual(['public']);
    expect(kinds(graph, 'instances').map((n) => n.tier)).toEqual(['application']);
    expect(kinds(graph, 'database').map((n) => n.tier)).toEqual(Array(c.database.readerCount + 1).fill('data'));
  });

  it('labels the security group edges with their ports: the internet reaches only the load balancer, the database only the web tier', () => {
    expect(edges(graph)).toEqual(
      [
        'internet -> Application Load Balancer: tcp 80, 443',
        `Application Load Balancer -> Beanstalk environment: tcp ${CACHET_INSTANCE_PORT}`,
        ...Array(c.database.readerCount + 1).fill(`Beanstalk environment -> Aurora MySQL instance: tcp ${MYSQL_PORT}`),
      ].sort(),
    );
  });
});

describe('the cachet diagram with SSH', () => {
  it('draws the operator address reaching the instances on 22, and nothing else new', () => {
    const graph = cachetGraph(config('staging', { cachet: { ssh: { operatorCidr: '203.0.113.7/32' } } }));
    expect(edges(graph)).toContain('203.0.113.7/32 -> Beanstalk environment: tcp 22');
    expect(edges(graph).filter((e) => e.includes('tcp 22'))).toHaveLength(1);
  });
});

describe.each(ENVIRONMENTS)('the web-%s diagram', (name) => {
  const c = config(name);
  const graph = graphs[`web-${name}`];

  it('draws the ALB in the public subnets and the Auto Scaling group in the application subnets', () => {
    expect(kinds(graph, 'subnet')).toHaveLength(3 * c.webapp.network.availabilityZones.length);
    expect(kinds(graph, 'load-balancer').map((n) => `${n.tier} ${n.label}`)).toEqual([`public Application Load Balancer\\n${c.project}-${name}-web`]);
    expect(kinds(graph, 'instances').map((n) => `${n.tier} ${n.label}`)).toEqual([
      `application Auto Scaling group\\n${c.webapp.minInstances}-${c.webapp.maxInstances} instances`,
    ]);
  });

  it('labels the edges: internet to the ALB on 80 and 443, the ALB to the instances on the app port', () => {
    expect(edges(graph)).toEqual(['Application Load Balancer -> Auto Scaling group: tcp 8080', 'internet -> Application Load Balancer: tcp 80, 443']);
  });
});

describe('the web diagram with Jenkins', () => {
  it("draws the webhook and office blocks reaching Jenkins' load balancer, and only the load balancer reaching Jenkins", () => {
    const graph = webGraph(config('dev', WITH_JENKINS));
    expect(edges(graph)).toEqual(
      expect.arrayContaining([
        '192.30.252.0/22 -> Application Load Balancer: tcp 80, 443',
        '203.0.113.0/24 -> Application Load Balancer: tcp 80, 443',
        'Application Load Balancer -> EC2 statuspage-dev-web-jenkins: tcp 8080',
      ]),
    );
    expect(edges(graph).filter((e) => e.endsWith(': tcp 8080') && e.includes('jenkins') && !e.startsWith('Application Load Balancer'))).toEqual([]);
    expect(kinds(graph, 'server').map((n) => n.tier)).toEqual(['application']);
    expect(kinds(graph, 'load-balancer').map((n) => n.label)).toContain('Application Load Balancer\\nstatuspage-dev-web-ci');
  });
});

describe('diagram formats', () => {
  const graph = graphs['cachet-dev'];

  it('writes the same edges to DOT and Mermaid', () => {
    const dot = toDot(graph);
    const mermaid = toMermaid(graph);
    expect(dot.match(/ -> n\d+ \[label="tcp [^"]+"\]/g)).toHaveLength(graph.edges.length);
    expect(mermaid.match(/ -- "tcp [^"]+" --> n\d+/g)).toHaveLength(graph.edges.length);
    expect(mermaid).toContain(`-- "tcp ${MYSQL_PORT}" -->`);
    expect(dot).toContain('subgraph cluster_data {');
  });

  it('renders SVG with Graphviz', () => {
    const svg = renderSvg(toDot(graph));
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg /);
    expect(svg).toContain('Aurora MySQL instance');
    expect(svg).toContain(`tcp ${MYSQL_PORT}`);
  });
});

describe('docs/diagrams', () => {
  it.each(Object.keys(graphs))('holds the current DOT and Mermaid of %s (npm run diagram refreshes them)', (stack) => {
    const file = (ext: string) => readFileSync(join(resolve(__dirname, '../../docs/diagrams'), `${stack}.${ext}`), 'utf8');
    expect(file('dot')).toBe(toDot(graphs[stack]));
    expect(file('mmd')).toBe(toMermaid(graphs[stack]));
  });
});

describe('the README', () => {
  const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
  it.each(['cachet-prod', 'web-prod'])('embeds the current Mermaid diagram of %s (npm run diagram refreshes it)', (stack) => {
    const file = toMermaid(graphs[stack]);
    expect(readme).toContain(`<!-- diagram: ${stack} -->\n\`\`\`mermaid\n${file}\`\`\``);
  });
});

describe('stackGraph on a component it does not know', () => {
  it('refuses a resource type it neither draws nor leaves out, naming it and the fix (fails closed)', () => {
    // GIVEN a cache the diagram has no drawing for
    const json = { resource: { aws_elasticache_cluster: { cache: {} } } };
    // THEN drawing it stops, rather than leaving the cache out of the picture
    expect(() => stackGraph('x', json)).toThrow(/x: tools\/diagram\.ts does not know aws_elasticache_cluster; draw it .* or say in LEFT_OUT_TYPES why/);
  });

  it('refuses a rule on a group no drawn component uses, naming the rule and the fix (fails closed)', () => {
    // GIVEN a function the diagram leaves out, reachable on 443 through its own group
    const json = {
      resource: {
        aws_security_group: { fn: {} },
        aws_lambda_function: { fn: { vpc_config: { security_group_ids: ['${aws_security_group.fn.id}'] } } },
        aws_vpc_security_group_ingress_rule: {
          'fn-in': { security_group_id: '${aws_security_group.fn.id}', cidr_ipv4: '10.0.0.0/16', from_port: 443, to_port: 443, ip_protocol: 'tcp' },
        },
      },
    };
    // THEN drawing it stops, rather than leaving the rule out of the picture
    expect(() => stackGraph('x', json)).toThrow(/aws_vpc_security_group_ingress_rule\.fn-in names aws_security_group\.fn, .*teach tools\/diagram\.ts/);
  });

  it('knows every resource type the stacks can hold: each type of the deploy table (which covers every variant), and those of the shipped stacks', () => {
    const types = new Set([...Object.keys(DEPLOY_SERVICES), ...Object.values(graphsJson).flatMap((j) => Object.keys(j.resource))]);
    expect([...types].filter((t) => !DRAWN_TYPES.includes(t) && !(t in LEFT_OUT_TYPES))).toEqual([]);
  });

  it('neither draws and leaves out the same type', () => {
    expect(DRAWN_TYPES.filter((t) => t in LEFT_OUT_TYPES)).toEqual([]);
  });
});
