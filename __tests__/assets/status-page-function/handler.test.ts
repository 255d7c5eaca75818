// The status-page function as Lambda runs it: its handler called by the Node release of the function's
// Lambda runtime (harness/lambda-node.ts) with an event shaped as
// EventBridge sends CloudWatch alarm state changes, its token read from the emulator's Secrets
// Manager and the alarms' current states from the emulator's CloudWatch (each event is preceded by
// the state change it reports, as in AWS), against a local server that holds Cachet 2.3's API
// contract (helpers/cachet-api.ts).
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand, SetAlarmStateCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { emulatorClientConfig, startEmulator, type Emulator } from '../../../harness/emulator';
import { LAMBDA_NODE, lambdaNodePath } from '../../../harness/lambda-node';
import { projectPath } from '../../../project';
import { startCachetApi, type CachetApi } from '../../helpers/cachet-api';

const FUNCTION_DIR = projectPath('assets', 'status-page-function');
const TOKEN = 'api-token-of-the-status-bot';
const ALARM = 'statuspage-dev-web-elb-5xx';
const LATENCY = 'statuspage-dev-web-target-p99';
const HOSTS = 'statuspage-dev-web-unhealthy-hosts';
/** Three alarms on one component: major outage with an incident, performance issues, partial outage. */
const COMPONENTS = {
  [ALARM]: { componentId: 1, status: 4, incident: 'Web app errors' },
  [LATENCY]: { componentId: 1, status: 2 },
  [HOSTS]: { componentId: 1, status: 3 },
};

/** AWS's example of the event (EventBridge, "CloudWatch Alarm State Change"), for one alarm and state. */
function alarmEvent(alarmName: string, value: StateValue, timestamp = '2026-11-23T18:00:00.000+0000') {
  const previous = value === 'ALARM' ? 'OK' : 'ALARM';
  return {
    version: '0',
    id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: '2026-11-23T18:00:00Z',
    region: 'eu-west-1',
    resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: {
        value,
        reason:
          value === 'ALARM'
            ? 'Threshold Crossed: 5 out of the last 5 datapoints were greater than the threshold (10.0).'
            : 'Threshold Crossed: no datapoints were breaching.',
        reasonData: '{"version":"1.0","queryDate":"2026-11-23T18:00:00.000+0000","statistic":"Sum","period":60,"threshold":10.0}',
        timestamp,
      },
      previousState: { value: previous, reason: '', timestamp: '2026-11-23T17:55:00.000+0000' },
      configuration: {
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: { namespace: 'AWS/ApplicationELB', name: 'HTTPCode_ELB_5XX_Count', dimensions: { LoadBalancer: 'app/x/1' } },
              period: 60,
              stat: 'Sum',
            },
            returnData: true,
          },
        ],
      },
    },
  };
}

let emulator: Emulator;
let cachet: CachetApi;
let cloudwatch: CloudWatchClient;
const secrets: Record<string, string> = {};

/** CloudWatch's format of a state change's time in the event: milliseconds and +0000. */
const eventTime = (date: Date) => date.toISOString().replace('Z', '+0000');

/** Moves the alarm to the state in CloudWatch and returns the event EventBridge sends for it. */
async function change(alarmName: string, value: StateValue) {
  await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: value, StateReason: `test: ${value}` }));
  const [alarm] = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }))).MetricAlarms!;
  return alarmEvent(alarmName, value, eventTime(alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp!));
}

beforeAll(async () => {
  emulator = await startEmulator();
  cloudwatch = new CloudWatchClient(emulatorClientConfig(emulator, 'eu-west-1'));
  for (const name of Object.keys(COMPONENTS)) {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'HTTPCode_ELB_5XX_Count',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 10,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
  }
  const client = new SecretsManagerClient(emulatorClientConfig(emulator, 'eu-west-1'));
  for (const [name, value] of [
    ['good', TOKEN],
    ['wrong', 'not-a-token'],
    ['blank', '  '],
  ]) {
    secrets[name] = (await client.send(new CreateSecretCommand({ Name: `cachet-api-token-${name}`, SecretString: value }))).ARN!;
  }
  // Created empty, as the stack creates it: no value until the operator puts one.
  secrets.unset = (await client.send(new CreateSecretCommand({ Name: 'cachet-api-token-unset' }))).ARN!;
}, 120_000);

afterAll(async () => {
  await cachet?.close();
  await emulator?.stop();
});

