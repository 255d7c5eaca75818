// The release drill, run for real: two builds of the service behind haproxy set up as an ALB
// (keep-alive reuse to the servers, no retries), wrk's unpaced load, releases that replace every
// instance, and in the same run the negative controls (SIGKILL, a short drain), which must lose
// requests. The health check is the dev environment's at a 1 s clock (its drain derived by the
// stack's rule), so one bounded run holds three releases.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEnvironments } from '../../config/load';
import { releaseTimings } from '../../stacks/web/release-timings';
import { buildRelease, formatReport, haproxyConfig, parseWrk, runDrill, summarize, type DrillReport } from '../../tools/drill';

const DRILL = { env: 'dev', checkIntervalSeconds: 1, releases: 3, connections: 16, maxSeconds: 400 } as const;
const DRILL_TIMEOUT_MS = 480_000;

describe('the release drill at full rate, with its negative controls in the same run', () => {
  let report: DrillReport;

  beforeAll(async () => {
    const builds = { v1: buildRelease('v1'), v2: buildRelease('v2') };
    report = await runDrill({ ...DRILL, builds });
    console.log(formatReport(report));
  }, DRILL_TIMEOUT_MS);

  it('loses no request in any release', () => {
    const releases = report.phases.filter((p) => !p.control);
    expect(releases).toHaveLength(DRILL.releases);
    for (const p of releases)
      expect({ phase: p.name, failed: p.failed, client: p.clientKinds, balancer: p.balancerKinds, events: p.events }).toMatchObject({ failed: 0 });
  });

  it.each(['control: SIGKILL, no drain', 'control: drain 0.5 s'])('%s loses requests, so the drill can see a drop', (name) => {
    const control = report.phases.find((p) => p.name === name)!;
    expect(control.failed).toBeGreaterThan(0);
  });

  it('ran unpaced, far above a gentle rate, on every phase', () => {
    expect(report.rateCap).toBeUndefined();
    // A release takes about 13 s: 20,000 requests is over 1,500 a second on the busiest machine
    // (the paced drill this replaced sent 200); an idle one runs at 20-40k a second.
    const tooFew = report.phases.filter((p) => p.requests <= (p.control ? 5_000 : 20_000)).map((p) => `${p.name}: ${p.requests}`);
    expect(tooFew).toEqual([]);
  });

  it('saw both versions serve', () => {
    expect(report.versions.v1).toBeGreaterThan(1000);
    expect(report.versions.v2).toBeGreaterThan(1000);
    expect(report.problems).toEqual([]);
  });

  it("used the dev health check's thresholds at a 1 s clock, with the drain derived by the stack's rule", () => {
    const [dev] = loadEnvironments(['dev']);
    const scale = 1 / dev.webapp.healthCheck.intervalSeconds;
    const check = { ...dev.webapp.healthCheck, intervalSeconds: 1, timeoutSeconds: dev.webapp.healthCheck.timeoutSeconds * scale };
    expect(report.timings).toEqual({ ...check, drainSeconds: releaseTimings({ ...dev.webapp, healthCheck: check }).drainSeconds, shortDrainSeconds: 0.5 });
  });
});

describe('the drill, piece by piece', () => {
  it('sets up haproxy as an ALB: keep-alive reused across clients, no retries, the health check given', () => {
    const config = haproxyConfig({
      frontendPort: 8000,
      socket: '/tmp/s',
      slots: [8001, 8002, 8003, 8004],
      check: { path: '/api/v1/health/ready', intervalSeconds: 1, timeoutSeconds: 0.4, healthyThreshold: 2, unhealthyThreshold: 3 },
    });
    expect(config).toMatch(/^ {2}option http-keep-alive$/m);
    expect(config).toMatch(/^ {2}http-reuse always$/m);
    expect(config).toMatch(/^ {2}retries 0$/m);
    expect(config).toMatch(/^ {2}timeout check 400ms$/m);
    expect(config).toMatch(/^ {2}option httpchk GET \/api\/v1\/health\/ready$/m);
    expect(config).toMatch(/^ {2}default-server check inter 1000ms fastinter 1000ms downinter 1000ms rise 2 fall 3$/m);
    expect(config.match(/^ {2}server s\d .*$/gm)).toEqual([
      '  server s1 127.0.0.1:8001',
      '  server s2 127.0.0.1:8002',
      '  server s3 127.0.0.1:8003 disabled',
      '  server s4 127.0.0.1:8004 disabled',
    ]);
  });

  it.each([
    [
      'errors of every kind',
      '  1153741 requests in 40.01s, 395.21MB read\n  Socket errors: connect 2, read 14, write 1, timeout 3\n  Non-2xx or 3xx responses: 12401\nRequests/sec:  28835.78\n',
      { requests: 1153741, seconds: 40.01, kinds: { 'non-2xx': 12401, connect: 2, read: 14, write: 1, timeout: 3 } },
    ],
    [
      'a clean run',
      '  9000 requests in 500.00ms, 3.1MB read\nRequests/sec:  18000.00\n',
      { requests: 9000, seconds: 0.5, kinds: { 'non-2xx': 0, connect: 0, read: 0, write: 0, timeout: 0 } },
    ],
  ])("reads wrk's summary: %s", (_, text, want) => {
    expect(parseWrk(text)).toEqual(want);
  });

  it('refuses a wrk output without a summary', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/wrk printed no summary/);
  });

  it('summarizes runs per connection count, failures per run as a range', () => {
    const phase = (name: string, control: boolean, requests: number, failed: number) => ({
      name,
      control,
      requests,
      failed,
      clientKinds: {},
      balancerKinds: {},
      seconds: 1,
      rate: requests,
      events: [],
      failuresByServer: {},
    });
    const run = (connections: number, releaseFailed: number): DrillReport => ({
      env: 'dev',
      connections,
      phases: [phase('release 1: v1 -> v2', false, 1000, releaseFailed), phase('control: SIGKILL, no drain', true, 100, 40)],
      versions: { v1: 1, v2: 1 },
      timings: { path: '/h', intervalSeconds: 1, timeoutSeconds: 0.4, healthyThreshold: 2, unhealthyThreshold: 2, drainSeconds: 4.4, shortDrainSeconds: 0.5 },
      problems: releaseFailed ? ['lost'] : [],
    });
    const rows = summarize([run(16, 0), run(64, 3), run(16, 0), run(64, 0)]).filter((l) => /^\| \d/.test(l));
    expect(rows).toEqual(['| 16 | 2 | 2,000 | 0 (0-0) | 200 | 80 (40-40) | 2 of 2 |', '| 64 | 2 | 2,000 | 3 (0-3) | 200 | 80 (40-40) | 1 of 2 |']);
  });
});
