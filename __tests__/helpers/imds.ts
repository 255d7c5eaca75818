// A stand-in for an instance's metadata service with IMDSv2's contract, as strict as EC2's: a token
// only from PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds between 1 and 21600
// (400 otherwise), every read only with a token it issued (401 otherwise), 404 for what it does not
// hold. It serves the few paths our scripts read.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Imds {
  /** `http://127.0.0.1:<port>`, to pass where a script takes its IMDS endpoint. */
  readonly endpoint: string;
  /** Every request as `METHOD path status`. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startImds(metadata: { readonly instanceId: string; readonly region: string }): Promise<Imds> {
  const tokens = new Set<string>();
  const requests: string[] = [];
  const paths: Record<string, string> = {
    '/latest/meta-data/instance-id': metadata.instanceId,
    '/latest/meta-data/placement/region': metadata.region,
  };
  const server: Server = createServer((req, res) => {
    const answer = (status: number, body = '') => {
      requests.push(`${req.method} ${req.url} ${status}`);
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body);
    };
    if (req.url === '/latest/api/token') {
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (req.method !== 'PUT') return answer(405);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return answer(400);
      const token = randomBytes(24).toString('base64');
      tokens.add(token);
      return answer(200, token);
    }
    if (req.method !== 'GET') return answer(405);
    if (!tokens.has(String(req.headers['x-aws-ec2-metadata-token'] ?? ''))) return answer(401);
    const value = paths[req.url ?? ''];
    return value === undefined ? answer(404) : answer(200, value);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
