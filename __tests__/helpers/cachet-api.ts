// A local HTTP server that holds Cachet 2.3's API contract, as its source defines it (v2.3.15:
// app/Http/Routes/ApiRoutes.php, the Component and Incident API controllers, the Update/Report
// command rules, ApiAuthentication, Laravel 5.2's Request and Validator): reads need no token,
// writes need a valid X-Cachet-Token (else 401); an unknown id is 404; answers are {"data": ...} and
// lists {"meta": {"pagination": ...}, "data": [...]}; errors are {"errors": [{"status", "title",
// "detail"}]}. Input is Laravel's: the query string, and a body only as Laravel reads it (JSON only
// with a JSON Content-Type, a form only url-encoded; anything else is not read, so its fields are
// absent); each write is validated with the command's rules (400 when they fail) after the
// controller's defaults (visible and notify true; a component's enabled true on every PUT). It can be
// made to fail (5xx) to test retries.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Component {
  id: number;
  name: string;
  status: number;
  /** @default true */
  enabled?: boolean;
}

export interface Incident {
  id: number;
  name: string;
  message: string;
  status: number;
  visible: number;
  component_id: number;
}

export interface CachetApi {
  readonly url: string;
  readonly components: Map<number, Component>;
  readonly incidents: Incident[];
  /** Every request: method, path with query, and whether its token was valid. */
  readonly requests: { method: string; path: string; authorized: boolean }[];
  /** Answer the next `count` requests with 503. */
  failNext(count: number): void;
  close(): Promise<void>;
}

const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 405: 'Method Not Allowed', 503: 'Service Unavailable' };

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, detail: string): void {
  send(res, status, { errors: [{ id: 'test', status, title: TITLES[status] ?? 'Error', detail }] });
}

/**
 * Laravel 5.2's `Request::input()`: the query string merged with the body as Laravel reads it. JSON
 * only when `isJson()` (a Content-Type with "/json" or "+json"; undecodable JSON gives no fields),
 * a url-encoded form, and nothing from any other body.
 */
async function readInput(req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const type = String(req.headers['content-type'] ?? '');
  let body: Record<string, unknown> = {};
  if (/\/json|\+json/.test(type)) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      // json_decode fails: Laravel's JSON bag is empty
    }
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    body = Object.fromEntries(new URLSearchParams(text));
  }
  return { ...Object.fromEntries(url.searchParams), ...body };
}

/** Validation rules of Cachet 2.3.15's commands, in Laravel's notation (app/Bus/Commands/...). */
export const RULES = {
  /** UpdateComponentCommand */
  updateComponent: { name: 'string', description: 'string', status: 'int|min:1|max:4', link: 'url', order: 'int', group_id: 'int', enabled: 'bool' },
  /** ReportIncidentCommand */
  reportIncident: {
    name: 'required|string',
    status: 'required|int|min:0|max:4',
    message: 'string',
    visible: 'bool',
    component_id: 'int|required_with:component_status',
    component_status: 'int|min:1|max:4|required_with:component_id',
    notify: 'bool',
    incident_date: 'string',
    template: 'string',
  },
  /** UpdateIncidentCommand */
  updateIncident: {
    name: 'string',
    status: 'int|min:0|max:4',
    message: 'string',
    visible: 'bool',
    component_id: 'int',
    component_status: 'int|min:1|max:4|required_with:component_id',
    notify: 'bool',
    template: 'string',
  },
} as const;

const present = (v: unknown) => v !== undefined && v !== null && v !== '';
/** PHP's filter_var(FILTER_VALIDATE_INT), which Laravel's integer rule uses. */
const isInt = (v: unknown) => (typeof v === 'number' && Number.isInteger(v)) || v === true || (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim()));

/** Laravel 5.2's Validator for the rules above: the first failing attribute, or undefined. */
export function validate(input: Record<string, unknown>, rules: Record<string, string>): string | undefined {
  for (const [attribute, spec] of Object.entries(rules)) {
    const value = input[attribute];
    for (const rule of spec.split('|')) {
      const [name, arg] = rule.split(':');
      if (name === 'required' && !present(value)) return attribute;
      if (name === 'required_with' && present(input[arg]) && !present(value)) return attribute;
      if (!present(value)) continue; // the other rules apply to what is there
      if (name === 'string' && typeof value !== 'string') return attribute;
      if (name === 'int' && !isInt(value)) return attribute;
      if (name === 'bool' && ![true, false, 0, 1, '0', '1'].includes(value as never)) return attribute;
      if (name === 'url' && !/^https?:\/\/\S+$/.test(String(value))) return attribute;
      if (name === 'min' && Number(value) < Number(arg)) return attribute;
      if (name === 'max' && Number(value) > Number(arg)) return attribute;
    }
  }
  return undefined;
}

