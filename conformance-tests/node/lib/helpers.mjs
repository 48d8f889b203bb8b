// Small test utilities shared by the conformance tests. All Dataverse traffic still goes through the
// dynamics-web-api client; nothing here talks HTTP on its own.

import { randomBytes } from "node:crypto";

/** Lower-case hyphenated GUID, the form Dataverse uses for ids in bodies and headers. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A weak ETag as Dataverse sends it: `W/"<row version>"`. */
export const WEAK_ETAG = /^W\/"\d+"$/;

/**
 * A name no other test (or earlier run against a live org) uses: `<prefix>-<8 hex chars>`.
 * Deliberately not GUID-shaped, because the client treats a GUID-shaped key as a primary key.
 */
export function unique(prefix) {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** The row version inside a weak ETag, as a BigInt so large live-org versions compare exactly. */
export function etagVersion(etag) {
  const match = /^W\/"(\d+)"$/.exec(etag ?? "");
  if (!match) throw new Error(`not a weak ETag: ${JSON.stringify(etag)}`);
  return BigInt(match[1]);
}

/**
 * Remembers the records a test file creates and deletes them, newest first, through the client.
 * Records a test already deleted (404) are fine; any other failure is reported after all deletes ran,
 * so a live org is left as clean as possible.
 */
export class CreatedRecords {
  /** Pairs of entity set name and id, in creation order. */
  #records = [];

  /**
   * Tracks `id` in `collection` for cleanup and returns `id`, so a create call can be wrapped inline.
   * Anything but a string (a create that returned no id) is returned untracked for the test to reject.
   */
  add(collection, id) {
    if (typeof id === "string") this.#records.push({ collection, id });
    return id;
  }

  /** Deletes every tracked record with `client.deleteRecord`. */
  async deleteAll(client) {
    const failures = [];
    for (const { collection, id } of this.#records.reverse()) {
      try {
        await client.deleteRecord({ collection, key: id });
      } catch (error) {
        if (error?.status !== 404) failures.push(error);
      }
    }
    this.#records = [];
    if (failures.length) throw new AggregateError(failures, `cleanup: ${failures.length} delete(s) failed`);
  }
}

/** `<repo>/target/debug/dataverse-emulator`; this file lives in `<repo>/conformance-tests/node/lib/`. */
const DEFAULT_EMULATOR_BIN = new URL("../../../target/debug/dataverse-emulator", import.meta.url);

/** The emulator binary to spawn: DATAVERSE_EMULATOR_BIN, else the repo's debug build. */
export function emulatorBin() {
  return process.env.DATAVERSE_EMULATOR_BIN || decodeURIComponent(DEFAULT_EMULATOR_BIN.pathname);
}
