// Harness for the dynamics-web-api conformance suite: one test, two targets.
//
// By default it spawns a fresh emulator as the Python suite does, like a real org: HTTPS with the
// emulator's local CA, and strict token checks (`dataverse-emulator serve --host 127.0.0.1 --port 0 --tls
// --auth strict --state-dir <dir>`), and waits for its readiness lines. The client's `onTokenRefresh`
// fetches client-credentials tokens from the emulator's token endpoint with a plain form POST, as an app
// would. The CA must be trusted through NODE_EXTRA_CA_CERTS, which `npm test` (lib/run.mjs) sets up.
// With DATAVERSE_URL set it targets that live org instead and spawns nothing. Either way the tests get a
// real `DynamicsWebApi` client: there is no imitation client here.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { after, before } from "node:test";
import { DynamicsWebApi } from "dynamics-web-api";
import { CreatedRecords, emulatorBin } from "./helpers.mjs";

/** Microsoft Entra's public-cloud authority, for live orgs. */
const ENTRA_AUTHORITY = "https://login.microsoftonline.com";

/** Refresh a cached token this long before it expires. */
const TOKEN_EXPIRY_MARGIN_MS = 60_000;

/** How long the emulator gets to print its `Web API:` and `Ready` lines. */
const STARTUP_TIMEOUT_MS = 15_000;

/** How long stop() waits after SIGTERM before it escalates to SIGKILL and fails. */
const SHUTDOWN_TIMEOUT_MS = 5_000;

/**
 * Per-request socket timeout given to the client, so a request the target never answers fails the test
 * instead of hanging it.
 */
const REQUEST_TIMEOUT_MS = 20_000;

/** Matches the data API base the emulator prints, e.g. `Web API: https://127.0.0.1:41234/api/data/v9.2/`. */
const WEB_API_LINE = /Web API: (http\S+)/;

/** The other start-up lines the harness reads (README "serve"). */
const TOKEN_LINE = /^Token endpoint: (https?:\/\/\S+)/;
const AUTHORIZE_LINE = /^Authorize endpoint: (https?:\/\/\S+)/;
const APP_LINE = /^\s*app '.*': client id (\S+), secret (\S+)\s*$/;

/** Keep only the tail of the emulator's output for error messages; a chatty server must not grow memory. */
const OUTPUT_TAIL_CHARS = 8_000;

/**
 * Starts the target the suite runs against and builds a client for it.
 *
 * @param {{serveArgs?: string[]}} [options] `serveArgs`: extra `dataverse-emulator serve` flags (e.g.
 *   `["--token-lifetime", "2"]`), for tests that need an emulator set up differently; ignored on a live org.
 * @returns {Promise<{kind: "emulator" | "live", serverUrl: string, version: string, client: DynamicsWebApi,
 *   auth: {tokenEndpoint: string, authorizeEndpoint: string, clientId: string, clientSecret: string} | null,
 *   stop: () => Promise<void>}>}
 *   `serverUrl` is the org URL the client is configured with (no `/api/data/...` suffix). `auth` describes
 *   the emulator's token service (null for a live org). Callers must `await stop()` when done: for the
 *   emulator it sends SIGTERM and awaits the exit.
 */
