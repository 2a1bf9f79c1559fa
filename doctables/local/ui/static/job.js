// doctables review page, one job: selecting a cell highlights it over the page image and in the
// table; an unfinished job is polled until its result is ready.
(function () {
  "use strict";
  const root = document.getElementById("job");
  const selection = document.getElementById("selection");
  const selectionMeta = document.getElementById("selection-meta");
  const selectionText = document.getElementById("selection-text");
  let selected = null;

  function matches(key) {
    return document.querySelectorAll('[data-cell="' + CSS.escape(key) + '"]');
  }

  function describe(key) {
    const parts = key.split(":");
    const tableCell = document.querySelector('.grid [data-cell="' + CSS.escape(key) + '"]');
    if (!tableCell || !selection) return;
    const rows = Number(tableCell.getAttribute("rowspan") || 1);
    const cols = Number(tableCell.getAttribute("colspan") || 1);
    const facts = ["Table " + parts[0], "row " + (Number(parts[1]) + 1), "column " + (Number(parts[2]) + 1)];
    if (rows > 1 || cols > 1) facts.push("spans " + rows + " × " + cols);
    if (tableCell.tagName === "TH") facts.push("header");
    facts.push("confidence " + tableCell.dataset.confidence);
    if (tableCell.classList.contains("low")) facts.push("LOW");
    selectionMeta.textContent = facts.join(" · ");
    selectionText.textContent = tableCell.textContent || "(empty)";
    selection.hidden = false;
  }

  function select(key, origin) {
    document.querySelectorAll(".selected").forEach(function (node) { node.classList.remove("selected"); });
    selected = key;
    const nodes = matches(key);
    nodes.forEach(function (node) { node.classList.add("selected"); });
    describe(key);
    // Bring the counterpart into view: the table cell for a click on the page, and back.
    nodes.forEach(function (node) {
      const inOverlay = node instanceof SVGElement;
      if (origin && inOverlay !== (origin === "overlay")) {
        node.scrollIntoView({ block: inOverlay ? "center" : "nearest", inline: "nearest", behavior: "smooth" });
      }
    });
  }

  function hover(key, on) {
    matches(key).forEach(function (node) { node.classList.toggle("hover", on); });
  }

  document.addEventListener("click", function (event) {
    const target = event.target.closest ? event.target.closest("[data-cell]") : null;
    if (!target) return;
    select(target.dataset.cell || target.getAttribute("data-cell"), target instanceof SVGElement ? "overlay" : "table");
  });
  document.addEventListener("keydown", function (event) {
    const target = document.activeElement;
    if (!target || !target.matches || !target.matches("[data-cell]")) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(target.dataset.cell, "table");
    }
  });
  ["mouseover", "mouseout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      const target = event.target.closest ? event.target.closest("[data-cell]") : null;
      if (target) hover(target.getAttribute("data-cell"), type === "mouseover");
    });
  });
  document.querySelectorAll(".page-canvas img").forEach(function (img) {
    img.addEventListener("error", function () { img.parentElement.classList.add("missing"); });
  });

  // A job opens on its first page with a table (unless the address names a place already).
  if (!window.location.hash) {
    const pages = Array.from(document.querySelectorAll("figure.page[data-tables]"));
    const first = pages.find(function (page) { return Number(page.dataset.tables) > 0; });
    if (first && first !== pages[0]) first.scrollIntoView({ block: "start" });
  }

  // An unfinished job: follow it, and show the result once it is there.
  if (root && root.dataset.poll) {
    const progress = document.getElementById("job-progress");
    const pages = document.getElementById("job-pages");
    const status = document.getElementById("job-status");
    const tick = async function () {
      try {
        const answer = await fetch(root.dataset.statusUrl, { cache: "no-store" });
        if (answer.ok) {
          const job = await answer.json();
          if (job.result_ready) { window.location.reload(); return; }
          pages.textContent = job.pages.done + " / " + job.pages.total + (job.pages.failed ? " (" + job.pages.failed + " failed)" : "");
          status.textContent = job.status.replace(/_/g, " ").toLowerCase();
          document.getElementById("job-tables").textContent = job.tables;
          if (job.duration_s !== null) {
            const seconds = job.duration_s;
            document.getElementById("job-duration").textContent = seconds < 60 ? seconds.toFixed(1) + " s"
              : Math.floor(seconds / 60) + " min " + String(Math.round(seconds % 60)).padStart(2, "0") + " s";
          }
          status.className = "badge badge-" + job.status.toLowerCase();
          if (progress) { progress.max = job.pages.total || 1; progress.value = job.pages.done + job.pages.failed; }
        }
      } catch (err) { /* the next tick retries */ }
      setTimeout(tick, 1000);
    };
    setTimeout(tick, 1000);
  }
})();
