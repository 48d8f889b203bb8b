// The record grid: reads rows from the Web API with $select/$orderby/$filter and follows
// @odata.nextLink for paging. A rejected $filter shows the service's message, with a caret
// under the position it names.
"use strict";

(() => {
  const meta = JSON.parse(document.getElementById("grid-meta").textContent);
  const byName = new Map(meta.columns.map((c) => [c.name, c]));
  const stored = sessionStorage.getItem(`grid-columns:${UI.org}:${meta.table}`);
  const state = {
    columns: (stored ? JSON.parse(stored) : meta.defaults).filter((c) => byName.has(c)),
    sort: meta.primaryName ? { column: meta.primaryName, desc: false } : null,
    filter: "",
    pages: [], // URLs of the pages shown so far (the last is the current one)
  };

  function firstPageUrl() {
    const q = new URLSearchParams();
    const props = state.columns.map((c) => byName.get(c).property);
    if (!props.includes(meta.primaryId)) props.push(meta.primaryId);
    q.set("$select", props.join(","));
    if (state.sort) q.set("$orderby", `${byName.get(state.sort.column)?.property ?? state.sort.column}${state.sort.desc ? " desc" : ""}`);
    if (state.filter.trim()) q.set("$filter", state.filter.trim());
    q.set("$count", "true");
    return `${UI.api}${meta.entitySet}?${q.toString().replace(/\+/g, "%20")}`;
  }

  /** The service's message, and the expression with a caret under the position it names. */
  function pointed(message, expression) {
    const m = /position (\d+)/.exec(message);
    if (!m) return message;
    const at = Number(m[1]);
    return `${message}\n\n  ${expression}\n  ${" ".repeat(Math.min(at, expression.length))}^`;
  }

  /** Shows the page at `url`; `pages` is the page history once it has loaded. */
  async function load(url, pages) {
    document.getElementById("grid-status").textContent = "Loading…";
    const answer = await UI.call(url, { headers: { Accept: "application/json", Prefer: `odata.include-annotations="*",odata.maxpagesize=${meta.pageSize}` } });
    if (!answer.ok) {
      UI.show("grid-error", pointed(UI.errorMessage(answer), state.filter.trim()));
      document.getElementById("grid-status").textContent = `The Web API answered ${answer.status}.`;
      return false;
    }
    UI.show("grid-error", "");
    state.pages = pages;
    render(answer.json);
    return true;
  }

  function header() {
    const tr = UI.el("tr");
    for (const name of state.columns) {
      const col = byName.get(name);
      const arrow = state.sort?.column === name ? (state.sort.desc ? " ▼" : " ▲") : "";
      const th = UI.el("th", { "data-column": name, title: `Sort by ${name}` }, col.label + arrow);
      th.addEventListener("click", () => {
        state.sort = state.sort?.column === name && !state.sort.desc ? { column: name, desc: true } : { column: name, desc: false };
        restart();
      });
      tr.append(th);
    }
    const thead = document.querySelector("#grid thead");
    thead.replaceChildren(tr);
  }

  function cell(row, col) {
    const value = row[col.property];
    const formatted = row[`${col.property}@OData.Community.Display.V1.FormattedValue`];
    const td = UI.el("td", { "data-column": col.name });
    if (value === null || value === undefined) return td;
    const target = row[`${col.property}@Microsoft.Dynamics.CRM.lookuplogicalname`];
    if (col.lookup && target) {
      td.append(UI.el("a", { href: UI.link("record", { org: UI.org, etn: target, id: value }), class: "lookup" }, formatted ?? value));
    } else if (col.name === meta.primaryName) {
      td.append(UI.el("a", { href: UI.link("record", { org: UI.org, etn: meta.table, id: row[meta.primaryId] }), class: "record-link" }, formatted ?? value));
    } else {
      td.textContent = formatted ?? (typeof value === "object" ? JSON.stringify(value) : String(value));
    }
    return td;
  }

  function render(page) {
    header();
    const rows = page.value ?? [];
    const tbody = document.querySelector("#grid tbody");
    tbody.replaceChildren(
      ...rows.map((row) => {
        const tr = UI.el("tr", { "data-id": row[meta.primaryId] });
        tr.append(...state.columns.map((name) => cell(row, byName.get(name))));
        if (!state.columns.includes(meta.primaryName)) {
          const open = UI.el("td");
          open.append(UI.el("a", { href: UI.link("record", { org: UI.org, etn: meta.table, id: row[meta.primaryId] }), class: "record-link" }, "open"));
          tr.append(open);
        }
        return tr;
      }),
    );
    // Later pages may not repeat the count: keep the first page's.
    if (state.pages.length === 1) state.total = page["@odata.count"];
    const total = page["@odata.count"] ?? state.total;
    const first = (state.pages.length - 1) * meta.pageSize;
    document.getElementById("grid-status").textContent =
      rows.length === 0 ? "No records." : `Records ${first + 1}–${first + rows.length}${total !== undefined ? ` of ${total}` : ""}`;
    document.getElementById("page-number").textContent = String(state.pages.length);
    document.getElementById("prev").disabled = state.pages.length < 2;
    const next = document.getElementById("next");
    next.disabled = !page["@odata.nextLink"];
    next.dataset.url = page["@odata.nextLink"] ?? "";
  }

  async function restart() {
    const url = firstPageUrl();
    await load(url, [url]);
  }

  function chooser() {
    const list = document.getElementById("column-list");
    for (const col of meta.columns) {
      const id = `col-${col.name}`;
      const box = UI.el("input", { type: "checkbox", id, value: col.name });
      box.checked = state.columns.includes(col.name);
      box.addEventListener("change", () => {
        state.columns = meta.columns.map((c) => c.name).filter((n) => (n === col.name ? box.checked : state.columns.includes(n)));
        sessionStorage.setItem(`grid-columns:${UI.org}:${meta.table}`, JSON.stringify(state.columns));
        restart();
      });
      const label = UI.el("label", { for: id }, ` ${col.label} (${col.name})`);
      label.prepend(box);
      list.append(label);
    }
  }

  document.getElementById("grid-filter").addEventListener("submit", (e) => {
    e.preventDefault();
    state.filter = document.getElementById("filter").value;
    restart();
  });
  document.getElementById("next").addEventListener("click", async (e) => {
    const url = e.target.dataset.url;
    if (url) await load(url, [...state.pages, url]);
  });
  document.getElementById("prev").addEventListener("click", async () => {
    if (state.pages.length < 2) return;
    await load(state.pages[state.pages.length - 2], state.pages.slice(0, -1));
  });
  chooser();
  restart();
})();
