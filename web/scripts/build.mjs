// Builds the three packages (ESM + type declarations, React and sibling packages left as
// imports) and the demo shop into demo/dist with fixed file names, so the committed bundle
// rebuilds byte for byte (CI fails when `git diff --exit-code web/demo/dist` shows a change).
//
//   node scripts/build.mjs            everything
//   node scripts/build.mjs demo       only the demo
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const web = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv[2];

export const aliases = {
  '@framewise/client': `${web}packages/client/src/index.ts`,
  '@framewise/tracker': `${web}packages/tracker/src/index.ts`,
  '@framewise/react': `${web}packages/react/src/index.ts`,
};

const external = ['react', 'react-dom', 'react/jsx-runtime', '@framewise/client', '@framewise/tracker'];

async function buildPackage(name) {
  const dir = `${web}packages/${name}`;
  await rm(`${dir}/dist`, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [`${dir}/src/index.ts`],
    outfile: `${dir}/dist/index.js`,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    external,
    sourcemap: true,
    logLevel: 'warning',
  });
  execFileSync(`${web}node_modules/.bin/tsc`, ['-p', `${dir}/tsconfig.build.json`], { stdio: 'inherit' });
  if (name === 'react') await copyFile(`${dir}/src/styles.css`, `${dir}/dist/styles.css`);
  console.log(`built @framewise/${name}`);
}

async function buildDemo() {
  const out = `${web}demo/dist`;
  await rm(out, { recursive: true, force: true });
  await mkdir(`${out}/assets`, { recursive: true });
  await esbuild.build({
    entryPoints: { app: `${web}demo/src/main.tsx` },
    outdir: `${out}/assets`,
    entryNames: '[name]',
    assetNames: '[name]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    minify: true,
    legalComments: 'none',
    alias: aliases,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  await writeFile(`${out}/index.html`, await readFile(`${web}demo/index.html`));
  await copyFile(`${web}demo/favicon.svg`, `${out}/assets/favicon.svg`);
  console.log('built demo/dist');
}

if (!only || only === 'packages') {
  for (const name of ['client', 'tracker', 'react']) await buildPackage(name);
}
if (!only || only === 'demo') await buildDemo();
