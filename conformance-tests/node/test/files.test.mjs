// File and image columns through the real dynamics-web-api 2.5.0 client: uploadFile (the chunked protocol:
// x-ms-transfer-mode init, absolute Location with a sessiontoken, Content-Range chunks, and the extra empty chunk
// the client sends when the size is a multiple of the chunk size), downloadFile (GET ?size=full with Range, JSON
// base64 chunks with Content-Disposition / x-ms-file-name / x-ms-file-size), and deleteRecord on a column.
// Wire facts: shared/reference/client-dynamics-web-api.md §4. The file column is the default org's
// account.new_document (a live org needs that custom column, so these tests run against the emulator only).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useTarget } from "../lib/harness.mjs";
import { unique } from "../lib/helpers.mjs";

/** Dataverse's recommended chunk size (x-ms-chunk-size), which the client uploads and downloads in. */
const CHUNK = 4 * 1024 * 1024;

/** `length` deterministic bytes. */
function bytes(length) {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + 7) % 256;
  return b;
}

describe("dynamics-web-api 2.5.0: file columns", { timeout: 120_000 }, () => {
  const suite = useTarget();
  const { created } = suite;

  async function account() {
    return created.add("accounts", await suite.dwa.create({ collection: "accounts", data: { name: unique("conf-files") } }));
  }

  it("uploads a small file and downloads it with its name and size", async (t) => {
    if (suite.target.kind !== "emulator") return t.skip("needs the default org's new_document column");
    const key = await account();
    const data = Buffer.from("hello from the conformance suite");
    await suite.dwa.uploadFile({ collection: "accounts", key, property: "new_document", fileName: "hello.txt", data });

    const record = await suite.dwa.retrieve({ collection: "accounts", key, select: ["new_document", "new_document_name"] });
    assert.equal(record.new_document_name, "hello.txt");
    assert.match(record.new_document, /^[0-9a-f-]{36}$/);

    const file = await suite.dwa.downloadFile({ collection: "accounts", key, property: "new_document" });
    assert.equal(file.fileName, "hello.txt");
    assert.equal(file.fileSize, data.length);
    assert.deepEqual(Buffer.from(file.data), data);
  });

  it("uploads and downloads a file over several chunks with an odd last chunk", async (t) => {
    if (suite.target.kind !== "emulator") return t.skip("needs the default org's new_document column");
    const key = await account();
    const data = bytes(2 * CHUNK + 123);
    await suite.dwa.uploadFile({ collection: "accounts", key, property: "new_document", fileName: "big.bin", data });
    const file = await suite.dwa.downloadFile({ collection: "accounts", key, property: "new_document" });
    assert.equal(file.fileSize, data.length);
    assert.ok(Buffer.from(file.data).equals(data), "the downloaded bytes match");
  });

  it("accepts the extra empty chunk after a file of exactly one chunk, and downloads it", async (t) => {
    if (suite.target.kind !== "emulator") return t.skip("needs the default org's new_document column");
    const key = await account();
    const data = bytes(CHUNK);
    await suite.dwa.uploadFile({ collection: "accounts", key, property: "new_document", fileName: "exact.bin", data });
    const file = await suite.dwa.downloadFile({ collection: "accounts", key, property: "new_document" });
    assert.equal(file.fileSize, CHUNK);
    assert.ok(Buffer.from(file.data).equals(data));
  });

  it("deletes a file column's value with deleteRecord and a property", async (t) => {
    if (suite.target.kind !== "emulator") return t.skip("needs the default org's new_document column");
    const key = await account();
    await suite.dwa.uploadFile({ collection: "accounts", key, property: "new_document", fileName: "gone.txt", data: Buffer.from("bye") });
    assert.equal(await suite.dwa.deleteRecord({ collection: "accounts", key, property: "new_document" }), true);
    const record = await suite.dwa.retrieve({ collection: "accounts", key, select: ["new_document", "new_document_name"] });
    assert.equal(record.new_document, null);
    assert.equal(record.new_document_name, null);
  });

  it("uploads an image to entityimage and reads the full size back", async (t) => {
    if (suite.target.kind !== "emulator") return t.skip("a live org resizes the thumbnail and checks the pixels");
    const key = await account();
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), bytes(200)]);
    await suite.dwa.uploadFile({ collection: "accounts", key, property: "entityimage", fileName: "logo.png", data: png });
    const record = await suite.dwa.retrieve({ collection: "accounts", key, select: ["entityimage", "entityimageid"] });
    assert.equal(record.entityimage, png.toString("base64"));
    const file = await suite.dwa.downloadFile({ collection: "accounts", key, property: "entityimage" });
    assert.equal(file.fileName, "logo.png");
    assert.ok(Buffer.from(file.data).equals(png));
    assert.equal(await suite.dwa.deleteRecord({ collection: "accounts", key, property: "entityimage" }), true);
  });
});
