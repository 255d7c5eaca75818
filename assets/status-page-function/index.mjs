// Keeps Cachet's components in step with the web app's CloudWatch alarms. EventBridge invokes it
// (asynchronously) with each "CloudWatch Alarm State Change" of the alarms named in COMPONENTS.
// The event only says which component to look at: the function asks CloudWatch for the current
// state of every alarm mapped to that component and sets it to the worst of them (operational
// when none is in ALARM), so an OK of one alarm during another's ALARM keeps the outage shown. An
// event older than its alarm's last state change (a retry that arrives after a newer change) is
// ignored. The event's own alarm opens its incident when in ALARM (if mapped with one) and resolves
// it when OK; INSUFFICIENT_DATA leaves incidents alone. Cachet 2.3's API: PUT
// /api/v1/components/{id}, GET/POST /api/v1/incidents, PUT /api/v1/incidents/{id}, with the token
// of a Cachet user in X-Cachet-Token, read from Secrets Manager on each invocation.
//
// Transient failures (network, 5xx, 429) are retried here with backoff; anything still failing is
// thrown, so Lambda retries the event twice more and then sends it to the dead-letter queue: an
// event is never dropped silently. Environment:
//   CACHET_URL        https://status.example.com
//   TOKEN_SECRET_ARN  the secret holding the API token (plain text)
//   COMPONENTS        {"<alarm name>": {"componentId": 1, "status": 4, "incident": "Web app errors"}}
//   ATTEMPTS          tries per API call (default 3); RETRY_BASE_MS first backoff (default 500)
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export const OPERATIONAL = 1;
/** Cachet's incident statuses: 1 investigating, 2 identified, 3 watching, 4 fixed. */
const INVESTIGATING = 1;
const FIXED = 4;

/** A failure the event should be retried for (and then dead-lettered). */
export class StatusPageError extends Error {}

function settings(env = process.env) {
  const missing = ['CACHET_URL', 'TOKEN_SECRET_ARN', 'COMPONENTS'].filter((name) => !env[name]);
  if (missing.length) throw new StatusPageError(`missing environment: ${missing.join(', ')}`);
  return {
    url: env.CACHET_URL.replace(/\/+$/, ''),
    secretArn: env.TOKEN_SECRET_ARN,
    components: JSON.parse(env.COMPONENTS),
    attempts: Number(env.ATTEMPTS ?? 3),
    retryBaseMs: Number(env.RETRY_BASE_MS ?? 500),
  };
}

async function apiToken(secretArn) {
  let answer;
  try {
    answer = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
  } catch (error) {
    if (error.name === 'ResourceNotFoundException') {
      throw new StatusPageError(`the Cachet API token is not set yet: put a Cachet user's API token in ${secretArn} (aws secretsmanager put-secret-value)`);
    }
    throw error;
  }
  const token = (answer.SecretString ?? '').trim();
  if (!token) throw new StatusPageError(`the Cachet API token in ${secretArn} is empty: put a Cachet user's API token there`);
  return token;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One API call, retried on network errors, 5xx and 429; a 401 names the secret to fix. */
async function call(s, token, method, path, body) {
  let last;
  for (let attempt = 1; attempt <= s.attempts; attempt++) {
    if (attempt > 1) await sleep(s.retryBaseMs * 2 ** (attempt - 2));
    let response;
    try {
      response = await fetch(`${s.url}/api/v1${path}`, {
        method,
        headers: { 'X-Cachet-Token': token, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(5000),
      });
    } catch (error) {
      last = new StatusPageError(`${method} ${path}: ${error.cause?.code ?? error.message}`);
      continue;
    }
    const text = await response.text();
    if (response.ok) return text ? JSON.parse(text) : {};
    if (response.status === 401) throw new StatusPageError(`${method} ${path}: 401, Cachet refused the API token in ${s.secretArn}: put a valid one there`);
    last = new StatusPageError(`${method} ${path}: ${response.status} ${text.slice(0, 200)}`);
    if (response.status < 500 && response.status !== 429) throw last;
  }
  throw last;
}

async function openIncident(s, token, mapping, name) {
  const page = await call(s, token, 'GET', `/incidents?component_id=${mapping.componentId}&sort=id&order=desc&per_page=50`);
  return (page.data ?? []).find((incident) => incident.name === name && incident.status >= INVESTIGATING && incident.status < FIXED);
}

/** When the alarm last changed state: StateTransitionedTimestamp (StateUpdatedTimestamp also moves when only the evaluation state does). */
export function lastTransition(alarm) {
  return alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
}

/** The current state of every alarm mapped to the component, by name, from CloudWatch. */
async function currentAlarms(s, componentId) {
  const names = Object.keys(s.components).filter((name) => s.components[name].componentId === componentId);
  const answer = await new CloudWatchClient({}).send(
    new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 }),
  );
  return new Map([...(answer.MetricAlarms ?? []), ...(answer.CompositeAlarms ?? [])].map((a) => [a.AlarmName, a]));
}

