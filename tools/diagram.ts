// `npm run diagram [-- --env dev,prod] [--out DIR]`: draws each stack's architecture from its
// synthesized JSON (no AWS calls): the VPC, subnets by tier and AZ, NAT gateways, the load
// balancer, the Beanstalk environment or Auto Scaling group, the database instances, and the
// security group rules as edges labelled with their ports. Writes <stack>.dot, <stack>.svg
// (Graphviz `dot`) and <stack>.mmd (the same graph as Mermaid) into docs/diagrams/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadEnvironments, selectEnvironments } from '../config/load';
import { parseCommandLine, runMain, stringValue } from '../cli';
import { synthesizeAll, type Json } from '../harness/offline-terraform';

const ROOT = resolve(__dirname, '..');
export const DIAGRAM_DIR = join(ROOT, 'docs', 'diagrams');

export type NodeKind = 'internet' | 'cidr' | 'subnet' | 'nat' | 'load-balancer' | 'instances' | 'database' | 'server';

export interface GraphNode {
  readonly id: string;
  readonly label: string;
  readonly kind: NodeKind;
  /** Cluster the node sits in: `public`, `application` or `data` (inside the VPC), or none. */
  readonly tier?: string;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** Ports the rules allow, e.g. `tcp 80, 443`. */
  readonly label: string;
}

export interface Graph {
  readonly stack: string;
  readonly vpcLabel: string;
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
}

const TIERS = ['public', 'application', 'data'] as const;

/** The resource types the diagram draws: the VPC and its subnets, and the hops a request takes, as nodes; the ingress rules as edges. */
export const DRAWN_TYPES: readonly string[] = [
  'aws_vpc',
  'aws_subnet',
  'aws_nat_gateway',
  'aws_lb',
  'aws_autoscaling_group',
  'aws_elastic_beanstalk_environment',
  'aws_rds_cluster_instance',
  'aws_instance',
  'aws_vpc_security_group_ingress_rule',
];

/**
 * Every other resource type of the systems' stacks, with why the picture leaves it out. The diagram
 * fails on a type in neither list (fail closed): a new component is drawn, or said here not to be.
 */
