// Starts the release apigw binary on port 0 with a temporary database, waits
// for it to print its URLs, and hands them to the tests through the environment.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export default async function globalSetup() {
  const root = resolve(__dirname, '..');
  const bin = process.env.APIGW_BIN || join(root, 'target', 'release', 'apigw');
  const dir = mkdtempSync(join(tmpdir(), 'apigw-e2e-'));
  const child = spawn(
    bin,
    ['serve', '--console-addr', '127.0.0.1:0', '--gateway-addr', '127.0.0.1:0'],
    {
      cwd: root,
      env: {
        ...process.env,
        APIGW_DB: join(dir, 'apigw.db'),
        LEPTOS_SITE_ROOT: join(root, 'target', 'site'),
        RUST_LOG: process.env.RUST_LOG || 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const urls = await new Promise<{ console: string; gateway: string }>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`apigw did not start: ${out}`)), 30_000);
    child.on('exit', (code) => fail(new Error(`apigw exited with ${code}: ${out}`)));
    child.stdout!.on('data', (chunk) => {
      out += chunk.toString();
      const c = out.match(/console: (http:\/\/\S+)/);
      const g = out.match(/gateway: (http:\/\/\S+)/);
      if (c && g) {
        clearTimeout(timer);
        ok({ console: c[1], gateway: g[1] });
      }
    });
  });
  process.env.APIGW_CONSOLE_URL = urls.console;
  process.env.APIGW_GATEWAY_URL = urls.gateway;
  console.log(`apigw under test: console ${urls.console}, gateway ${urls.gateway}, db in ${dir}`);
  return async () => {
    child.kill('SIGTERM');
  };
}