/** The component's status: the worst status of its alarms in ALARM, operational when none is. */
export function worstStatus(components, alarms) {
  let status = OPERATIONAL;
  for (const [name, alarm] of alarms) {
    if (alarm.StateValue === 'ALARM') status = Math.max(status, components[name]?.status ?? OPERATIONAL);
  }
  return status;
}

/** The Lambda handler: one EventBridge event, one alarm state change. */
export async function handler(event, env = process.env) {
  if (event?.source !== 'aws.cloudwatch' || event['detail-type'] !== 'CloudWatch Alarm State Change') {
    return { action: 'ignored', reason: 'not a CloudWatch alarm state change' };
  }
  const s = settings(env);
  const alarm = event.detail.alarmName;
  const mapping = s.components[alarm];
  if (!mapping) return { action: 'ignored', reason: `no component for ${alarm}` };

  const alarms = await currentAlarms(s, mapping.componentId);
  const current = alarms.get(alarm);
  if (!current) throw new StatusPageError(`CloudWatch has no alarm ${alarm}: COMPONENTS names an alarm that does not exist`);
  const changed = Date.parse(event.detail.state?.timestamp ?? '');
  if (!(changed >= lastTransition(current).getTime())) {
    return { action: 'ignored', reason: `stale: ${alarm} changed to ${current.StateValue} after this event's ${event.detail.state?.value}` };
  }
  const state = current.StateValue;

  const token = await apiToken(s.secretArn);
  const status = worstStatus(s.components, alarms);
  await call(s, token, 'PUT', `/components/${mapping.componentId}`, { status });
  if (!mapping.incident || (state !== 'ALARM' && state !== 'OK')) return { action: 'component', componentId: mapping.componentId, status };

  const existing = await openIncident(s, token, mapping, mapping.incident);
  const reason = event.detail.state.reason ?? '';
  if (state === 'ALARM') {
    if (existing) return { action: 'component', componentId: mapping.componentId, status, incidentId: existing.id };
    const created = await call(s, token, 'POST', '/incidents', {
      name: mapping.incident,
      message: `We are investigating: ${reason}`,
      status: INVESTIGATING,
      visible: 1,
      component_id: mapping.componentId,
      component_status: status,
      notify: true,
    });
    return { action: 'incident-opened', componentId: mapping.componentId, status, incidentId: created.data.id };
  }
  if (!existing) return { action: 'component', componentId: mapping.componentId, status };
  await call(s, token, 'PUT', `/incidents/${existing.id}`, {
    name: existing.name,
    message: `Resolved: ${reason}`,
    status: FIXED,
    visible: 1,
    component_id: mapping.componentId,
    component_status: status,
  });
  return { action: 'incident-resolved', componentId: mapping.componentId, status, incidentId: existing.id };
}
