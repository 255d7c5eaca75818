// A strict evaluator of a synthesized web ACL's own rules, for tests: rules in priority order, the
// first whose statement matches decides (block or allow), else the default action. It models the
// statements and transformations our rules use, as AWS WAF documents them, and throws on anything
// else. AWS managed rule groups are AWS's: they are taken as matching nothing here.
import { cidrContains, parseCidr } from '../../constructs/cidr';
import { resources, type Json } from './synth';

export interface WafRequest {
  /** The request's URI path as sent, undecoded. */
  readonly path: string;
  readonly sourceIp: string;
}

/** AWS WAF text transformations our rules use (docs: "Text transformation options"). */
const TRANSFORMATIONS: Record<string, (s: string) => string> = {
  URL_DECODE: (s) => s.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
  // Removes multiple slashes, self-references and back-references that are not at the start.
  NORMALIZE_PATH: (s) => {
    const out: string[] = [];
    for (const [i, part] of s.split(/\/+/).entries()) {
      if (part === '.' && i > 0) continue;
      if (part === '..' && out.length > 1) out.pop();
      else out.push(part);
    }
    return out.join('/');
  },
  LOWERCASE: (s) => s.toLowerCase(),
};

function transform(value: string, steps: Json[]): string {
  return [...steps]
    .sort((a, b) => a.priority - b.priority)
    .reduce((v, t) => {
      const f = TRANSFORMATIONS[t.type];
      if (!f) throw new Error(`waf evaluator: text transformation ${t.type} is not modelled`);
      return f(v);
    }, value);
}

function ipSetAddresses(json: Json, reference: string): string[] {
  const name = /^\$\{aws_wafv2_ip_set\.([\w-]+)\.arn\}$/.exec(reference)?.[1];
  const set = name && resources(json, 'aws_wafv2_ip_set')[name];
  if (!set) throw new Error(`waf evaluator: ${reference} names no IP set of this stack`);
  return set.addresses;
}

/** A Terraform block may be written as an object or a list of one. */
const blocks = (b: Json): Json[] => (Array.isArray(b) ? b : [b]);

function matches(json: Json, statement: Json, request: WafRequest): boolean {
  const kinds = Object.keys(statement);
  if (kinds.length !== 1) throw new Error(`waf evaluator: a statement has ${kinds.length} kinds (${kinds.join(', ')}); it needs exactly one`);
  const body = statement[kinds[0]];
  switch (kinds[0]) {
    case 'and_statement':
      return blocks(body.statement).every((s) => matches(json, s, request));
    case 'not_statement': {
      const [inner, ...more] = blocks(body.statement);
      if (more.length) throw new Error('waf evaluator: not_statement takes one statement');
      return !matches(json, inner, request);
    }
    case 'byte_match_statement': {
      if (Object.keys(body.field_to_match).join() !== 'uri_path')
        throw new Error(`waf evaluator: field ${JSON.stringify(body.field_to_match)} is not modelled`);
      const value = transform(request.path, blocks(body.text_transformation));
      const wanted: string = body.search_string;
      switch (body.positional_constraint) {
        case 'STARTS_WITH':
          return value.startsWith(wanted);
        case 'EXACTLY':
          return value === wanted;
        case 'CONTAINS':
          return value.includes(wanted);
        default:
          throw new Error(`waf evaluator: positional constraint ${body.positional_constraint} is not modelled`);
      }
    }
    case 'ip_set_reference_statement': {
      const source = parseCidr(`${request.sourceIp}/32`);
      if ('error' in source) throw new Error(`waf evaluator: source ${request.sourceIp}: ${source.error}`);
      return ipSetAddresses(json, body.arn).some((block) => {
        const parsed = parseCidr(block);
        if ('error' in parsed) throw new Error(`waf evaluator: IP set address ${block}: ${parsed.error}`);
        return cidrContains(parsed, source);
      });
    }
    case 'managed_rule_group_statement':
      return false;
    default:
      throw new Error(`waf evaluator: statement kind ${kinds[0]} is not modelled`);
  }
}

/** What the stack's only web ACL does with a request: `block` or `allow`. */
export function wafAction(json: Json, request: WafRequest): 'block' | 'allow' {
  const acls = Object.values(resources(json, 'aws_wafv2_web_acl'));
  if (acls.length !== 1) throw new Error(`waf evaluator: the stack has ${acls.length} web ACLs; it needs exactly one`);
  const [acl] = acls;
  for (const rule of [...blocks(acl.rule)].sort((a, b) => a.priority - b.priority)) {
    if (!matches(json, rule.statement, request)) continue;
    if (rule.action?.block) return 'block';
    if (rule.action?.allow) return 'allow';
    throw new Error(`waf evaluator: rule ${rule.name} matched with an action that is not modelled`);
  }
  if (acl.default_action.block) return 'block';
  return 'allow';
}
