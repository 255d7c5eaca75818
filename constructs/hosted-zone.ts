import { HOSTED_ZONE_ID } from './validation';

/** A Route 53 hosted zone: records and certificate validation go in it. */
export interface IHostedZone {
  readonly zoneId: string;
}

/** A hosted zone that exists already (it holds the domain) and that this project does not manage. */
export class ExistingHostedZone implements IHostedZone {
  /** @throws when `zoneId` is not a Route 53 hosted zone id */
  static fromZoneId(zoneId: string): IHostedZone {
    if (!HOSTED_ZONE_ID.test(zoneId)) {
      throw new Error(`ExistingHostedZone: zoneId "${zoneId}" is not a Route 53 hosted zone id; use one such as Z0123456789ABCDEFGHIJ`);
    }
    return new ExistingHostedZone(zoneId);
  }

  private constructor(public readonly zoneId: string) {}
}
