// `npm test`: runs `node --test` with the emulator's local TLS CA trusted.
//
// The suite talks to the emulator over HTTPS (`--tls`), as real clients must. Node reads
// NODE_EXTRA_CA_CERTS only when a process starts, and dynamics-web-api uses its own https Agent, so the
// CA has to be in place before the test processes exist: this runner asks the emulator binary to create
// its CA (`dataverse-emulator ca --state-dir <dir>`) in a fresh state directory, then starts
// `node --test` with NODE_EXTRA_CA_CERTS pointing at it and DATAVERSE_EMULATOR_STATE_DIR naming the
// directory, which the harness passes to every emulator it spawns (so they all serve that CA's certificates).
// A NODE_EXTRA_CA_CERTS already set (say, a corporate bundle) is kept: the file given to the tests holds
// its certificates followed by the emulator's CA. Nothing is prepared against a live org (DATAVERSE_URL),
// or when DATAVERSE_EMULATOR_STATE_DIR is already set (the caller then trusts that directory's CA).

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emulatorBin } from "./helpers.mjs";

const env = { ...process.env };
let stateDir = null;
if (!env.DATAVERSE_URL && !env.DATAVERSE_EMULATOR_STATE_DIR) {
  stateDir = mkdtempSync(join(tmpdir(), "dataverse-emulator-node-"));
  const ca = execFileSync(emulatorBin(), ["ca", "--state-dir", stateDir], { encoding: "utf8" }).trim();
  let bundle = ca;
  if (env.NODE_EXTRA_CA_CERTS) {
    bundle = join(stateDir, "node-extra-ca-certs.pem");
    let existing = "";
    try {
      existing = readFileSync(env.NODE_EXTRA_CA_CERTS, "utf8");
    } catch {
      // An unreadable bundle would only make Node warn; the emulator's CA is what matters here.
    }
    writeFileSync(bundle, `${existing.trimEnd()}\n${readFileSync(ca, "utf8")}`);
  }
  env.NODE_EXTRA_CA_CERTS = bundle;
  env.DATAVERSE_EMULATOR_STATE_DIR = stateDir;
}
const child = spawn(process.execPath, ["--test", "--test-reporter=spec", ...process.argv.slice(2), "test/"], { stdio: "inherit", env });
child.on("exit", (code, signal) => {
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  process.exit(signal ? 1 : code);
});
