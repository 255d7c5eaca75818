import { describe, expect, it } from 'vitest';
import { releaseTimings } from '../../../stacks/web/release-timings';
import { config } from '../../helpers/synth';

describe('releaseTimings', () => {
  it('derives drain, deregistration delay and stop timeout from the health check', () => {
    const webapp = config('staging', {
      webapp: {
        healthCheck: { intervalSeconds: 10, timeoutSeconds: 5, unhealthyThreshold: 3, healthyThreshold: 2 },
        drainMarginSeconds: 5,
        shutdownTimeoutSeconds: 20,
      },
    }).webapp;
    expect(releaseTimings(webapp)).toEqual({
      detectionSeconds: 35,
      drainSeconds: 40,
      deregistrationDelaySeconds: 40,
      shutdownTimeoutSeconds: 20,
      stopTimeoutSeconds: 70,
      healthySeconds: 20,
    });
  });

  it('keeps serving at least until the balancer can have seen the target fail', () => {
    const t = releaseTimings(config('dev').webapp);
    expect(t.drainSeconds).toBeGreaterThanOrEqual(t.detectionSeconds);
    expect(t.deregistrationDelaySeconds).toBe(t.drainSeconds);
    expect(t.stopTimeoutSeconds).toBeGreaterThan(t.drainSeconds + t.shutdownTimeoutSeconds);
  });

  it('refuses a health check timeout that is not below the interval', () => {
    expect(() => config('dev', { webapp: { healthCheck: { intervalSeconds: 5, timeoutSeconds: 5 } } })).toThrow(
      /webapp\.healthCheck\.timeoutSeconds: 5 must be below intervalSeconds \(5\)/,
    );
  });
});
