// The rolling-release drill, run for real (two builds of the service behind haproxy on loopback,
// health check and drain from the dev config), and its negative control.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEnvironments } from '../../config/load';
import { releaseTimings } from '../../stacks/web/release-timings';
import { buildRelease, formatReport, runDrill, type DrillReport } from '../../tools/drill';

const DRILL_TIMEOUT_MS = 240_000;
// Modest, bounded load: the suite shares two cores with the emulator gate.
const LOAD = { rate: 200, concurrency: 4, maxRequests: 50_000, maxSeconds: 180 } as const;

let builds: { v1: string; v2: string };

beforeAll(() => {
  builds = { v1: buildRelease('v1'), v2: buildRelease('v2') };
});

describe('the rolling-release drill', () => {
  let report: DrillReport;

  beforeAll(async () => {
    report = await runDrill({ env: 'dev', builds, ...LOAD });
    console.log(formatReport(report));
  }, DRILL_TIMEOUT_MS);

  it('drops zero requests', () => {
    expect({ non2xx: report.non2xx, connectionErrors: report.connectionErrors }, `connection errors by kind: ${JSON.stringify(report.errorKinds)}`).toEqual({
      non2xx: 0,
      connectionErrors: 0,
    });
  });

  it('sent a real load and saw both versions serve', () => {
    expect(report.requests).toBeGreaterThan(1000);
    expect(report.ok).toBe(report.requests);
    expect(Object.keys(report.versions).sort()).toEqual(['v1', 'v2']);
    expect(report.versions.v2).toBeGreaterThan(100);
  });

  it('used the health check and drain the target group is built from', () => {
    const [dev] = loadEnvironments(['dev']);
    expect(report.timings).toEqual({
      intervalSeconds: dev.webapp.healthCheck.intervalSeconds,
      healthyThreshold: dev.webapp.healthCheck.healthyThreshold,
      unhealthyThreshold: dev.webapp.healthCheck.unhealthyThreshold,
      drainSeconds: releaseTimings(dev.webapp).drainSeconds,
    });
  });
});

describe('the negative control (drain 0)', () => {
  it(
    'drops requests, so the drill can see what it claims to catch',
    async () => {
      const report = await runDrill({ env: 'dev', builds, negative: true, ...LOAD });
      console.log(formatReport(report));
      expect(report.non2xx + report.connectionErrors).toBeGreaterThan(0);
    },
    DRILL_TIMEOUT_MS,
  );
});