export async function startCachetApi(token: string, components: Component[]): Promise<CachetApi> {
  const state = {
    components: new Map(components.map((c) => [c.id, { ...c }])),
    incidents: [] as Incident[],
    requests: [] as { method: string; path: string; authorized: boolean }[],
    failing: 0,
  };
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://cachet');
    const authorized = req.headers['x-cachet-token'] === token;
    state.requests.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, authorized });
    if (state.failing > 0) {
      state.failing--;
      return error(res, 503, 'Be right back.');
    }
    const write = req.method !== 'GET';
    if (write && !authorized) return error(res, 401, 'Authentication is required and has failed or has not yet been provided.');
    const body: Record<string, unknown> = write ? await readInput(req, url) : {};
    const invalid = (rules: Record<string, string>, input: Record<string, unknown>): boolean => {
      if (validate(input, rules) === undefined) return false;
      error(res, 400, 'The request is invalid.');
      return true;
    };

    let match = /^\/api\/v1\/components\/(\d+)$/.exec(url.pathname);
    if (match) {
      const component = state.components.get(Number(match[1]));
      if (!component) return error(res, 404, 'The requested resource could not be found but may be available again in the future.');
      if (req.method === 'GET') return send(res, 200, { data: component });
      if (req.method !== 'PUT') return error(res, 405, 'Method not allowed.');
      // putComponent passes (bool) Binput::get('enabled', true): a PUT without it enables the component.
      const input: Record<string, unknown> = { ...body, enabled: body.enabled ?? true };
      if (invalid(RULES.updateComponent, input)) return;
      if (present(input.status)) component.status = Number(input.status);
      component.enabled = [true, 1, '1'].includes(input.enabled as never);
      return send(res, 200, { data: component });
    }
    if (url.pathname === '/api/v1/incidents') {
      if (req.method === 'GET') {
        // Searchable fields filter by equality; sort=id&order=desc sorts newest first.
        let list = state.incidents.filter((i) =>
          ['id', 'component_id', 'name', 'status', 'visible'].every(
            (f) => !url.searchParams.has(f) || String(i[f as keyof Incident]) === url.searchParams.get(f),
          ),
        );
        if (url.searchParams.get('sort') === 'id' && url.searchParams.get('order') === 'desc') list = [...list].reverse();
        const perPage = Number(url.searchParams.get('per_page') ?? 20);
        return send(res, 200, {
          meta: { pagination: { total: list.length, count: Math.min(list.length, perPage), per_page: perPage, current_page: 1, total_pages: 1 } },
          data: list.slice(0, perPage),
        });
      }
      if (req.method !== 'POST') return error(res, 405, 'Method not allowed.');
      // postIncidents: Binput::get('visible', true), Binput::get('notify', true)
      const input: Record<string, unknown> = { ...body, visible: body.visible ?? true, notify: body.notify ?? true };
      if (invalid(RULES.reportIncident, input)) return;
      const incident: Incident = {
        id: state.incidents.length + 1,
        name: String(input.name),
        message: String(input.message ?? ''),
        status: Number(input.status),
        visible: [true, 1, '1'].includes(input.visible as never) ? 1 : 0,
        component_id: Number(input.component_id ?? 0),
      };
      state.incidents.push(incident);
      const component = state.components.get(incident.component_id);
      if (component && present(input.component_status)) component.status = Number(input.component_status);
      return send(res, 200, { data: incident });
    }
    match = /^\/api\/v1\/incidents\/(\d+)$/.exec(url.pathname);
    if (match) {
      const incident = state.incidents.find((i) => i.id === Number(match![1]));
      if (!incident) return error(res, 404, 'The requested resource could not be found but may be available again in the future.');
      if (req.method !== 'PUT') return error(res, 405, 'Method not allowed.');
      // putIncident: Binput::get('visible', true), Binput::get('notify', true)
      const input: Record<string, unknown> = { ...body, visible: body.visible ?? true, notify: body.notify ?? true };
      if (invalid(RULES.updateIncident, input)) return;
      Object.assign(incident, {
        ...(present(input.name) ? { name: String(input.name) } : {}),
        ...(present(input.message) ? { message: String(input.message) } : {}),
        ...(present(input.status) ? { status: Number(input.status) } : {}),
      });
      const component = state.components.get(Number(input.component_id ?? incident.component_id));
      if (component && present(input.component_status)) component.status = Number(input.component_status);
      return send(res, 200, { data: incident });
    }
    return error(res, 404, 'The requested resource could not be found but may be available again in the future.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    components: state.components,
    incidents: state.incidents,
    requests: state.requests,
    failNext: (count) => {
      state.failing = count;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
