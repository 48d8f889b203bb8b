// Starts the emulator binary for the browser tests: plain HTTP on 127.0.0.1, an ephemeral
// port, `--auth any` (the dashboard's pages call the Web API as the org's default user),
// and a fresh state directory. Resolves with the base URL once the emulator says it is ready.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

const STARTUP_TIMEOUT_MS = 15_000;
const WEB_API_LINE = /^Web API: (http:\/\/127\.0\.0\.1:\d+)\/api\/data\/v9\.2\/$/;

/** The emulator binary: DATAVERSE_EMULATOR_BIN, else the workspace's debug build. */
export function emulatorBin() {
  return process.env.DATAVERSE_EMULATOR_BIN ?? resolve(import.meta.dirname, "../../../target/debug/dataverse-emulator");
}

/** Spawns the emulator; resolves `{ base, stop }`. */
export function startEmulator() {
  const stateDir = mkdtempSync(join(tmpdir(), "dataverse-emulator-browser-"));
  const args = ["serve", "--host", "127.0.0.1", "--port", "0", "--auth", "any", "--state-dir", stateDir];
  const child = spawn(emulatorBin(), args, { stdio: ["ignore", "pipe", "pipe"] });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let output = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => (output = (output + chunk).slice(-8000)));
  const exited = new Promise((done) => child.once("exit", done));

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    child.kill("SIGTERM");
    await exited;
    rmSync(stateDir, { recursive: true, force: true });
  };

  return new Promise((resolvePromise, reject) => {
    let base = null;
    const fail = (why) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`dataverse-emulator did not become ready: ${why}\n  command: ${emulatorBin()} ${args.join(" ")}\n${output}`));
    };
    const timer = setTimeout(() => fail("timed out"), STARTUP_TIMEOUT_MS);
    child.once("error", (err) => fail(`could not spawn it (${err.code ?? err.message})`));
    child.once("exit", (code) => fail(`it exited with code ${code}`));
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on("line", (line) => {
      output += `${line}\n`;
      const match = WEB_API_LINE.exec(line);
      if (match) base = match[1];
      else if (base && line.startsWith("Ready")) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolvePromise({ base, stop });
      }
    });
  });
}
