// Webhook deliveries and fault rules. A fault rule switched off is removed from the
// emulator's settings (POST /_emulator/faults without it) and kept in this browser's
// localStorage, so switching it on again posts it back unchanged.
"use strict";

(() => {
  const STASH = "dataverse-emulator:disabled-faults";
  const SINGLE = ["serviceProtection", "throttleNext", "latency"];
  const LISTS = ["errors", "drops"];
  let settings = null;

  const stash = () => JSON.parse(localStorage.getItem(STASH) ?? "[]");
  const keep = (list) => localStorage.setItem(STASH, JSON.stringify(list));

  async function post(body) {
    const answer = await UI.call("/_emulator/faults", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    UI.show("faults-error", answer.ok ? "" : UI.errorMessage(answer));
    return answer.ok;
  }

  async function toggle(rule, on) {
    const disabled = stash();
    let body;
    if (SINGLE.includes(rule.kind)) body = { [rule.kind]: on ? rule.value : null };
    else {
      const current = settings[rule.kind] ?? [];
      body = { [rule.kind]: on ? [...current, rule.value] : current.filter((_, i) => i !== rule.index) };
    }
    if (await post(body)) {
      if (on) keep(disabled.filter((d) => JSON.stringify(d) !== JSON.stringify({ kind: rule.kind, value: rule.value })));
      else keep([...disabled, { kind: rule.kind, value: rule.value }]);
    }
    await loadFaults();
  }

  function row(rule, on) {
    const tr = UI.el("tr", { "data-kind": rule.kind, class: on ? "" : "off" });
    const box = UI.el("input", { type: "checkbox", class: "fault-toggle", "aria-label": `${rule.kind} on` });
    box.checked = on;
    box.addEventListener("change", () => toggle(rule, box.checked));
    const td = UI.el("td");
    td.append(box);
    tr.append(td, UI.el("td", {}, rule.index === undefined ? rule.kind : `${rule.kind}[${rule.index}]`), UI.el("td", { class: "settings" }, JSON.stringify(rule.value)));
    return tr;
  }

  async function loadFaults() {
    const answer = await UI.call("/_emulator/faults");
    if (!answer.ok) {
      UI.show("faults-error", UI.errorMessage(answer));
      return;
    }
    settings = answer.json;
    const rows = [];
    for (const kind of SINGLE) if (settings[kind]) rows.push(row({ kind, value: settings[kind] }, true));
    for (const kind of LISTS) (settings[kind] ?? []).forEach((value, index) => rows.push(row({ kind, index, value }, true)));
    for (const d of stash()) rows.push(row({ kind: d.kind, value: d.value }, false));
    if (rows.length === 0) {
      const empty = UI.el("tr");
      empty.append(UI.el("td", { colspan: "3", class: "null" }, "No fault rules."));
      rows.push(empty);
    }
    document.querySelector("#faults tbody").replaceChildren(...rows);
    document.getElementById("faults-status").textContent = settings.active
      ? "Faults are active: requests to the Web API may be slowed, throttled, failed or dropped."
      : "No faults are active. Configure them with POST /_emulator/faults.";
  }

  /** A JSON body indented; anything else as it is. */
  function pretty(body) {
    try {
      return JSON.stringify(typeof body === "string" ? JSON.parse(body) : body, null, 2);
    } catch {
      return String(body ?? "");
    }
  }

  const MODES = { 0: "synchronous", 1: "asynchronous" };

  function detail(d) {
    const pane = document.getElementById("delivery-detail");
    pane.hidden = false;
    pane.replaceChildren(
      UI.el("h3", {}, `Delivery #${d.sequence}: ${d.message} ${d.entity} → ${d.url}`),
      UI.el("pre", { class: "headers" }, Object.entries(d.headers ?? {}).map(([k, v]) => `${k}: ${v}`).join("\n")),
      UI.el("pre", { class: "body" }, pretty(d.body)),
    );
  }

  async function loadDeliveries() {
    const answer = await UI.call("/_emulator/webhooks/deliveries");
    const tbody = document.querySelector("#deliveries tbody");
    if (!answer.ok) {
      const tr = UI.el("tr", { class: "failed" });
      tr.append(UI.el("td", { colspan: "8" }, UI.errorMessage(answer)));
      tbody.replaceChildren(tr);
      return;
    }
    tbody.replaceChildren(
      ...answer.json.value.reverse().map((d) => {
        const tr = UI.el("tr", { class: d.succeeded ? "" : "failed" });
        const result = d.succeeded ? `${d.status}` : `${d.status ?? ""} ${d.error ?? ""}`.trim();
        for (const text of [d.sequence, d.org, d.message, d.entity, MODES[d.mode] ?? d.mode, d.url, d.attempt, result]) tr.append(UI.el("td", {}, String(text ?? "")));
        tr.addEventListener("click", () => detail(d));
        return tr;
      }),
    );
  }

  document.getElementById("deliveries-refresh").addEventListener("click", loadDeliveries);
  document.getElementById("deliveries-clear").addEventListener("click", async () => {
    await UI.call("/_emulator/webhooks/deliveries", { method: "DELETE" });
    loadDeliveries();
  });
  loadFaults();
  loadDeliveries();
  setInterval(() => {
    loadDeliveries();
    loadFaults();
  }, 3000);
})();
