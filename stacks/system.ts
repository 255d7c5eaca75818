// What a system (a product this repository runs: the status page, the web app) contributes, declared
// once beside its stack: the stack it takes in each environment, its docs page and what `npm run
// verify` checks of it once deployed. stacks/index.ts lists the systems; the tools, the guard tests and
// the docs read these descriptors, and a tool typed by `SystemName` fails the type check until it
// knows a new system.
import type { App } from 'cdktf';
import type { EnvironmentConfig } from '../config/schema';
import type { EnvironmentStack } from './environment-stack';

/**
 * What `npm run verify` checks of a deployed stack from outside (tools/verify.ts), read from the
 * stack's outputs. Every system gets the certificate, the HTTP to HTTPS redirect, the health JSON,
 * its latency and SSH closed on the public front; the optional parts add their checks.
 */
export interface VerifyProfile {
  /** Output holding the public `https://` URL. */
  readonly urlOutput: string;
  /** Output holding the public front's DNS name (the load balancer), which must not answer SSH. */
  readonly frontOutput: string;
  /** The readiness endpoint: its JSON's `status` must be `status`; `meaning`, when given, says what that proves. */
  readonly health: { readonly path: string; readonly status: string; readonly meaning?: string };
  /**
   * An info endpoint naming the instance that answered: its fields are checked (non-empty strings,
   * numbers of at least 0, whole numbers of at least 0; `summary` names those the result shows, with
   * their labels), and requests must reach more than one instance when the output `desiredOutput`
   * says more than one is desired.
   * @default - no info or spread checks
   */
  readonly info?: {
    readonly path: string;
    readonly stringFields: readonly string[];
    readonly numberFields: readonly string[];
    readonly countFields: readonly string[];
    readonly summary: Readonly<Record<string, string>>;
    readonly instanceField: string;
    readonly desiredOutput: string;
  };
  /** A database that must not answer from outside: the outputs of its endpoint and port. @default - none */
  readonly closedDatabase?: { readonly endpointOutput: string; readonly portOutput: string };
}

export interface SystemDescriptor {
  /** What it is, in a few words (tool messages, docs). */
  readonly title: string;
  /** Its stack in one environment; main.ts and the suite build through stacks/index.ts. */
  readonly build: (app: App, config: EnvironmentConfig) => EnvironmentStack;
  /** That stack's name, `<system>-<env>`, without building it. */
  readonly stackName: (config: EnvironmentConfig) => string;
  /** Its docs page, linked from the README. */
  readonly docs: string;
  readonly verify: VerifyProfile;
}