export const LEFT_OUT_TYPES: Readonly<Record<string, string>> = {
  aws_launch_template: "read for the Auto Scaling group's security groups",
  aws_rds_cluster: "read for its instances' security groups; each instance is drawn",
  aws_security_group: "drawn as its members and the rules' edges",
  aws_default_security_group: 'holds no rule: nothing uses it',
  aws_vpc_security_group_egress_rule: "the return side of the ingress edges (each group's egress mirrors its peer's ingress)",
  aws_route: 'routing, drawn as the NAT gateways and the internet node',
  aws_route_table: 'routing, drawn as the NAT gateways and the internet node',
  aws_route_table_association: 'routing, drawn as the NAT gateways and the internet node',
  aws_internet_gateway: 'the internet node stands for it',
  aws_eip: "a NAT gateway's address",
  aws_vpc_endpoint: 'the S3 gateway endpoint: a route, not a hop a request of the system takes',
  aws_flow_log: 'records the traffic; not a hop',
  aws_db_subnet_group: 'placement of the database instances, drawn in the data subnets',
  aws_rds_cluster_parameter_group: 'database settings',
  aws_lb_listener: 'part of the load balancer',
  aws_lb_listener_rule: 'part of the load balancer',
  aws_lb_target_group: 'part of the load balancer',
  aws_lb_target_group_attachment: 'part of the load balancer',
  aws_wafv2_ip_set: 'a filter on the load balancer, not a hop',
  aws_wafv2_web_acl: 'a filter on the load balancer, not a hop',
  aws_wafv2_web_acl_association: 'a filter on the load balancer, not a hop',
  aws_wafv2_web_acl_logging_configuration: 'a filter on the load balancer, not a hop',
  aws_acm_certificate: "the load balancer's certificate",
  aws_acm_certificate_validation: "the load balancer's certificate",
  aws_route53_record: 'DNS names of the load balancer',
  aws_autoscaling_policy: "scaling of the group drawn; the node shows the group's bounds",
  aws_elastic_beanstalk_application: 'holds the environment drawn',
  aws_elastic_beanstalk_application_version: 'a release of the environment drawn',
  aws_iam_role: 'identity, not network',
  aws_iam_role_policy: 'identity, not network',
  aws_iam_role_policy_attachment: 'identity, not network',
  aws_iam_instance_profile: 'identity, not network',
  aws_kms_key: 'encryption at rest, not network',
  aws_kms_alias: 'encryption at rest, not network',
  aws_secretsmanager_secret: 'a secret, read through the AWS API',
  aws_secretsmanager_secret_rotation: 'a secret, read through the AWS API',
  aws_secretsmanager_secret_version: 'a secret, read through the AWS API',
  aws_serverlessapplicationrepository_cloudformation_stack: "the secret's rotation function, outside the request path",
  aws_lambda_function: 'runs beside the request path (rotation, status updates), in a drawn group or none',
  aws_lambda_permission: 'runs beside the request path (rotation, status updates), in a drawn group or none',
  aws_s3_bucket: 'storage reached through the AWS API (releases, logs, artifacts)',
  aws_s3_bucket_lifecycle_configuration: 'storage reached through the AWS API',
  aws_s3_bucket_notification: 'storage reached through the AWS API',
  aws_s3_bucket_ownership_controls: 'storage reached through the AWS API',
  aws_s3_bucket_policy: 'storage reached through the AWS API',
  aws_s3_bucket_public_access_block: 'storage reached through the AWS API',
  aws_s3_bucket_server_side_encryption_configuration: 'storage reached through the AWS API',
  aws_s3_bucket_versioning: 'storage reached through the AWS API',
  aws_s3_object: 'storage reached through the AWS API',
  aws_ecr_repository: 'the container image registry, read at deploy',
  aws_ecr_lifecycle_policy: 'the container image registry, read at deploy',
  aws_cloudwatch_dashboard: 'monitoring',
  aws_cloudwatch_event_rule: 'monitoring and delivery events',
  aws_cloudwatch_event_target: 'monitoring and delivery events',
  aws_cloudwatch_log_group: 'monitoring',
  aws_cloudwatch_metric_alarm: 'monitoring',
  aws_sns_topic: 'alerting',
  aws_sns_topic_policy: 'alerting',
  aws_sns_topic_subscription: 'alerting',
  aws_sqs_queue: "the status page function's dead letters",
  aws_sqs_queue_policy: "the status page function's dead letters",
  aws_codebuild_project: 'delivery, outside the request path',
  aws_codebuild_webhook: 'delivery, outside the request path',
  aws_codecommit_repository: 'delivery, outside the request path',
  aws_codecommit_approval_rule_template: 'delivery, outside the request path',
  aws_codecommit_approval_rule_template_association: 'delivery, outside the request path',
  aws_codeconnections_connection: 'delivery, outside the request path',
  aws_codepipeline: 'delivery, outside the request path',
};

/** Fails on a resource type the diagram neither draws nor leaves out with a reason. */
function checkKnownTypes(stack: string, json: Json): void {
  const unknown = Object.keys(json.resource ?? {}).filter((type) => !DRAWN_TYPES.includes(type) && !(type in LEFT_OUT_TYPES));
  if (unknown.length > 0) {
    throw new Error(
      `${stack}: tools/diagram.ts does not know ${unknown.join(', ')}; draw it in stackGraph (DRAWN_TYPES) or say in LEFT_OUT_TYPES why the picture leaves it out`,
    );
  }
}

/** `${aws_x.name.attr}` or `aws_x.name.attr` -> `aws_x.name`. */
function address(reference: unknown): string | undefined {
  return /(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)/.exec(String(reference ?? ''))?.[1];
}

