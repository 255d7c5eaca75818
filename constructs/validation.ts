/**
 * Rules on values that both the constructs (which throw) and the application's config schema (which
 * reports every problem at once, by field) apply: each is defined here once.
 */

/** A git branch name (no leading -, no .., no trailing . or /). */
export const GIT_BRANCH = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,100}(?<![./])$/;
