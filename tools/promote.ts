// `npm run promote -- --from <env> --to <env> [--commit SHA] [--dry-run]`: moves the next
// environment's branch to the commit the previous one runs, as a fast-forward, never a rebuild from
// another commit. Each environment's branch (`webapp.delivery.branch`) is in the repository of its
// own account, reached through a git remote named after the environment (`git remote add prod
// codecommit::eu-west-1://webapp`); the push starts both pipelines of that environment, the web
// app's release and the infrastructure's plan and apply, on that one commit.
import { spawnSync } from 'node:child_process';
import { ConfigError, loadEnvironments } from '../config/load';
import { parseCommandLine, runMain, stringValue } from '../cli';

const USAGE = `usage: npm run promote -- --from <env> --to <env> [--commit SHA] [--dry-run]

Fast-forwards <to>'s branch to the commit <from>'s branch holds (or --commit, which must be on it):
the same commit goes on, never a rebuild. Each environment is a git remote of this repository named
after it (git remote add prod <url>); its branch is webapp.delivery.branch. The push starts the web
app's pipeline and the infrastructure pipeline of <to> on that commit.
  --from ENV     the environment the commit has run in
  --to ENV       the environment to promote it to
  --commit SHA   a commit on <from>'s branch (default: the branch's head)
  --dry-run      check and say what would be pushed; push nothing
  -h, --help     this text, and nothing else
Exit 0 when promoted (or already there), 1 when git refuses, 2 on bad input or a promotion that
would not be a fast-forward.`;

/** Bad input, or a promotion that would move the branch anywhere but forward: exit 2. */
export class PromotionError extends Error {}

function git(args: readonly string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('git', args, { encoding: 'utf8' });
  if (result.error) throw new Error(`git is not on PATH (${result.error.message})`);
  return { status: result.status ?? 1, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** The commit `ref` names in the local repository, or undefined. */
const commitOf = (ref: string) => {
  const r = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return r.status === 0 ? r.stdout : undefined;
};
const isAncestor = (ancestor: string, descendant: string) => git(['merge-base', '--is-ancestor', ancestor, descendant]).status === 0;

/** The branch tip of `branch` on `remote`, fetched; undefined when the remote has no such branch yet. */
function fetchBranch(remote: string, branch: string): string | undefined {
  if (git(['remote', 'get-url', remote]).status !== 0) {
    throw new PromotionError(`there is no git remote "${remote}": add the environment's repository as one, e.g. git remote add ${remote} <its clone URL>`);
  }
  const fetched = git(['fetch', '--quiet', remote, `+refs/heads/${branch}:refs/promote/${remote}/${branch}`]);
  if (fetched.status !== 0) {
    if (/couldn't find remote ref/i.test(fetched.stderr)) return undefined;
    throw new Error(`git fetch ${remote} ${branch} failed: ${fetched.stderr}`);
  }
  return commitOf(`refs/promote/${remote}/${branch}`);
}

async function main(): Promise<number> {
  const args = parseCommandLine(USAGE, {
    options: { from: { type: 'string' }, to: { type: 'string' }, commit: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  });
  const from = stringValue(args, 'from');
  const to = stringValue(args, 'to');
  if (!from || !to) throw new PromotionError(`name both environments: --from <env> --to <env>\n\n${USAGE}`);
  if (from === to) throw new PromotionError(`--from and --to are both ${from}; promote to another environment`);
  const [source, target] = loadEnvironments([from, to]);
  const fromBranch = source.webapp.delivery.branch;
  const toBranch = target.webapp.delivery.branch;

  const head = fetchBranch(from, fromBranch);
  if (!head) throw new PromotionError(`${from}'s branch ${fromBranch} does not exist on the remote ${from}: nothing has run there to promote`);
  const wanted = stringValue(args, 'commit');
  const commit = wanted === undefined ? head : commitOf(wanted);
  if (!commit) throw new PromotionError(`--commit ${wanted} is not a commit here; fetch it first`);
  if (!isAncestor(commit, head)) {
    throw new PromotionError(`--commit ${commit.slice(0, 12)} is not on ${from}'s branch ${fromBranch}: only what ${from} has run can be promoted`);
  }
  const current = fetchBranch(to, toBranch);
  if (current === commit) {
    process.stdout.write(`${to} (${toBranch}) already runs ${commit}\n`);
    return 0;
  }
  if (current && !isAncestor(current, commit)) {
    throw new PromotionError(
      `${to}'s branch ${toBranch} is at ${current.slice(0, 12)}, which is not behind ${commit.slice(0, 12)}: promoting would drop what ${to} runs. Bring that commit into ${from} first (merge it there and let ${from}'s pipelines run it)`,
    );
  }
  const push = ['push', to, `${commit}:refs/heads/${toBranch}`];
  if (args.values['dry-run']) {
    process.stdout.write(`would run: git ${push.join(' ')} (${to} ${toBranch}: ${current?.slice(0, 12) ?? 'new branch'} -> ${commit.slice(0, 12)})\n`);
    return 0;
  }
  // A plain push: the remote refuses anything but a fast-forward, should the branch move meanwhile.
  const pushed = git(push);
  if (pushed.status !== 0) {
    process.stderr.write(`git ${push.join(' ')} failed: ${pushed.stderr}\n`);
    return 1;
  }
  process.stdout.write(`promoted ${commit} to ${to} (${toBranch}); its pipelines start on it\n`);
  return 0;
}

if (require.main === module) runMain('promote', main, [PromotionError, ConfigError]);