function entries(json: Json, type: string): [string, Json][] {
  return Object.entries<Json>(json.resource?.[type] ?? {}).map(([name, body]) => [`${type}.${name}`, body]);
}

/** The architecture of one synthesized stack, as nodes and port-labelled edges. */
export function stackGraph(stack: string, json: Json): Graph {
  checkKnownTypes(stack, json);
  const nodes: GraphNode[] = [];
  const members = new Map<string, string[]>(); // security group address -> node ids
  const addMember = (sg: unknown, node: string) => {
    const a = address(sg);
    if (a) members.set(a, [...(members.get(a) ?? []), node]);
  };
  const subnetTier = new Map<string, { tier: string; az: string }>();

  const [vpc] = entries(json, 'aws_vpc');
  for (const [addr, s] of entries(json, 'aws_subnet')) {
    const tier = s.tags?.Tier ?? 'public';
    subnetTier.set(addr, { tier, az: s.availability_zone });
    nodes.push({ id: addr, label: `${tier} ${s.availability_zone}\\n${s.cidr_block}`, kind: 'subnet', tier });
  }
  for (const [addr, nat] of entries(json, 'aws_nat_gateway')) {
    const at = subnetTier.get(address(nat.subnet_id) ?? '');
    nodes.push({ id: addr, label: `NAT gateway${at ? ` ${at.az}` : ''}`, kind: 'nat', tier: at?.tier ?? 'public' });
  }
  for (const [addr, lb] of entries(json, 'aws_lb')) {
    nodes.push({ id: addr, label: `Application Load Balancer\\n${lb.name ?? ''}`.trim(), kind: 'load-balancer', tier: 'public' });
    for (const sg of lb.security_groups ?? []) addMember(sg, addr);
  }
  const templates = new Map(entries(json, 'aws_launch_template'));
  for (const [addr, group] of entries(json, 'aws_autoscaling_group')) {
    nodes.push({ id: addr, label: `Auto Scaling group\\n${group.min_size}-${group.max_size} instances`, kind: 'instances', tier: 'application' });
    const template = templates.get(address(group.launch_template?.id) ?? '');
    for (const sg of template?.network_interfaces?.[0]?.security_groups ?? template?.vpc_security_group_ids ?? []) addMember(sg, addr);
  }
  for (const [addr, env] of entries(json, 'aws_elastic_beanstalk_environment')) {
    const settings: Json[] = env.setting ?? [];
    const value = (namespace: string, name: string) => settings.find((s) => s.namespace === namespace && s.name === name)?.value;
    const lbId = `${addr}#load-balancer`;
    nodes.push({ id: lbId, label: 'Application Load Balancer\\n(Beanstalk)', kind: 'load-balancer', tier: 'public' });
    nodes.push({
      id: addr,
      label: `Beanstalk environment\\n${value('aws:autoscaling:asg', 'MinSize') ?? '?'}-${value('aws:autoscaling:asg', 'MaxSize') ?? '?'} instances`,
      kind: 'instances',
      tier: 'application',
    });
    addMember(value('aws:elbv2:loadbalancer', 'SecurityGroups'), lbId);
    addMember(value('aws:autoscaling:launchconfiguration', 'SecurityGroups'), addr);
  }
  const clusters = new Map(entries(json, 'aws_rds_cluster'));
  for (const [addr, instance] of entries(json, 'aws_rds_cluster_instance')) {
    nodes.push({ id: addr, label: `Aurora MySQL instance\\n${instance.availability_zone ?? ''}`.trim(), kind: 'database', tier: 'data' });
    for (const sg of clusters.get(address(instance.cluster_identifier) ?? '')?.vpc_security_group_ids ?? []) addMember(sg, addr);
  }
  for (const [addr, server] of entries(json, 'aws_instance')) {
    nodes.push({
      id: addr,
      label: `EC2 ${server.tags?.Name ?? 'instance'}`,
      kind: 'server',
      tier: subnetTier.get(address(server.subnet_id) ?? '')?.tier ?? 'public',
    });
    for (const sg of server.vpc_security_group_ids ?? []) addMember(sg, addr);
  }

  // Edges: one per (source, destination), the ports of every rule between them.
  const ports = new Map<string, Set<string>>();
  const sourceNode = (cidr: string) => {
    const id = cidr === '0.0.0.0/0' || cidr === '::/0' ? 'internet' : `cidr:${cidr}`;
    if (!nodes.some((n) => n.id === id)) nodes.push({ id, label: id === 'internet' ? 'internet' : cidr, kind: id === 'internet' ? 'internet' : 'cidr' });
    return id;
  };
  // Fail closed: a rule on a group the diagram draws nothing for would vanish from the picture.
  const drawn = (sg: unknown, rule: string) => {
    const group = address(sg) ?? String(sg);
    const found = members.get(group);
    if (!found) throw new Error(`${stack}: ${rule} names ${group}, which no component the diagram knows uses; teach tools/diagram.ts its resource type`);
    return found;
  };
  for (const [ruleAddress, rule] of entries(json, 'aws_vpc_security_group_ingress_rule')) {
    const to = drawn(rule.security_group_id, ruleAddress);
    const from = rule.referenced_security_group_id ? drawn(rule.referenced_security_group_id, ruleAddress) : [sourceNode(rule.cidr_ipv4 ?? rule.cidr_ipv6)];
    const portText = rule.from_port === rule.to_port ? `${rule.from_port}` : `${rule.from_port}-${rule.to_port}`;
    for (const f of from)
      for (const t of to) {
        const key = `${f}\u0000${t}\u0000${rule.ip_protocol}`;
        ports.set(key, new Set([...(ports.get(key) ?? []), portText]));
      }
  }
  const edges = [...ports].map(([key, set]) => {
    const [from, to, protocol] = key.split('\u0000');
    return { from, to, label: `${protocol} ${[...set].sort((a, b) => parseInt(a) - parseInt(b)).join(', ')}` };
  });
  return {
    stack,
    vpcLabel: vpc ? `VPC ${vpc[1].cidr_block}` : 'VPC',
    nodes,
    edges: edges.sort((a, b) => `${a.from}${a.to}`.localeCompare(`${b.from}${b.to}`)),
  };
}

