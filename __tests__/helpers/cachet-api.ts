// A local HTTP server that holds Cachet 2.3's API contract, as its source defines it (v2.3.15:
// app/Http/Routes/ApiRoutes.php, the Component and Incident controllers and models,
// ApiAuthentication): reads need no token, writes need a valid X-Cachet-Token (else 401); an
// unknown id is 404; a write failing the model's rules is 400; answers are {"data": ...} and lists
// {"meta": {"pagination": ...}, "data": [...]}; errors are {"errors": [{"status", "title", "detail"}]}.
// It can be made to fail (5xx, or refuse connections) to test retries.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Component {
  id: number;
  name: string;
  status: number;
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

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

const isInt = (v: unknown) => Number.isInteger(typeof v === 'string' ? Number(v) : v);

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
    const body = write ? await readJson(req) : {};
    if (body === undefined) return error(res, 400, 'The request is invalid.');

    let match = /^\/api\/v1\/components\/(\d+)$/.exec(url.pathname);
    if (match) {
      const component = state.components.get(Number(match[1]));
      if (!component) return error(res, 404, 'The requested resource could not be found but may be available again in the future.');
      if (req.method === 'GET') return send(res, 200, { data: component });
      if (req.method !== 'PUT') return error(res, 405, 'Method not allowed.');
      if (body.status !== undefined && (!isInt(body.status) || Number(body.status) < 0 || Number(body.status) > 4))
        return error(res, 400, 'The request is invalid.');
      if (body.status !== undefined) component.status = Number(body.status);
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
      if (!body.name || !body.message || !isInt(body.status) || body.visible === undefined || (body.component_id !== undefined && !isInt(body.component_id))) {
        return error(res, 400, 'The request is invalid.');
      }
      const incident: Incident = {
        id: state.incidents.length + 1,
        name: String(body.name),
        message: String(body.message),
        status: Number(body.status),
        visible: Number(body.visible),
        component_id: Number(body.component_id ?? 0),
      };
      state.incidents.push(incident);
      const component = state.components.get(incident.component_id);
      if (component && isInt(body.component_status)) component.status = Number(body.component_status);
      return send(res, 200, { data: incident });
    }
    match = /^\/api\/v1\/incidents\/(\d+)$/.exec(url.pathname);
    if (match) {
      const incident = state.incidents.find((i) => i.id === Number(match![1]));
      if (!incident) return error(res, 404, 'The requested resource could not be found but may be available again in the future.');
      if (req.method !== 'PUT') return error(res, 405, 'Method not allowed.');
      if (body.status !== undefined && !isInt(body.status)) return error(res, 400, 'The request is invalid.');
      Object.assign(incident, {
        ...(body.name ? { name: String(body.name) } : {}),
        ...(body.message ? { message: String(body.message) } : {}),
        ...(body.status !== undefined ? { status: Number(body.status) } : {}),
      });
      const component = state.components.get(incident.component_id);
      if (component && isInt(body.component_status)) component.status = Number(body.component_status);
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
