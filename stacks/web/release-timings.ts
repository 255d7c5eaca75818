/**
 * The timings of a release, all derived from the health check so they cannot disagree: the target
 * group's deregistration delay, the service's drain period (DRAIN_PERIOD), systemd's stop timeout,
 * and the instance warmup.
 */
export interface ReleaseTimings {
  /** Seconds until a balancer that only learns from health checks has marked a target unhealthy. */
  readonly detectionSeconds: number;
  /** Seconds the service keeps serving after SIGTERM with readiness failing (DRAIN_PERIOD). */
  readonly drainSeconds: number;
  /** The target group's deregistration delay: the same drain. */
  readonly deregistrationDelaySeconds: number;
  /** Seconds in-flight requests get after the drain (SHUTDOWN_TIMEOUT). */
  readonly shutdownTimeoutSeconds: number;
  /** systemd TimeoutStopSec: above drain + shutdown, so the service is never SIGKILLed while draining. */
  readonly stopTimeoutSeconds: number;
  /** Seconds a new target needs to pass the healthy threshold. */
  readonly healthySeconds: number;
}

/** What the timings derive from: the target group's health check, a margin and the shutdown timeout. */
export interface ReleaseTimingsInput {
  readonly healthCheck: {
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
  };
  /** Seconds the service keeps serving beyond what the balancer needs to see it unhealthy. */
  readonly drainMarginSeconds: number;
  /** Seconds in-flight requests get after the drain. */
  readonly shutdownTimeoutSeconds: number;
}

export function releaseTimings(webapp: ReleaseTimingsInput): ReleaseTimings {
  const hc = webapp.healthCheck;
  const detectionSeconds = hc.unhealthyThreshold * hc.intervalSeconds + hc.timeoutSeconds;
  const drainSeconds = detectionSeconds + webapp.drainMarginSeconds;
  return {
    detectionSeconds,
    drainSeconds,
    deregistrationDelaySeconds: drainSeconds,
    shutdownTimeoutSeconds: webapp.shutdownTimeoutSeconds,
    stopTimeoutSeconds: drainSeconds + webapp.shutdownTimeoutSeconds + 10,
    healthySeconds: hc.healthyThreshold * hc.intervalSeconds,
  };
}
