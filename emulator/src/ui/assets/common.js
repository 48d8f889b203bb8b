// Shared helpers for the dashboard's pages. Everything data-driven is put on the page with
// textContent or through esc(), never as raw HTML: records hold user text.
"use strict";

const UI = {
  org: document.body.dataset.org,
  api: document.body.dataset.api,
  base: document.body.dataset.ui,

  /** Escapes text for HTML. */
  esc(text) {
    return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  },

  /** A dashboard link: page plus query parameters. */
  link(page, params) {
    const q = new URLSearchParams(params).toString();
    return `${UI.base}${page}${q ? "?" + q : ""}`;
  },

  /** Calls a URL and returns {ok, status, headers, json, text}; never throws for HTTP errors. */
  async call(url, options = {}) {
    const res = await fetch(url, { cache: "no-store", ...options });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { ok: res.ok, status: res.status, headers: res.headers, json, text };
  },

  /** The message of an error answer (Web API or admin API shape), else the status line. */
  errorMessage(answer) {
    return answer.json?.error?.message ?? `HTTP ${answer.status}: ${answer.text.slice(0, 500)}`;
  },

  /** Shows `message` in the element `id` (hidden when empty). */
  show(id, message) {
    const el = document.getElementById(id);
    el.textContent = message ?? "";
    el.hidden = !message;
  },

  /** A DOM element with text content and attributes. */
  el(tag, attrs = {}, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v !== undefined && v !== null) e.setAttribute(k, v);
    }
    if (text !== undefined) e.textContent = text;
    return e;
  },
};