const SHAPES: Record<NodeKind, { dot: string; mermaid: [string, string] }> = {
  internet: { dot: 'shape=ellipse, style=dashed', mermaid: ['((', '))'] },
  cidr: { dot: 'shape=ellipse, style=dashed', mermaid: ['((', '))'] },
  subnet: { dot: 'shape=box, style="rounded,filled", fillcolor="#f4f4f4"', mermaid: ['[', ']'] },
  nat: { dot: 'shape=box', mermaid: ['[', ']'] },
  'load-balancer': { dot: 'shape=box, style=filled, fillcolor="#dbe9ff"', mermaid: ['[/', '/]'] },
  instances: { dot: 'shape=box3d, style=filled, fillcolor="#e3f5e1"', mermaid: ['[[', ']]'] },
  server: { dot: 'shape=box3d', mermaid: ['[[', ']]'] },
  database: { dot: 'shape=cylinder, style=filled, fillcolor="#fff1d6"', mermaid: ['[(', ')]'] },
};

/** Short, stable ids for output formats (addresses hold characters neither accepts everywhere). */
function ids(graph: Graph): Map<string, string> {
  return new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
}

export function toDot(graph: Graph): string {
  const id = ids(graph);
  const node = (n: GraphNode, indent: string) => `${indent}${id.get(n.id)} [label="${n.label}", ${SHAPES[n.kind].dot}];`;
  const lines = [`digraph "${graph.stack}" {`, '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=10];', '  edge [fontname="Helvetica", fontsize=9];'];
  for (const n of graph.nodes.filter((x) => !x.tier)) lines.push(node(n, '  '));
  lines.push('  subgraph cluster_vpc {', `    label="${graph.vpcLabel}";`);
  for (const tier of TIERS) {
    const inTier = graph.nodes.filter((n) => n.tier === tier);
    if (inTier.length === 0) continue;
    lines.push(`    subgraph cluster_${tier} {`, `      label="${tier} subnets";`, ...inTier.map((n) => node(n, '      ')), '    }');
  }
  lines.push('  }');
  for (const e of graph.edges) lines.push(`  ${id.get(e.from)} -> ${id.get(e.to)} [label="${e.label}"];`);
  lines.push('}', '');
  return lines.join('\n');
}

