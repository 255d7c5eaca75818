// `npm run tfc:upload`: HCP Terraform's API-driven run workflow, against a stand-in that holds the
// API's contract (bearer token, JSON:API bodies and media type, the workspace by organization and
// name, a configuration version whose upload URL takes an application/octet-stream .tar.gz, its
// status once processed). Run from a copy of this tree whose dev environment keeps its state in
// HCP Terraform; the upload is then unpacked and validated by Terraform, with every file the
// configuration names present: nothing synthesized had to be committed.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackCertificate } from '../../harness/emulator';
import { offlineTerraformEnv, terraform, type Json } from '../../harness/offline-terraform';
import { tokenVariable } from '../../tools/tfc';
import { runProcess } from '../helpers/process';
import { commitWorkingTree } from '../helpers/repository';

const ROOT = resolve(__dirname, '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const TOKEN = 'stand-in-token.atlasv1.0123456789';
const ORGANIZATION = 'example-org';
const WORKSPACE = 'statuspage-web-dev';

interface Version {
  id: string;
  attributes: Json;
  archive?: Buffer;
}

/** HCP Terraform's API, as much of it as the workflow uses, refusing what the API refuses. */
class StandIn {
  readonly versions: Version[] = [];
  readonly refused: string[] = [];
  server!: Server;
  port = 0;
  private readonly tls = loopbackCertificate();

  get caBundle(): string {
    return this.tls.caBundle;
  }

  async start(): Promise<void> {
    this.server = createServer({ cert: readFileSync(this.tls.cert), key: readFileSync(this.tls.key) }, (req, res) => {
      this.handle(req).then(
        ({ status, body }) => {
          res.writeHead(status, { 'Content-Type': 'application/vnd.api+json' });
          res.end(body === undefined ? '' : JSON.stringify(body));
        },
        (error: Error) => {
          res.writeHead(500);
          res.end(error.message);
        },
      );
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  private refuse(status: number, why: string) {
    this.refused.push(why);
    return { status, body: { errors: [{ status: String(status), title: why }] } };
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body?: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = req.url ?? '';
    const upload = /^\/object\/([\w-]+)$/.exec(url);
    if (upload) {
      // The upload URL is pre-signed: no token, the archive as the body.
      const version = this.versions.find((v) => v.id === upload[1]);
      if (!version || req.method !== 'PUT') return this.refuse(404, 'no such upload');
      if (req.headers['content-type'] !== 'application/octet-stream') return this.refuse(400, `upload content type ${req.headers['content-type']}`);
      if (body[0] !== 0x1f || body[1] !== 0x8b) return this.refuse(422, 'the upload is not gzip');
      version.archive = body;
      version.attributes.status = 'uploaded';
      return { status: 200 };
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return this.refuse(401, 'unauthorized');
    if (req.headers['content-type'] !== 'application/vnd.api+json') return this.refuse(415, `content type ${req.headers['content-type']}`);
    if (req.method === 'GET' && url === `/api/v2/organizations/${ORGANIZATION}/workspaces/${WORKSPACE}`) {
      return { status: 200, body: { data: { id: 'ws-standin0000001', type: 'workspaces', attributes: { name: WORKSPACE, 'working-directory': null } } } };
    }
    if (req.method === 'GET' && /^\/api\/v2\/organizations\/[^/]+\/workspaces\/[^/]+$/.test(url)) return this.refuse(404, 'not found');
    if (req.method === 'POST' && url === '/api/v2/workspaces/ws-standin0000001/configuration-versions') {
      const payload = JSON.parse(body.toString());
      if (payload?.data?.type !== 'configuration-versions') return this.refuse(422, 'data.type must be configuration-versions');
      const id = `cv-${randomUUID().slice(0, 16)}`;
      const attributes = { ...payload.data.attributes, status: 'pending', 'upload-url': `https://127.0.0.1:${this.port}/object/${id}` };
      this.versions.push({ id, attributes });
      return { status: 201, body: { data: { id, type: 'configuration-versions', attributes } } };
    }
    const shown = /^\/api\/v2\/configuration-versions\/([\w-]+)$/.exec(url);
    if (req.method === 'GET' && shown) {
      const version = this.versions.find((v) => v.id === shown[1]);
      return version
        ? { status: 200, body: { data: { id: version.id, type: 'configuration-versions', attributes: version.attributes } } }
        : this.refuse(404, 'not found');
    }
    return this.refuse(404, `${req.method} ${url}`);
  }
}

let stand: StandIn;
let copy: string;

beforeAll(async () => {
  stand = new StandIn();
  await stand.start();
  // GIVEN a copy of this tree whose dev environment keeps its state in HCP Terraform (the stand-in)
  const dev = readFileSync(join(ROOT, 'environments', 'dev.yaml'), 'utf8');
  const cloud = `state:\n  backend: cloud\n  organization: ${ORGANIZATION}\n  workspacePrefix: statuspage-\n  hostname: 127.0.0.1:${stand.port}\n`;
  copy = commitWorkingTree({ 'environments/dev.yaml': `${dev}${cloud}` });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
}, 120_000);

afterAll(() => stand?.server.close());

const upload = (args: string[], env: Record<string, string> = { TF_API_TOKEN: TOKEN }) =>
  runProcess(process.execPath, ['--import', TSX, join(copy, 'tools', 'tfc.ts'), ...args], {
    cwd: copy,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, NODE_EXTRA_CA_CERTS: stand.caBundle, ...env },
    timeout: 600_000,
  });

describe('npm run tfc:upload', () => {
  let result: Awaited<ReturnType<typeof upload>>;
  beforeAll(async () => {
    // WHEN web-dev is uploaded
    result = await upload(['web-dev']);
  }, 600_000);

  it('uploads one configuration version that queues a run, and says where', () => {
    expect(stand.refused).toEqual([]);
    expect(result.status).toBe(0);
    expect(stand.versions).toHaveLength(1);
    expect(stand.versions[0].attributes).toMatchObject({ 'auto-queue-runs': true, speculative: false, status: 'uploaded' });
    expect(result.stdout).toMatch(new RegExp(`queued: https://127\\.0\\.0\\.1:${stand.port}/app/${ORGANIZATION}/workspaces/${WORKSPACE}/runs`));
  });

  it('uploads a configuration Terraform validates, with every file it names, and nothing of a local run', async () => {
    // THEN the archive unpacks into the stack's folder: its JSON with the cloud block naming the workspace
    const dir = mkdtempSync(join(tmpdir(), 'tfc-archive-'));
    writeFileSync(join(dir, '..', `${WORKSPACE}.tar.gz`), stand.versions[0].archive!);
    execFileSync('tar', ['-xzf', join(dir, '..', `${WORKSPACE}.tar.gz`), '-C', dir]);
    const json = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8'));
    expect(json.terraform.cloud).toMatchObject({ organization: ORGANIZATION, workspaces: { name: WORKSPACE } });
    const named = [...JSON.stringify(json.resource).matchAll(/"source":"([^"$]+)"/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((file) => !existsSync(join(dir, file)))).toEqual([]);
    expect(execFileSync('tar', ['-tzf', join(dir, '..', `${WORKSPACE}.tar.gz`)], { encoding: 'utf8' })).not.toMatch(/\.terraform\/|\.tfstate|\.tfplan/);
    const env = offlineTerraformEnv();
    await terraform(dir, env, ['init', '-backend=false', '-input=false', '-no-color']);
    expect(JSON.parse(await terraform(dir, env, ['validate', '-json', '-no-color']))).toMatchObject({ valid: true, error_count: 0 });
  }, 300_000);

  it('asks for a plan-only run with --speculative', async () => {
    expect((await upload(['web-dev', '--speculative'])).status).toBe(0);
    expect(stand.versions.at(-1)!.attributes).toMatchObject({ speculative: true, status: 'uploaded' });
  }, 600_000);

  it.each([
    ['no token', ['web-dev'], {}, /no token: set TF_API_TOKEN \(or TF_TOKEN_127_0_0_1:\d+\)/],
    ['a stack of an environment with local state', ['web-staging'], { TF_API_TOKEN: TOKEN }, /state\.backend local; set state: \{ backend: cloud/],
    ['an unknown stack', ['db-dev'], { TF_API_TOKEN: TOKEN }, /unknown stack "db-dev"/],
  ])('refuses %s (exit 2), uploading nothing', async (_what, args, env, message) => {
    const before = stand.versions.length;
    const refused = await upload(args, env as Record<string, string>);
    expect(refused.stderr).toMatch(message);
    expect(refused.status).toBe(2);
    expect(stand.versions).toHaveLength(before);
  });

  it('fails (exit 1) when HCP Terraform refuses the token, uploading nothing', async () => {
    const before = stand.versions.length;
    const refused = await upload(['web-dev'], { TF_API_TOKEN: 'not-the-token' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/HTTP 401/);
    expect(stand.versions).toHaveLength(before);
    stand.refused.length = 0;
  });

  it("names Terraform's token variable for a host", () => {
    expect(tokenVariable('app.terraform.io')).toBe('TF_TOKEN_app_terraform_io');
    expect(tokenVariable('tfe.my-company.example')).toBe('TF_TOKEN_tfe_my__company_example');
  });
});
