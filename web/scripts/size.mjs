// The size budget: what a shop ships for @framewise/tracker + @framewise/react (with the
// client they use), minified and gzipped, React excluded, stylesheet included. Fails above
// the budget.
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const BUDGET_BYTES = 25 * 1024;
const web = fileURLToPath(new URL('..', import.meta.url));

const result = await esbuild.build({
  stdin: {
    contents: "export * from '@framewise/react'; export * from '@framewise/tracker';",
    resolveDir: web,
    loader: 'ts',
  },
  alias: {
    '@framewise/client': `${web}packages/client/src/index.ts`,
    '@framewise/tracker': `${web}packages/tracker/src/index.ts`,
    '@framewise/react': `${web}packages/react/src/index.ts`,
  },
  bundle: true,
  write: false,
  minify: true,
  format: 'esm',
  target: 'es2020',
  jsx: 'automatic',
  external: ['react', 'react-dom', 'react/jsx-runtime'],
  legalComments: 'none',
});
const js = result.outputFiles[0].contents;
const css = (await esbuild.transform(await readFile(`${web}packages/react/src/styles.css`, 'utf8'), { loader: 'css', minify: true })).code;
const gz = (b) => gzipSync(b, { level: 9 }).length;
const jsGz = gz(js);
const cssGz = gz(Buffer.from(css));
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`tracker + react (+ client) JS: ${kb(js.length)} min, ${kb(jsGz)} gzip`);
console.log(`styles.css: ${kb(css.length)} min, ${kb(cssGz)} gzip`);
console.log(`total ${kb(jsGz + cssGz)} gzip, budget ${kb(BUDGET_BYTES)}`);
if (jsGz + cssGz > BUDGET_BYTES) {
  console.error(`over the size budget by ${kb(jsGz + cssGz - BUDGET_BYTES)}`);
  process.exit(1);
}
