// The workbench's only script: send what-if edits, show the backtest, fill the save form.
"use strict";
(function () {
  const form = document.getElementById("whatif");
  if (!form) return;
  const result = document.getElementById("whatif-result");
  const save = document.getElementById("save");
  let timer = null;
  let seq = 0;

  function edits() {
    const out = [];
    form.querySelectorAll("input.pts").forEach(function (el) {
      if (el.value !== "" && el.value !== el.dataset.orig) {
        out.push({ op: "points", attribute: el.dataset.attr, bin: el.dataset.bin, points: Number(el.value) });
      }
    });
    const tiers = {};
    let changed = false;
    form.querySelectorAll("input[data-tier]").forEach(function (el) {
      tiers[el.dataset.tier] = Number(el.value);
      if (el.value !== el.dataset.orig) changed = true;
    });
    if (changed) out.push(Object.assign({ op: "tiers" }, tiers));
    form.querySelectorAll("input[data-remove-segment]:checked").forEach(function (el) {
      out.push({ op: "remove_segment", name: el.dataset.removeSegment });
    });
    form.querySelectorAll("input[data-remove-disqualifier]:checked").forEach(function (el) {
      out.push({ op: "remove_disqualifier", name: el.dataset.removeDisqualifier });
    });
    const rules = document.getElementById("hypo-rules").value.trim();
    if (rules) {
      const kind = document.getElementById("hypo-kind").value;
      const value = Number(document.getElementById("hypo-points").value || 0);
      const edit = { op: kind, name: document.getElementById("hypo-name").value, rules: rules };
      if (kind === "add_segment") edit.points = value; else edit.cap = value;
      out.push(edit);
    }
    return out;
  }

  function show(html) {
    result.innerHTML = html;
    result.setAttribute("aria-busy", "false");
  }

  function run() {
    const mine = ++seq;
    const body = JSON.stringify({ version: form.dataset.version || null, edits: edits() });
    result.setAttribute("aria-busy", "true");
    fetch(form.dataset.endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
      body: body,
    })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (res) {
        if (mine !== seq) return; // a newer edit is on its way
        if (res.ok) show(res.data.html);
        else {
          const p = document.createElement("p");
          p.className = "error";
          p.setAttribute("role", "alert");
          const err = res.data.error;
          p.textContent = (err && err.message) || err || "The backtest failed.";
          result.replaceChildren(p);
          result.setAttribute("aria-busy", "false");
        }
      });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(run, 350);
  }

  // Numbers and checkboxes re-run as they change; a hypothesis runs with its button (a
  // half-typed rule would only produce errors).
  function typed(e) {
    return e.target.id === "hypo-rules" || e.target.id === "hypo-name";
  }
  form.addEventListener("input", function (e) { if (!typed(e)) later(); });
  form.addEventListener("change", function (e) { if (!typed(e)) later(); });
  document.getElementById("run-whatif").addEventListener("click", run);
  document.getElementById("reset-whatif").addEventListener("click", function () {
    form.querySelectorAll("input[data-orig]").forEach(function (el) { el.value = el.dataset.orig; });
    form.querySelectorAll("input[type=checkbox]").forEach(function (el) { el.checked = false; });
    document.getElementById("hypo-rules").value = "";
    run();
  });
  if (save) {
    save.addEventListener("submit", function () {
      save.querySelector("input[name=edits]").value = JSON.stringify(edits());
    });
  }
})();