export function toMermaid(graph: Graph): string {
  const id = ids(graph);
  const text = (label: string) => `"${label.replace(/\\n/g, '<br/>').replace(/"/g, '#quot;')}"`;
  const node = (n: GraphNode, indent: string) => `${indent}${id.get(n.id)}${SHAPES[n.kind].mermaid[0]}${text(n.label)}${SHAPES[n.kind].mermaid[1]}`;
  const lines = ['flowchart LR'];
  for (const n of graph.nodes.filter((x) => !x.tier)) lines.push(node(n, '  '));
  lines.push(`  subgraph vpc[${text(graph.vpcLabel)}]`);
  for (const tier of TIERS) {
    const inTier = graph.nodes.filter((n) => n.tier === tier);
    if (inTier.length === 0) continue;
    lines.push(`    subgraph ${tier}[${text(`${tier} subnets`)}]`, ...inTier.map((n) => node(n, '      ')), '    end');
  }
  lines.push('  end');
  for (const e of graph.edges) lines.push(`  ${id.get(e.from)} -- ${text(e.label)} --> ${id.get(e.to)}`);
  return lines.join('\n') + '\n';
}

/** Renders DOT to SVG with Graphviz; fails loudly when `dot` is missing. */
export function renderSvg(dot: string): string {
  const r = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('dot (Graphviz) is missing; apt-get install -y graphviz');
  if (r.status !== 0) throw new Error(`dot -Tsvg failed:\n${r.stderr}`);
  return r.stdout;
}

/** Synthesizes the environments and writes each stack's .dot, .svg and .mmd; returns the files. */
export function writeDiagrams(names: readonly string[], outDir = DIAGRAM_DIR): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const stack of synthesizeAll(loadEnvironments(names))) {
    const graph = stackGraph(stack.name, JSON.parse(readFileSync(join(stack.dir, 'cdk.tf.json'), 'utf8')));
    const dot = toDot(graph);
    for (const [ext, content] of [
      ['dot', dot],
      ['svg', renderSvg(dot)],
      ['mmd', toMermaid(graph)],
    ] as const) {
      const file = join(outDir, `${stack.name}.${ext}`);
      writeFileSync(file, content);
      written.push(file);
    }
  }
  return written.sort();
}

const USAGE = `usage: npm run diagram [-- --env NAMES] [--out DIR]

Draws every stack of the selected environments (default: $DEPLOY_ENV, else every environment) as
DOT, Mermaid and SVG, into docs/diagrams/ (tracked files: review the diff) or DIR.
  --env NAMES  environments, comma-separated
  --out DIR    where to write (default: docs/diagrams)
  -h, --help   this text, and nothing else`;

if (require.main === module) {
  const args = parseCommandLine(USAGE, { options: { env: { type: 'string' }, out: { type: 'string' } } });
  const out = resolve(stringValue(args, 'out') ?? DIAGRAM_DIR);
  runMain(
    'diagram',
    () => {
      const files = writeDiagrams(selectEnvironments(stringValue(args, 'env'), process.env), out);
      console.log(files.map((f) => `wrote ${f}`).join('\n'));
    },
    [ConfigError],
  );
}
