// Starts the real server once for the whole run: `framewise serve --demo` on a free port with
// a temporary data directory (the binary is built beforehand; nothing here runs cargo), waits
// until it is healthy, and checks the committed OpenAPI snapshot against what it publishes.
//
// FRAMEWISE_BIN        the binary (default $CARGO_TARGET_DIR/debug/framewise, CARGO_TARGET_DIR
//                      defaulting to ~/.cache/framewise/target)
// FRAMEWISE_E2E_ARGS   demo size flags (default: a small shop that loads in seconds)
// FRAMEWISE_E2E_URL    use a server that is already running instead
// FRAMEWISE_E2E_PROXY=1  front the server with scripts/dev-server.mjs (serves demo/dist), for
//                      binaries that do not serve the shop yet
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = fileURLToPath(new URL('..', import.meta.url));

function waitForLine(child: ChildProcess, pattern: RegExp, ms: number, log: string[]): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${pattern}" within ${ms} ms:\n${log.slice(-20).join('')}`)), ms);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      log.push(text);
      const m = text.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => log.push(c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before it listened:\n${log.slice(-30).join('')}`));
    });
  });
}

async function waitHealthy(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url}/healthz not healthy within ${ms} ms: ${last}`);
}

/** Stops the children (SIGTERM, then SIGKILL after 10 s) and removes the data directory. */
async function stop(children: ChildProcess[], dataDir: string | null): Promise<void> {
  await Promise.all(
    children.reverse().map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(force);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const children: ChildProcess[] = [];
  let dataDir: string | null = null;
  try {
    let url = process.env.FRAMEWISE_E2E_URL;
    if (!url) {
      const targetDir = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/framewise/target');
      const bin = process.env.FRAMEWISE_BIN ?? join(targetDir, 'debug/framewise');
      dataDir = mkdtempSync(join(tmpdir(), 'framewise-e2e-'));
      const size = (process.env.FRAMEWISE_E2E_ARGS ?? '--styles 240 --customers 400 --days 60').split(/\s+/).filter(Boolean);
      const server = spawn(bin, ['serve', '--demo', '--addr', '127.0.0.1:0', '--data-dir', dataDir, ...size], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', NO_COLOR: '1' },
      });
      children.push(server);
      const log: string[] = [];
      const [, listening] = await waitForLine(server, /listening on (http:\/\/[0-9.:]+)/, 240_000, log);
      url = listening!;
    }
    await waitHealthy(url, 120_000);

    // The committed snapshot must be what this server publishes.
    const { checkSnapshot } = (await import(`${web}packages/client/scripts/openapi.mjs`)) as { checkSnapshot: (u: string) => Promise<void> };
    await checkSnapshot(url);

    if (process.env.FRAMEWISE_E2E_PROXY === '1') {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const proxy = spawn(process.execPath, [join(web, 'scripts/dev-server.mjs'), String(port)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, FRAMEWISE_URL: url, FRAMEWISE_DATA_DIR: dataDir ?? process.env.FRAMEWISE_DATA_DIR ?? '' },
      });
      children.push(proxy);
      await waitForLine(proxy, /demo on/, 10_000, []);
      url = `http://127.0.0.1:${port}`;
    }
    process.env.FRAMEWISE_E2E_URL = url;
  } catch (e) {
    // Playwright runs no teardown when the setup fails: stop what was started here.
    await stop(children, dataDir);
    throw e;
  }
  return () => stop(children, dataDir);
}
