// Build the JupyterLab extension bundle (jupyterlab.outputDir: ../jnsim/labextension).
//
// Usage: node scripts/build-labextension.mjs [--development]
//
// Runs `jupyter-builder build` (the Python package jupyter-builder, which JupyterLab 4.6
// depends on) when that command is on PATH or in the repository's .venv. Without it,
// runs @jupyter/builder's own build script with node, against the JupyterLab core
// metadata in node_modules/@jupyterlab/core-meta: that is what jupyter-builder does,
// so a checkout with node and npm alone builds the same bundle.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const extDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const development = process.argv.includes('--development');
const exe = process.platform === 'win32' ? 'jupyter-builder.exe' : 'jupyter-builder';

function findJupyterBuilder() {
  if (process.env.JNSIM_NO_JUPYTER_BUILDER) {
    return null;
  }
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  dirs.push(join(extDir, '..', '.venv', process.platform === 'win32' ? 'Scripts' : 'bin'));
  for (const dir of dirs) {
    const candidate = join(dir, exe);
    if (existsSync(candidate)) {
      return candidate;
    }
  }
  return null;
}

function run(command, args) {
  console.log(`> ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: extDir, stdio: 'inherit' });
  if (result.error) {
    throw result.error;
  }
  process.exit(result.status ?? 1);
}

const jupyterBuilder = findJupyterBuilder();
if (jupyterBuilder) {
  run(jupyterBuilder, ['build', ...(development ? ['--development=True'] : []), extDir]);
} else {
  const require = createRequire(join(extDir, 'package.json'));
  const script = require.resolve('@jupyter/builder/lib/build-labextension.js');
  const core = require.resolve('@jupyterlab/core-meta/core.package.json');
  run(process.execPath, [
    script,
    '--core-package-file',
    core,
    ...(development ? ['--development'] : []),
    extDir
  ]);
}
