/**
 * Rules on values that both the constructs (which throw) and the application's config schema (which
 * reports every problem at once, by field) apply: each is defined here once.
 */

/** A Route 53 hosted zone id as the API returns it (up to 32 upper-case letters and digits; AWS's start with Z, emulators' need not). */
export const HOSTED_ZONE_ID = /^[A-Z0-9]{1,32}$/;

/** An e-mail address, as SNS takes it for a subscription (the shape only; SNS confirms it works). */
export const EMAIL_ADDRESS = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** An https:// URL (alarms and the like are delivered over HTTPS only). */
export const HTTPS_URL = /^https:\/\/[^\s/]+\S*$/;

/** A git branch name (no leading -, no .., no trailing . or /). */
export const GIT_BRANCH = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,100}(?<![./])$/;
