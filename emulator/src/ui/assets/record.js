// Record editing: "Edit" turns the editable columns into inputs; "Save" sends the changed
// columns to the Web API as one PATCH with the ETag the page was read with, so the journal,
// webhooks and optimistic concurrency all see a real client's update.
"use strict";

(() => {
  const table = document.getElementById("record");
  const cells = [...table.querySelectorAll("td[data-edit]")];
  const [edit, save, cancel] = ["edit", "save", "cancel"].map((id) => document.getElementById(id));
  if (cells.length === 0) edit.hidden = true;

  function rawOf(cell) {
    const raw = cell.closest("tr").querySelector("td.raw").textContent;
    return raw === "null" ? null : raw;
  }

  function input(cell) {
    const raw = rawOf(cell);
    const kind = cell.dataset.edit;
    let control;
    if (cell.dataset.options) {
      control = UI.el("select");
      control.append(UI.el("option", { value: "" }, "—"));
      for (const [value, label] of JSON.parse(cell.dataset.options)) {
        const option = UI.el("option", { value: String(value) }, `${label} (${value})`);
        option.selected = raw !== null && String(value) === raw;
        control.append(option);
      }
    } else if (kind === "text") {
      control = UI.el("textarea", { rows: "1" });
      control.value = raw ?? "";
    } else {
      control = UI.el("input", { type: "text", inputmode: kind === "datetime" ? "text" : "decimal" });
      control.value = raw ?? "";
    }
    control.name = cell.dataset.property;
    control.dataset.original = control.value;
    control.classList.add("edit");
    return control;
  }

  /** The JSON value of an input for the column's kind. */
  function valueOf(control, kind) {
    const text = control.value;
    if (text === "") return null;
    switch (kind) {
      case "integer":
      case "choice":
        return Number.parseInt(text, 10);
      case "number":
        return Number(text);
      case "boolean":
        return text === "true";
      default:
        return text;
    }
  }

  edit.addEventListener("click", () => {
    for (const cell of cells) {
      cell.dataset.shown = cell.innerHTML;
      cell.replaceChildren(input(cell));
    }
    edit.hidden = true;
    save.hidden = cancel.hidden = false;
  });

  cancel.addEventListener("click", () => {
    for (const cell of cells) cell.innerHTML = cell.dataset.shown;
    edit.hidden = false;
    save.hidden = cancel.hidden = true;
    UI.show("record-error", "");
  });

  save.addEventListener("click", async () => {
    const changes = {};
    for (const cell of cells) {
      const control = cell.querySelector(".edit");
      if (control.value !== control.dataset.original) changes[cell.dataset.property] = valueOf(control, cell.dataset.edit);
    }
    if (Object.keys(changes).length === 0) {
      cancel.click();
      return;
    }
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (table.dataset.etag) headers["If-Match"] = table.dataset.etag;
    const url = `${UI.api}${table.dataset.set}(${table.dataset.id})`;
    document.getElementById("record-status").textContent = "Saving…";
    const answer = await UI.call(url, { method: "PATCH", headers, body: JSON.stringify(changes) });
    if (!answer.ok) {
      document.getElementById("record-status").textContent = `The Web API answered ${answer.status}.`;
      UI.show("record-error", UI.errorMessage(answer));
      return;
    }
    document.getElementById("record-status").textContent = "Saved.";
    location.reload();
  });
})();