beforeEach(async () => {
  await cachet?.close();
  cachet = await startCachetApi(TOKEN, [{ id: 1, name: 'Web app', status: 1 }]);
  for (const name of Object.keys(COMPONENTS)) await change(name, 'OK');
});

const LAMBDA_NODE_BINARY = lambdaNodePath();

/** Runs the handler in a fresh process of Lambda's Node with Lambda's kind of environment; its result or its error. */
function invoke(
  event: unknown,
  env: Record<string, string> = {},
  functionDir = FUNCTION_DIR,
): Promise<{ ok: boolean; result?: Record<string, unknown>; error?: string }> {
  const script = `import('./index.mjs').then((m) => m.handler(${JSON.stringify(event)})).then((r) => process.stdout.write(JSON.stringify(r)), (e) => { process.stderr.write(e.message); process.exit(1); });`;
  return new Promise((resolve) =>
    execFile(
      LAMBDA_NODE_BINARY,
      ['--input-type=module', '-e', script],
      {
        cwd: functionDir,
        timeout: 120_000,
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_ENDPOINT_URL: emulator.endpoint,
          NODE_EXTRA_CA_CERTS: emulator.caBundle,
          CACHET_URL: cachet.url,
          TOKEN_SECRET_ARN: secrets.good,
          COMPONENTS: JSON.stringify(COMPONENTS),
          RETRY_BASE_MS: '50',
          ...env,
        },
      },
      (error, stdout, stderr) => resolve(error ? { ok: false, error: stderr || error.message } : { ok: true, result: JSON.parse(stdout) }),
    ),
  );
}