export async function startTarget(options = {}) {
  // The client routes every request through `http_proxy`/`https_proxy` (lower case) when set and never
  // reads NO_PROXY (client reference §7), so a proxy in the environment would swallow 127.0.0.1 traffic.
  for (const name of ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"]) delete process.env[name];

  const liveUrl = process.env.DATAVERSE_URL;
  if (liveUrl) {
    const { serverUrl, version } = splitWebApiUrl(liveUrl);
    const client = createClient(serverUrl, version, liveTokenSource(serverUrl));
    return { kind: "live", serverUrl, version, client, auth: null, stop: async () => {} };
  }

  if (!process.env.DATAVERSE_EMULATOR_STATE_DIR) {
    throw new Error(
      "the emulator serves HTTPS with its own CA, which Node only trusts through NODE_EXTRA_CA_CERTS set at start: " +
        "run the suite with `npm test`, or set DATAVERSE_EMULATOR_STATE_DIR=<dir> and " +
        "NODE_EXTRA_CA_CERTS=$(dataverse-emulator ca --state-dir <dir>)",
    );
  }
  const emulator = await spawnEmulator(emulatorBin(), options.serveArgs ?? []);
  const { serverUrl, version } = splitWebApiUrl(emulator.webApiUrl);
  const { tokenEndpoint, clientId, clientSecret } = emulator.auth;
  const client = createClient(serverUrl, version, clientCredentials(tokenEndpoint, clientId, clientSecret, `${serverUrl}/.default`));
  return { kind: "emulator", serverUrl, version, client, auth: emulator.auth, stop: emulator.stop };
}

/**
 * A live org's token source: DATAVERSE_TOKEN as-is, or client credentials from Entra with
 * DATAVERSE_TENANT_ID, DATAVERSE_CLIENT_ID and DATAVERSE_CLIENT_SECRET (authority DATAVERSE_AUTHORITY,
 * default login.microsoftonline.com).
 */
function liveTokenSource(serverUrl) {
  const { DATAVERSE_TOKEN: token, DATAVERSE_TENANT_ID: tenant, DATAVERSE_CLIENT_ID: clientId, DATAVERSE_CLIENT_SECRET: secret } = process.env;
  if (token) return async () => token;
  if (tenant && clientId && secret) {
    const authority = (process.env.DATAVERSE_AUTHORITY || ENTRA_AUTHORITY).replace(/\/$/, "");
    return clientCredentials(`${authority}/${tenant}/oauth2/v2.0/token`, clientId, secret, `${serverUrl}/.default`);
  }
  throw new Error("DATAVERSE_URL is set but there are no credentials: set DATAVERSE_TOKEN, or DATAVERSE_TENANT_ID, DATAVERSE_CLIENT_ID and DATAVERSE_CLIENT_SECRET");
}

/**
 * A token source that fetches client-credentials tokens with a plain form POST to `tokenEndpoint`, as an
 * app would, and caches each until shortly before it expires. dynamics-web-api calls it before every request.
 */
export function clientCredentials(tokenEndpoint, clientId, clientSecret, scope) {
  let cached = null;
  return async () => {
    if (cached && Date.now() < cached.expiresAt - TOKEN_EXPIRY_MARGIN_MS) return cached.token;
    const response = await fetch(tokenEndpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, scope }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(`token endpoint ${tokenEndpoint} answered ${response.status}: ${body.error_description ?? JSON.stringify(body)}`);
    cached = { token: body.access_token, expiresAt: Date.now() + Number(body.expires_in) * 1000 };
    return cached.token;
  };
}

/**
 * Builds the client exactly as an application would.
 *
 * @param {string} serverUrl org URL with no path, or a path ending in `/` (the client drops any other path)
 * @param {string} version data API version, e.g. "9.2"
 * @param {() => Promise<string>} tokenSource called by the client before every request
 */
export function createClient(serverUrl, version, tokenSource) {
  return new DynamicsWebApi({
    serverUrl,
    dataApi: { version },
    timeout: REQUEST_TIMEOUT_MS,
    onTokenRefresh: tokenSource,
  });
}

/**
 * Splits `http://host:port[/org/]api/data/v9.2/` into the client's `serverUrl` and `dataApi.version`.
 * A bare org URL (no `/api/data/` part, as usually given in DATAVERSE_URL) gets version "9.2".
 */
function splitWebApiUrl(url) {
  const parsed = new URL(url);
  const match = /^(.*\/)api\/data\/v(\d+(?:\.\d+)?)\/?$/.exec(parsed.pathname);
  const basePath = match ? match[1] : parsed.pathname.endsWith("/") ? parsed.pathname : `${parsed.pathname}/`;
  const version = match ? match[2] : "9.2";
  // Without a path the client wants the bare origin; with one, the path must end in "/" to be kept.
  const serverUrl = basePath === "/" ? parsed.origin : `${parsed.origin}${basePath}`;
  return { serverUrl, version };
}

/**
 * Spawns the emulator on an ephemeral port and resolves once it has printed its data API URL and then a
 * line starting with `Ready`. Rejects (and kills the process) if it exits, fails to spawn, or stays
 * silent for STARTUP_TIMEOUT_MS; the rejection carries the process's stdout and stderr.
 *
 * @returns {Promise<{webApiUrl: string, auth: {tokenEndpoint: string, authorizeEndpoint: string, clientId: string, clientSecret: string}, stop: () => Promise<void>}>}
 */
function spawnEmulator(bin, serveArgs) {
  const stateDir = process.env.DATAVERSE_EMULATOR_STATE_DIR;
  const args = ["serve", "--host", "127.0.0.1", "--port", "0", "--tls", "--auth", "strict", "--state-dir", stateDir, ...serveArgs];
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  // "close" (not "exit") also fires when the spawn itself fails, and only after the pipes are drained.
  const closed = new Promise((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
  // Never leave an emulator behind, even if the test process dies without calling stop().
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8");
  // Keep draining both pipes for the process's whole life: a full pipe would block the emulator.
  child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-OUTPUT_TAIL_CHARS)));
  // Opt-in: show the emulator's log (stderr) live, for debugging a failing test.
  if (process.env.DATAVERSE_EMULATOR_LOG) child.stderr.on("data", (chunk) => process.stderr.write(chunk));
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });

  const describeFailure = (why) =>
    new Error(
      `dataverse-emulator did not become ready: ${why}\n` +
        `  command: ${bin} ${args.join(" ")}\n` +
        `  (set DATAVERSE_EMULATOR_BIN, or build it with \`cargo build -p dataverse-emulator\`)\n` +
        `--- stdout ---\n${stdout || "(empty)"}\n--- stderr ---\n${stderr || "(empty)"}`,
    );

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) {
      const { code, signal } = await exited;
      throw new Error(`dataverse-emulator died during the tests (code ${code}, signal ${signal})\n--- stderr ---\n${stderr}`);
    }
    child.kill("SIGTERM");
    let timer;
    const timedOut = new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS, "timeout")));
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      child.kill("SIGKILL");
      await exited;
      throw new Error(`dataverse-emulator ignored SIGTERM for ${SHUTDOWN_TIMEOUT_MS} ms and was killed`);
    }
    if (outcome.code !== 0 && outcome.signal !== "SIGTERM") {
      throw new Error(`dataverse-emulator exited badly on SIGTERM (code ${outcome.code}, signal ${outcome.signal})\n--- stderr ---\n${stderr}`);
    }
  };

  return new Promise((resolve, reject) => {
    let webApiUrl = null;
    const auth = { tokenEndpoint: null, authorizeEndpoint: null, clientId: null, clientSecret: null };
    let settled = false;
    const fail = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      process.removeListener("exit", killOnExit);
      child.kill("SIGKILL");
      // Wait (briefly) for the pipes to drain so the error shows everything the process said.
      let graceTimer;
      const grace = new Promise((resolve) => (graceTimer = setTimeout(resolve, 1_000)));
      Promise.race([closed, grace]).then(() => {
        clearTimeout(graceTimer);
        reject(describeFailure(why));
      });
    };
    const timer = setTimeout(() => fail(`no "Web API: …" + "Ready" lines within ${STARTUP_TIMEOUT_MS} ms`), STARTUP_TIMEOUT_MS);

    child.once("error", (err) => fail(`could not spawn it (${err.code ?? err.message})`));
    closed.then(({ code, signal }) => fail(`it exited before it was ready (code ${code}, signal ${signal})`));
    lines.on("line", (line) => {
      stdout = (stdout + line + "\n").slice(-OUTPUT_TAIL_CHARS);
      if (settled) return;
      let match;
      if ((match = WEB_API_LINE.exec(line))) webApiUrl = match[1];
      else if ((match = TOKEN_LINE.exec(line))) auth.tokenEndpoint = match[1];
      else if ((match = AUTHORIZE_LINE.exec(line))) auth.authorizeEndpoint = match[1];
      else if ((match = APP_LINE.exec(line)) && !auth.clientId) [auth.clientId, auth.clientSecret] = [match[1], match[2]];
      else if (webApiUrl && line.startsWith("Ready")) {
        if (!webApiUrl.startsWith("https://") || !auth.tokenEndpoint || !auth.clientId) {
          fail(`expected an https Web API URL, a token endpoint and an app line (is this emulator older than the suite?)`);
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve({ webApiUrl, auth, stop });
      }
    });
  });
}

/**
 * Registers `before`/`after` hooks on the enclosing `describe` that start a target and, at
 * the end, delete what the tests created and stop it (`options` as for startTarget). Returns the suite's handles: `dwa`
 * (the client, once started) and `created` (records to clean up).
 */
export function useTarget(options = {}) {
  /** @type {Awaited<ReturnType<typeof startTarget>> | undefined} */
  let target;
  const suite = {
    /** @type {import("dynamics-web-api").DynamicsWebApi} */
    get dwa() {
      return target.client;
    },
    /** The whole target: kind, serverUrl, version and (for the emulator) its token service. */
    get target() {
      return target;
    },
    created: new CreatedRecords(),
  };
  before(async () => {
    target = await startTarget(options);
  });
  after(async () => {
    try {
      if (target) await suite.created.deleteAll(target.client);
    } finally {
      await target?.stop();
    }
  });
  return suite;
}
