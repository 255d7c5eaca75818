// `npm run synth` and cdktf.json's `app`: runs main.ts from a prebuilt bundle (.build/main.cjs), built
// with esbuild when any of its inputs is newer than it (the first run, or after an edit or an npm
// install), so a synth starts one plain node process instead of compiling ~490 TypeScript and
// JavaScript files with their source maps through tsx. The bundle skips cdktf's capture of a full
// stack trace for every token (they only decorate token-resolution errors; run `npx tsx main.ts`
// to see them). Paths to assets and app/ come from projectPath(), so the bundle's place does not matter.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, '.build', 'main.cjs');
const metafile = join(root, '.build', 'main.meta.json');

function isFresh() {
  if (!existsSync(bundle) || !existsSync(metafile)) return false;
  const built = statSync(bundle).mtimeMs;
  const { inputs } = JSON.parse(readFileSync(metafile, 'utf8'));
  return Object.keys(inputs).every((input) => existsSync(join(root, input)) && statSync(join(root, input)).mtimeMs <= built);
}

/** cdktf's token stack traces, replaced by nothing. */
const skipStackTraces = {
  name: 'skip-cdktf-stack-traces',
  setup(build) {
    build.onLoad({ filter: /[\\/]cdktf[\\/]lib[\\/]tokens[\\/]private[\\/]stack-trace\.js$/ }, () => ({
      contents: 'exports.captureStackTrace = function captureStackTrace() { return []; };',
      loader: 'js',
    }));
  },
};

if (!isFresh()) {
  const { build } = await import('esbuild');
  mkdirSync(dirname(bundle), { recursive: true });
  // Written aside and renamed into place, so a synth running beside this one never reads half a bundle.
  const partial = `${bundle}.${process.pid}`;
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['main.ts'],
    outfile: partial,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
    plugins: [skipStackTraces],
  });
  writeFileSync(`${metafile}.${process.pid}`, JSON.stringify(result.metafile));
  renameSync(`${metafile}.${process.pid}`, metafile);
  renameSync(partial, bundle);
}
createRequire(import.meta.url)(bundle);
