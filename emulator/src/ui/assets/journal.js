// The live request journal: polls /_emulator/journal for entries newer than the last one
// seen, filters them on the page, and shows one entry's request and response with a
// "copy as curl" command that replays it.
"use strict";

(() => {
  const POLL_MS = 1000;
  const KEEP = 500;
  const NOT_REPLAYED = ["host", "content-length", "connection", "accept-encoding", "accept-language", "authorization", "user-agent", "origin", "referer", "pragma", "cache-control"];
  const entries = [];
  let since = 0;
  let selected = null;

  const search = document.getElementById("journal-search");
  const live = document.getElementById("journal-live");

  function matches(e, words) {
    const hay = `${e.id} ${e.method} ${e.path} ${e.query} ${e.status ?? "dropped"} ${String(e.status ?? "").slice(0, 1)}xx ${e.operation ?? ""} ${e.table ?? ""} ${e.org ?? ""} ${e.fault ?? ""} ${e.batch ? `batch:${e.batch}` : ""}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  }

  /** Newest first, each `$batch` followed by its parts in the order they ran. A part whose
   *  `$batch` is filtered out (or no longer kept) stands in its own place. */
  function ordered(list) {
    const present = new Set(list.map((e) => e.id));
    const parts = new Map();
    for (const e of list) {
      if (e.batch && present.has(e.batch)) parts.set(e.batch, [...(parts.get(e.batch) ?? []), e]);
    }
    const out = [];
    for (const e of [...list].reverse()) {
      if (e.batch && present.has(e.batch)) continue;
      out.push(e, ...(parts.get(e.id) ?? []));
    }
    return out;
  }

  function byId(id) {
    return entries.find((e) => e.id === id);
  }

  /** A button showing entry `id` in the detail pane (plain text when it is no longer kept). */
  function entryLink(id, text) {
    const target = byId(id);
    if (!target) return UI.el("span", {}, `${text} (no longer kept)`);
    const b = UI.el("button", { type: "button", class: "link", "data-entry": id }, text);
    b.addEventListener("click", () => detail(target));
    return b;
  }

  /** For a `$batch`: its parts; for a part: the `$batch` it was sent in. */
  function batchLinks(e) {
    const nav = UI.el("p", { id: "journal-batch", class: "batch-links" });
    if (e.batch) {
      nav.append("Part of ", entryLink(e.batch, `$batch #${e.batch}`));
      return nav;
    }
    const parts = entries.filter((p) => p.batch === e.id);
    if (!parts.length) return null;
    nav.append(`${parts.length} part${parts.length === 1 ? "" : "s"}: `);
    parts.forEach((p, i) => {
      if (i) nav.append(", ");
      nav.append(entryLink(p.id, `#${p.id} ${p.method} ${p.path} → ${p.status ?? "dropped"}`));
    });
    return nav;
  }

  function render() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const tbody = document.querySelector("#journal tbody");
    const shown = ordered(entries.filter((e) => matches(e, words)));
    tbody.replaceChildren(
      ...shown.map((e) => {
        const classes = [e.status >= 400 || e.status === null ? "failed" : "", selected === e.id ? "selected" : "", e.batch ? "batch-part" : ""];
        const tr = UI.el("tr", { "data-id": e.id, class: classes.join(" ").trim() });
        const path = (e.batch ? "↳ " : "") + (e.query ? `${e.path}?${e.query}` : e.path);
        for (const text of [e.id, e.timestamp.slice(11, 23), e.org ?? "", e.method, path, e.status ?? "dropped", e.operation ?? "", e.durationMs]) tr.append(UI.el("td", {}, String(text)));
        tr.addEventListener("click", () => detail(e));
        return tr;
      }),
    );
    document.getElementById("journal-status").textContent = `${shown.length} of ${entries.length} requests shown`;
  }

  /** A shell word in single quotes. */
  function quote(text) {
    return `'${String(text).replace(/'/g, `'\\''`)}'`;
  }

  function curl(e) {
    const host = e.requestHeaders.host ?? location.host;
    const parts = [`curl -X ${e.method} ${quote(`${location.protocol}//${host}${e.url}`)}`];
    for (const [name, value] of Object.entries(e.requestHeaders)) {
      // What the browser adds on its own, and the (redacted) token, are left out.
      if (NOT_REPLAYED.includes(name) || name.startsWith("sec-")) continue;
      parts.push(`-H ${quote(`${name}: ${value}`)}`);
    }
    if (e.requestBody) parts.push(`--data-raw ${quote(e.requestBody)}`);
    return parts.join(" \\\n  ");
  }

  function section(title, headers, body, truncated) {
    const s = UI.el("div");
    s.append(UI.el("h3", {}, title));
    s.append(UI.el("pre", { class: "headers" }, Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join("\n")));
    let text = body ?? "";
    try {
      if (text) text = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not JSON: shown as it is
    }
    s.append(UI.el("pre", { class: "body" }, text + (truncated ? "\n… (cut)" : "")));
    return s;
  }

  function detail(e) {
    selected = e.id;
    const pane = document.getElementById("journal-detail");
    pane.hidden = false;
    const command = curl(e);
    const copy = UI.el("button", { type: "button", id: "copy-curl" }, "Copy as curl");
    const shown = UI.el("pre", { id: "curl", class: "curl" }, command);
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(command);
        copy.textContent = "Copied";
      } catch {
        // No clipboard (insecure origin, denied permission): select the text instead.
        getSelection().selectAllChildren(shown);
        copy.textContent = "Selected: press Ctrl+C";
      }
    });
    pane.replaceChildren(
      UI.el("h2", {}, `#${e.id} ${e.method} ${e.path} → ${e.status ?? "dropped"}${e.errorCode ? ` (${e.errorCode})` : ""}${e.fault ? ` [fault: ${e.fault}]` : ""}`),
      ...[batchLinks(e)].filter(Boolean),
      copy,
      shown,
      section("Request", e.requestHeaders, e.requestBody, e.requestBodyTruncated),
      section("Response", e.responseHeaders, e.responseBody, e.responseBodyTruncated),
    );
    render();
  }

  async function poll() {
    if (live.checked) {
      const answer = await UI.call(`/_emulator/journal?since=${since}&limit=${KEEP}&bodyLimit=65536`).catch(() => null);
      if (answer?.ok) {
        const fresh = answer.json.entries;
        if (fresh.length) {
          entries.push(...fresh);
          entries.splice(0, Math.max(0, entries.length - KEEP));
          since = fresh[fresh.length - 1].id;
          render();
        }
      } else if (answer) {
        document.getElementById("journal-status").textContent = UI.errorMessage(answer);
      }
    }
    setTimeout(poll, POLL_MS);
  }

  search.addEventListener("input", render);
  document.getElementById("journal-filter").addEventListener("submit", (e) => e.preventDefault());
  document.getElementById("journal-clear").addEventListener("click", async () => {
    await UI.call("/_emulator/journal", { method: "DELETE" });
    entries.length = 0;
    render();
  });
  render();
  poll();
})();
