// The dashboard in a real browser: the grid (paging, sorting, a bad $filter's pointed
// error), a record edit that reaches the request journal, a main.aspx record URL, and user
// text that stays text. Each test saves a screenshot.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { launch, screenshot } from "../lib/browser.mjs";
import { startEmulator } from "../lib/emulator.mjs";

const FABRIKAM = "a0000000-0000-4000-8000-000000000001";
const PHONECALL = "d0000000-0000-4000-8000-000000000001";

let emulator;
let browser;

before(async () => {
  emulator = await startEmulator();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await emulator?.stop();
});

/** A new page that fails the test on any script error or CSP violation. */
async function open(path) {
  const page = await browser.context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && !/status of 4\d\d/.test(m.text()) && problems.push(`console error: ${m.text()}`));
  page.problems = problems;
  const response = await page.goto(`${emulator.base}${path}`);
  assert.equal(response.status(), 200, `GET ${path}`);
  return page;
}

async function webApi(method, path, body) {
  const res = await fetch(`${emulator.base}/api/data/v9.2/${path}`, {
    method,
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: body && JSON.stringify(body),
  });
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
  return res;
}

test("the grid lists records, sorts by a column and pages through @odata.nextLink", async () => {
  for (let i = 0; i < 27; i++) await webApi("POST", "accounts", { name: `Grid test ${String(i).padStart(2, "0")}` });
  const page = await open("/_emulator/ui/grid?org=default&etn=account");
  await page.locator("#grid tbody tr").first().waitFor();
  assert.equal(await page.locator("#grid tbody tr").count(), 25);
  assert.match(await page.locator("#grid-status").textContent(), /Records 1–25 of 30/);
  // Sorted by name ascending: "A. Datum Corporation" first.
  assert.equal(await page.locator("#grid tbody tr >> nth=0 >> td >> nth=0").textContent(), "A. Datum Corporation");
  await screenshot(page, "grid");

  await page.click("#next");
  await page.locator("#grid-status", { hasText: "Records 26–30 of 30" }).waitFor();
  assert.equal(await page.locator("#grid tbody tr").count(), 5);
  assert.equal(await page.locator("#page-number").textContent(), "2");
  await page.click("#prev");
  await page.locator("#grid-status", { hasText: "Records 1–25 of 30" }).waitFor();

  // Click the name header again: descending.
  await page.click('#grid thead th[data-column="name"]');
  await page.locator('#grid thead th[data-column="name"]', { hasText: "▼" }).waitFor();
  assert.equal(await page.locator("#grid tbody tr >> nth=0 >> td >> nth=0").textContent(), "Grid test 26");

  // The column chooser adds a column.
  await page.click("#column-chooser summary");
  await page.check("#col-accountnumber");
  await page.locator('#grid thead th[data-column="accountnumber"]').waitFor();
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("a bad $filter shows the parser's message pointing at the mistake", async () => {
  const page = await open("/main.aspx?pagetype=entitylist&etn=account");
  await page.locator("#grid tbody tr").first().waitFor();
  await page.fill("#filter", "name eqq 'Fabrikam'");
  await page.click("#apply");
  const error = page.locator("#grid-error");
  await error.waitFor({ state: "visible" });
  const text = await error.textContent();
  assert.match(text, /Syntax error at position 5 in 'name eqq 'Fabrikam''/);
  // The caret sits under "eqq".
  const lines = text.split("\n");
  const expr = lines.findIndex((l) => l.trim() === "name eqq 'Fabrikam'");
  assert.ok(expr > 0, text);
  assert.equal(lines[expr + 1].indexOf("^") - lines[expr].indexOf("n"), 5, text);
  await screenshot(page, "grid-filter-error");

  // A good filter clears the error and narrows the grid.
  await page.fill("#filter", "startswith(name,'Fabri')");
  await page.click("#apply");
  await error.waitFor({ state: "hidden" });
  await page.locator("#grid-status", { hasText: "of 1" }).waitFor();
  assert.equal(await page.locator("#grid tbody tr").count(), 1);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("editing a record PATCHes it through the Web API and the journal shows the request", async () => {
  const page = await open(`/_emulator/ui/record?org=default&etn=account&id=${FABRIKAM}`);
  await page.click("#edit");
  const phone = page.locator('tr[data-column="telephone1"] .edit');
  await phone.fill("+1 425 555 0142");
  await Promise.all([page.waitForNavigation(), page.click("#save")]);
  assert.equal(await page.locator('tr[data-column="telephone1"] td.value').textContent(), "+1 425 555 0142");
  const stored = await (await webApi("GET", `accounts(${FABRIKAM})?$select=telephone1`)).json();
  assert.equal(stored.telephone1, "+1 425 555 0142");

  const journal = await open("/_emulator/ui/journal");
  await journal.fill("#journal-search", "PATCH accounts");
  const row = journal.locator("#journal tbody tr", { hasText: "PATCH" }).first();
  await row.waitFor();
  assert.match(await row.textContent(), /204/);
  await row.click();
  const detail = journal.locator("#journal-detail");
  await detail.waitFor({ state: "visible" });
  assert.match(await detail.textContent(), /"telephone1": "\+1 425 555 0142"/);
  const curl = await journal.locator("#curl").textContent();
  assert.match(curl, new RegExp(`^curl -X PATCH '${emulator.base}/org/default/api/data/v9.2/accounts\\(${FABRIKAM}\\)'`));
  assert.match(curl, /--data-raw '\{"telephone1":"\+1 425 555 0142"\}'/);
  assert.match(curl, /-H 'if-match: W\/"\d+"'/);
  await screenshot(journal, "journal");
  assert.deepEqual([...page.problems, ...journal.problems], []);
  await page.close();
  await journal.close();
});

test("the journal shows a $batch's parts under it and links each part to its $batch", async () => {
  const part = (path) => `--b1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET /api/data/v9.2/${path} HTTP/1.1\r\nAccept: application/json\r\n\r\n`;
  const res = await fetch(`${emulator.base}/api/data/v9.2/$batch`, {
    method: "POST",
    headers: { "Content-Type": "multipart/mixed; boundary=b1" },
    body: `${part("accounts?$top=1&$select=name")}${part("contacts?$top=1&$select=fullname")}--b1--\r\n`,
  });
  assert.equal(res.status, 200, await res.text());

  const journal = await open("/_emulator/ui/journal");
  await journal.fill("#journal-search", "batch");
  const batchRow = journal.locator("#journal tbody tr", { hasText: "$batch" }).first();
  await batchRow.waitFor();
  // The $batch row, then its two parts in the order they ran, marked as parts.
  const rows = journal.locator("#journal tbody tr");
  const texts = await rows.allTextContents();
  const at = texts.findIndex((t) => t.includes("POST$batch"));
  assert.ok(at >= 0, texts.join("\n"));
  assert.match(texts[at + 1], /GET↳ accounts\?\$top=1/);
  assert.match(texts[at + 2], /GET↳ contacts\?\$top=1/);
  assert.equal(await rows.nth(at + 1).getAttribute("class"), "batch-part");
  const batchId = await batchRow.getAttribute("data-id");

  await rows.nth(at + 2).click();
  const links = journal.locator("#journal-batch");
  await links.waitFor();
  assert.equal(await links.textContent(), `Part of $batch #${batchId}`);
  await links.locator("button").click();
  await journal.locator("#journal-detail h2", { hasText: `#${batchId} POST $batch → 200` }).waitFor();
  assert.match(await journal.locator("#journal-batch").textContent(), /^2 parts: #\d+ GET accounts → 200, #\d+ GET contacts → 200$/);
  await screenshot(journal, "journal-batch");
  assert.deepEqual(journal.problems, []);
  await journal.close();
});

test("a main.aspx record URL renders the phone call with its parties and lookups", async () => {
  const page = await open(`/main.aspx?appid=00000000-0000-0000-0000-000000000001&pagetype=entityrecord&etn=phonecall&id=%7B${PHONECALL}%7D`);
  assert.equal(await page.locator("h1").textContent(), "Follow-up on order status");
  const parties = page.locator("#activity-parties tbody tr");
  assert.ok((await parties.count()) >= 1, "the phone call has activity parties");
  const link = page.locator("#activity-parties a.lookup").first();
  const href = await link.getAttribute("href");
  assert.match(href, /^\/_emulator\/ui\/record\?org=default&etn=(contact|account|systemuser|lead)&id=/);
  await screenshot(page, "record-page");
  await link.click();
  await page.waitForLoadState();
  assert.equal(await page.locator("#record").count(), 1);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("record text that looks like markup stays text", async () => {
  const name = `<img src=x onerror="document.title='pwned'">Evil & Co`;
  const res = await webApi("POST", "accounts", { name });
  const id = /\(([0-9a-f-]{36})\)/.exec(res.headers.get("odata-entityid"))[1];
  const record = await open(`/_emulator/ui/record?org=default&etn=account&id=${id}`);
  assert.equal(await record.locator("h1").textContent(), name);
  assert.equal(await record.locator("main img").count(), 0);
  const grid = await open(`/_emulator/ui/grid?org=default&etn=account`);
  await grid.fill("#filter", "startswith(name,'<img')");
  await grid.click("#apply");
  await grid.locator("#grid tbody td", { hasText: "Evil & Co" }).waitFor();
  assert.equal(await grid.locator("#grid img").count(), 0);
  assert.notEqual(await grid.title(), "pwned");
  assert.deepEqual([...record.problems, ...grid.problems], []);
  await record.close();
  await grid.close();
});

test("a fault rule can be switched off and on again from the faults view", async () => {
  const rule = { path: "accounts", status: 503, code: "0x80040216", message: "Injected by the browser test", times: 100 };
  const admin = (method, body) =>
    fetch(`${emulator.base}/_emulator/faults`, { method, headers: { "Content-Type": "application/json" }, body: body && JSON.stringify(body) }).then((r) => r.json());
  await admin("POST", { errors: [rule] });
  const page = await open("/_emulator/ui/webhooks");
  const row = page.locator('#faults tbody tr[data-kind="errors"]');
  await row.waitFor();
  assert.match(await row.textContent(), /Injected by the browser test/);
  assert.equal(await row.locator(".fault-toggle").isChecked(), true);
  await screenshot(page, "faults");

  await row.locator(".fault-toggle").uncheck();
  await page.locator('#faults tbody tr.off[data-kind="errors"]').waitFor();
  let settings = await admin("GET");
  assert.deepEqual(settings.errors, []);
  assert.equal(settings.active, false);

  await page.locator('#faults tbody tr.off[data-kind="errors"] .fault-toggle').check();
  await page.locator('#faults tbody tr:not(.off)[data-kind="errors"]').waitFor();
  settings = await admin("GET");
  assert.equal(settings.errors.length, 1);
  assert.equal(settings.errors[0].message, rule.message);
  assert.equal(settings.active, true);
  assert.equal(await page.locator("#faults tbody tr.off").count(), 0);
  await fetch(`${emulator.base}/_emulator/faults`, { method: "DELETE" });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test("an edit made on a record page reaches a registered webhook, shown among the deliveries", async () => {
  const received = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push(JSON.parse(body));
      res.writeHead(200).end();
    });
  });
  await new Promise((done) => receiver.listen(0, "127.0.0.1", done));
  const hookUrl = `http://127.0.0.1:${receiver.address().port}/api/hook`;
  try {
    const endpoint = await webApi("POST", "serviceendpoints", { name: "ui hook", contract: 8, authtype: 4, authvalue: "s3cret", messageformat: 2, url: hookUrl });
    const endpointId = /\(([0-9a-f-]{36})\)/.exec(endpoint.headers.get("odata-entityid"))[1];
    await webApi("POST", "sdkmessageprocessingsteps", {
      name: "on account update",
      stage: 40,
      mode: 0,
      rank: 1,
      filteringattributes: "name",
      "eventhandler_serviceendpoint@odata.bind": `/serviceendpoints(${endpointId})`,
      "sdkmessageid@odata.bind": "/sdkmessages(5b3d8c1e-2f4a-4e6b-9c7d-000000000501)",
      "sdkmessagefilterid@odata.bind": "/sdkmessagefilters(5b3d8c1e-2f4a-4e6b-9c7d-000000000601)",
    });
    const page = await open(`/_emulator/ui/record?org=default&etn=account&id=${FABRIKAM}`);
    await page.click("#edit");
    await page.locator('tr[data-column="name"] .edit').fill("Fabrikam (renamed in the browser)");
    await Promise.all([page.waitForNavigation(), page.click("#save")]);
    assert.equal(await page.locator("h1").textContent(), "Fabrikam (renamed in the browser)");
    // Synchronous steps are called before the PATCH is answered.
    assert.equal(received.length, 1);
    assert.equal(received[0].MessageName, "Update");

    const deliveries = await open("/_emulator/ui/webhooks");
    const row = deliveries.locator("#deliveries tbody tr", { hasText: hookUrl }).first();
    await row.waitFor();
    assert.match(await row.textContent(), /Update.*account.*200/);
    await row.click();
    await deliveries.locator("#delivery-detail", { hasText: "Fabrikam (renamed in the browser)" }).waitFor();
    await screenshot(deliveries, "webhook-deliveries");
    assert.deepEqual([...page.problems, ...deliveries.problems], []);
    await page.close();
    await deliveries.close();
  } finally {
    receiver.close();
  }
});

test("a page on another localhost origin can embed a main.aspx record page in a frame", async () => {
  // The embedding app is served from http://localhost:<port>, the emulator from 127.0.0.1: a
  // cross-origin frame that Content-Security-Policy frame-ancestors must allow.
  const recordUrl = `${emulator.base}/main.aspx?pagetype=entityrecord&etn=phonecall&id=${PHONECALL}`;
  const host = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" }).end(`<!DOCTYPE html><title>softphone</title><iframe id="crm" src="${recordUrl}" width="1000" height="600"></iframe>`);
  });
  await new Promise((done) => host.listen(0, "127.0.0.1", done));
  try {
    const page = await browser.context.newPage();
    await page.goto(`http://localhost:${host.address().port}/`);
    const frame = page.frameLocator("#crm");
    // A refused frame never shows the record: fail fast rather than at the default 30 s.
    await frame.locator("h1", { hasText: "Follow-up on order status" }).waitFor({ timeout: 5000 });
    assert.ok((await frame.locator("#activity-parties tbody tr").count()) >= 1);
    await screenshot(page, "embedded-record-page");
    await page.close();
  } finally {
    host.close();
  }
});