describe('the status-page function', () => {
  it("runs on the Node release of the function's Lambda runtime, not this machine's Node", () => {
    const version = execFileSync(LAMBDA_NODE_BINARY, ['--version'], { encoding: 'utf8' }).trim();
    expect(version).toBe(`v${LAMBDA_NODE.version}`);
    expect(LAMBDA_NODE.runtime).toBe(`nodejs${version.slice(1).split('.')[0]}.x`);
  });

  it('on ALARM sets the mapped component and opens one incident, with the token from Secrets Manager', async () => {
    // WHEN the elb-5xx alarm fires
    const { ok, result } = await invoke(await change(ALARM, 'ALARM'));
    // THEN the component shows a major outage and an incident is open for it
    expect(ok).toBe(true);
    expect(result).toMatchObject({ action: 'incident-opened', componentId: 1, status: 4 });
    expect(cachet.components.get(1)!.status).toBe(4);
    expect(cachet.incidents).toEqual([expect.objectContaining({ name: 'Web app errors', status: 1, visible: 1, component_id: 1 })]);
    expect(cachet.requests.filter((r) => r.method !== 'GET').every((r) => r.authorized)).toBe(true);
  });

  it('opens no second incident when the same ALARM arrives again (EventBridge and Lambda retry)', async () => {
    const event = await change(ALARM, 'ALARM');
    await invoke(event);
    const again = await invoke(event);
    expect(again.result).toMatchObject({ action: 'component', incidentId: 1 });
    expect(cachet.incidents).toHaveLength(1);
  });

  it('on OK sets the component back to operational and resolves the incident', async () => {
    await invoke(await change(ALARM, 'ALARM'));
    const { result } = await invoke(await change(ALARM, 'OK'));
    expect(result).toMatchObject({ action: 'incident-resolved', status: 1, incidentId: 1 });
    expect(cachet.components.get(1)!.status).toBe(1);
    expect(cachet.incidents[0].status).toBe(4);
  });

  it('sets only the component for an alarm mapped without an incident (performance issues)', async () => {
    const { result } = await invoke(await change(LATENCY, 'ALARM'));
    expect(result).toMatchObject({ action: 'component', status: 2 });
    expect(cachet.components.get(1)!.status).toBe(2);
    expect(cachet.incidents).toEqual([]);
  });

  it('shows the worst state of the three alarms on one component, whichever arrives last', async () => {
    // GIVEN the latency alarm (performance issues) and then the unhealthy-hosts alarm (partial outage)
    await invoke(await change(LATENCY, 'ALARM'));
    await invoke(await change(HOSTS, 'ALARM'));
    expect(cachet.components.get(1)!.status).toBe(3);
    // WHEN the 5xx alarm fires and the latency alarm then recovers
    await invoke(await change(ALARM, 'ALARM'));
    const { result } = await invoke(await change(LATENCY, 'OK'));
    // THEN the component shows the worst current state: major outage
    expect(result).toMatchObject({ action: 'component', status: 4 });
    expect(cachet.components.get(1)!.status).toBe(4);
  });

  it('keeps the outage shown when another alarm recovers during it (an OK of the latency alarm during a 5xx outage)', async () => {
    await invoke(await change(LATENCY, 'ALARM'));
    await invoke(await change(ALARM, 'ALARM'));
    const { result } = await invoke(await change(LATENCY, 'OK'));
    expect(result).toMatchObject({ status: 4 });
    expect(cachet.components.get(1)!.status).toBe(4);
    expect(cachet.incidents.map((i) => i.status)).toEqual([1]);
  });

  it('resolves the incident to the state the other alarms still show, not to operational', async () => {
    await invoke(await change(HOSTS, 'ALARM'));
    await invoke(await change(ALARM, 'ALARM'));
    const { result } = await invoke(await change(ALARM, 'OK'));
    expect(result).toMatchObject({ action: 'incident-resolved', status: 3 });
    expect(cachet.components.get(1)!.status).toBe(3);
    expect(cachet.incidents[0].status).toBe(4);
  });

  it("ignores a retried ALARM that arrives after a newer OK (older than the alarm's last state change)", async () => {
    // GIVEN an ALARM whose delivery fails, then the OK that follows it, delivered
    const late = await change(ALARM, 'ALARM');
    await new Promise((r) => setTimeout(r, 20));
    await invoke(await change(ALARM, 'OK'));
    // WHEN Lambda's retry delivers the old ALARM
    const { ok, result } = await invoke(late);
    // THEN it is ignored: the page stays operational and no incident opens
    expect(ok).toBe(true);
    expect(result).toMatchObject({ action: 'ignored', reason: expect.stringMatching(/^stale: .* changed to OK after this event's ALARM/) });
    expect(cachet.components.get(1)!.status).toBe(1);
    expect(cachet.incidents).toEqual([]);
  });

  it('takes an alarm in INSUFFICIENT_DATA out of the worst state and leaves its incident alone', async () => {
    await invoke(await change(HOSTS, 'ALARM'));
    await invoke(await change(ALARM, 'ALARM'));
    const { result } = await invoke(await change(ALARM, 'INSUFFICIENT_DATA'));
    expect(result).toMatchObject({ action: 'component', status: 3 });
    expect(cachet.components.get(1)!.status).toBe(3);
    expect(cachet.incidents.map((i) => i.status)).toEqual([1]);
  });

  it('fails loudly when CloudWatch has no alarm of a mapped name (so the event is retried and dead-lettered)', async () => {
    const { ok, error } = await invoke(alarmEvent('statuspage-dev-web-gone', 'ALARM'), {
      COMPONENTS: JSON.stringify({ ...COMPONENTS, 'statuspage-dev-web-gone': { componentId: 1, status: 4 } }),
    });
    expect(ok).toBe(false);
    expect(error).toMatch(/CloudWatch has no alarm statuspage-dev-web-gone/);
    expect(cachet.requests).toEqual([]);
  });

  it.each([
    ['an alarm no component is mapped to', alarmEvent('statuspage-dev-web-in-service', 'ALARM')],
    ['an event that is not an alarm state change', { ...alarmEvent(ALARM, 'ALARM'), source: 'aws.ec2' }],
  ])('changes nothing for %s', async (_, event) => {
    const { ok, result } = await invoke(event);
    expect(ok).toBe(true);
    expect(result!.action).toBe('ignored');
    expect(cachet.requests).toEqual([]);
  });

  it('retries while Cachet answers 503, and gets through', async () => {
    cachet.failNext(2);
    const { ok } = await invoke(await change(ALARM, 'ALARM'));
    expect(ok).toBe(true);
    expect(cachet.requests.filter((r) => r.method === 'PUT')).toHaveLength(3);
    expect(cachet.components.get(1)!.status).toBe(4);
  });

  it('fails the invocation when Cachet stays unavailable, so Lambda retries it and then dead-letters it', async () => {
    cachet.failNext(100);
    const { ok, error } = await invoke(await change(ALARM, 'ALARM'));
    expect(ok).toBe(false);
    expect(error).toMatch(/PUT \/components\/1: 503/);
    expect(cachet.requests).toHaveLength(3);
  });

  it('fails the invocation when Cachet is down (nothing listening)', async () => {
    await cachet.close();
    const { ok, error } = await invoke(await change(ALARM, 'ALARM'), { CACHET_URL: cachet.url });
    expect(ok).toBe(false);
    expect(error).toMatch(/PUT \/components\/1: ECONNREFUSED/);
  });

  it.each([
    ['a token Cachet refuses', 'wrong', /401, Cachet refused the API token in .*cachet-api-token-wrong.*: put a valid one there/],
    ['a blank token', 'blank', /the Cachet API token in .*cachet-api-token-blank.* is empty/],
    ['a secret with no value yet', 'unset', /the Cachet API token is not set yet: put a Cachet user's API token in .*cachet-api-token-unset/],
  ])('fails loudly with %s, naming the secret, and changes nothing', async (_, secret, error) => {
    const result = await invoke(await change(ALARM, 'ALARM'), { TOKEN_SECRET_ARN: secrets[secret] });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(error);
    expect(cachet.components.get(1)!.status).toBe(1);
    expect(cachet.requests.filter((r) => r.method !== 'GET' && r.authorized)).toEqual([]);
  });

  it('does not retry a refused token (it will not get better)', async () => {
    await invoke(await change(ALARM, 'ALARM'), { TOKEN_SECRET_ARN: secrets.wrong });
    expect(cachet.requests).toHaveLength(1);
  });
});

describe("the test Cachet API holds Cachet 2.3's contract", () => {
  const put = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${cachet.url}/api/v1${path}`, { method: 'PUT', headers: { 'X-Cachet-Token': TOKEN, ...headers }, body });

  it('reads no JSON body without a JSON Content-Type, as Laravel does: 200, and nothing changes', async () => {
    const answer = await put('/components/1', JSON.stringify({ status: 4 }), {});
    expect(answer.status).toBe(200);
    expect(cachet.components.get(1)!.status).toBe(1);
  });

  it.each([
    ['a JSON body with a JSON Content-Type', JSON.stringify({ status: 3 }), { 'Content-Type': 'application/json' }],
    ['a url-encoded form', 'status=3', { 'Content-Type': 'application/x-www-form-urlencoded' }],
  ])('reads %s', async (_case, body, headers) => {
    expect((await put('/components/1', body, headers)).status).toBe(200);
    expect(cachet.components.get(1)!.status).toBe(3);
  });

  it.each([0, 5, 'major', 2.5])('refuses component status %j (UpdateComponentCommand: int, min 1, max 4)', async (status) => {
    const answer = await put('/components/1', JSON.stringify({ status }), { 'Content-Type': 'application/json' });
    expect(answer.status).toBe(400);
    expect(cachet.components.get(1)!.status).toBe(1);
  });

  it("enables a component on every PUT that does not say otherwise (putComponent's default)", async () => {
    cachet.components.get(1)!.enabled = false;
    await put('/components/1', JSON.stringify({ status: 2 }), { 'Content-Type': 'application/json' });
    expect(cachet.components.get(1)!.enabled).toBe(true);
  });

  it.each([
    ['no name', { status: 1 }],
    ['a component without its status', { name: 'x', status: 1, component_id: 1 }],
    ['a component status without the component', { name: 'x', status: 1, component_status: 4 }],
    ['an incident status of 5', { name: 'x', status: 5 }],
  ])('refuses an incident with %s (ReportIncidentCommand)', async (_case, body) => {
    const answer = await fetch(`${cachet.url}/api/v1/incidents`, {
      method: 'POST',
      headers: { 'X-Cachet-Token': TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(answer.status).toBe(400);
    expect(cachet.incidents).toEqual([]);
  });

  it('catches a handler that sends its body without the JSON Content-Type: the component never changes', async () => {
    // GIVEN the function with the header taken out of its requests
    // (in the project, where the function's imports resolve as they do for the original)
    mkdirSync(projectPath('.cache'), { recursive: true });
    const dir = mkdtempSync(join(projectPath('.cache'), 'status-page-function-'));
    const source = readFileSync(join(FUNCTION_DIR, 'index.mjs'), 'utf8');
    const mutated = source.replace("...(body ? { 'Content-Type': 'application/json' } : {})", '');
    expect(mutated).not.toBe(source);
    writeFileSync(join(dir, 'index.mjs'), mutated);
    try {
      // WHEN the alarm fires THEN the function succeeds, Cachet answered its PUT, and the component stays
      // operational: the test on ALARM above fails for such a handler
      const { ok, error } = await invoke(await change(LATENCY, 'ALARM'), {}, dir);
      expect(ok, error).toBe(true);
      expect(cachet.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
      expect(cachet.components.get(1)!.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
