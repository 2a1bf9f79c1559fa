// doctables review page: the job list (polled from /api/jobs) and uploads. Every text from a
// document or a file name is put in with textContent, never as HTML.
(function () {
  "use strict";
  const table = document.getElementById("jobs");
  const body = document.getElementById("jobs-body");
  const updated = document.getElementById("jobs-updated");
  const input = document.getElementById("file-input");
  const dropzone = document.getElementById("dropzone");
  const statusList = document.getElementById("upload-status");
  const endpoint = table.dataset.endpoint;
  const maxBytes = Number(dropzone.dataset.maxBytes || 0);
  const pending = new Map(); // job id -> file name, until the job shows up in the list
  let timer = null;
  let lastJobs = [];

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 60) return seconds.toFixed(1) + " s";
    const whole = Math.round(seconds);
    const minutes = Math.floor(whole / 60);
    if (minutes < 60) return minutes + " min " + String(whole % 60).padStart(2, "0") + " s";
    return Math.floor(minutes / 60) + " h " + String(minutes % 60).padStart(2, "0") + " min";
  }

  function humanBytes(count) {
    const units = ["bytes", "KiB", "MiB", "GiB"];
    let value = count, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return unit ? value.toFixed(1) + " " + units[unit] : value + " bytes";
  }

  function jobRow(job) {
    const row = el("tr", "job-row status-" + job.status.toLowerCase());
    row.dataset.job = job.job_id;
    const doc = el("td", "doc");
    const link = el("a", "doc-link", job.file);
    link.href = "/jobs/" + encodeURIComponent(job.job_id);
    doc.append(link, el("div", "sub mono", job.job_id));
    const status = el("td");
    status.append(el("span", "badge badge-" + job.status.toLowerCase(), job.status.replace(/_/g, " ").toLowerCase()));
    const pages = el("td", "pages");
    const bar = document.createElement("progress");
    bar.max = job.pages.total || 1;
    bar.value = job.pages.total ? job.pages.done + job.pages.failed : 0;
    pages.append(bar, el("span", "count", job.pages.done + " / " + job.pages.total));
    if (job.pages.failed) pages.append(" ", el("span", "warn", job.pages.failed + " failed"));
    const started = el("td");
    const time = el("time", null, (job.created_at || "").replace("T", " ").slice(0, 19));
    time.dateTime = job.created_at || "";
    started.append(time);
    const error = el("td", "error");
    if (job.error) error.append(el("span", "err-code", job.error.code), " ", el("span", "err-msg", job.error.message));
    row.append(doc, status, pages, el("td", "num", job.tables), started, el("td", "num", duration(job.duration_s)), error);
    return row;
  }

  function pendingRow(jobId, name) {
    const row = el("tr", "job-row status-uploaded");
    row.dataset.job = jobId;
    const doc = el("td", "doc");
    doc.append(el("span", "doc-link", name), el("div", "sub mono", jobId));
    const status = el("td");
    status.append(el("span", "badge badge-uploaded", "uploaded"));
    const note = el("td", "muted", "waiting for the pipeline…");
    note.colSpan = 5;
    row.append(doc, status, note);
    return row;
  }

  let shown = null; // what the table shows, to leave it alone while nothing changes

  function render(jobs) {
    const signature = JSON.stringify([jobs, Array.from(pending)]);
    if (signature === shown) return;
    shown = signature;
    const rows = [];
    const listed = new Set(jobs.map(function (job) { return job.job_id; }));
    for (const [jobId, name] of pending) {
      if (listed.has(jobId)) pending.delete(jobId);
      else rows.push(pendingRow(jobId, name));
    }
    for (const job of jobs) rows.push(jobRow(job));
    if (!rows.length) {
      const empty = el("tr", "empty-row");
      const cell = el("td", null, "No jobs yet: upload a document above.");
      cell.colSpan = 7;
      empty.append(cell);
      rows.push(empty);
    }
    body.replaceChildren.apply(body, rows);
  }

  function busy() {
    return pending.size > 0 || lastJobs.some(function (job) { return !job.result_ready; });
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const answer = await fetch(endpoint, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      const data = await answer.json();
      lastJobs = data.jobs;
      render(lastJobs);
      updated.textContent = "newest first · updated " + new Date().toLocaleTimeString();
    } catch (err) {
      updated.textContent = "cannot reach the server (" + err.message + "); retrying";
    }
    timer = setTimeout(refresh, document.hidden ? 5000 : (busy() ? 1000 : 4000));
  }

  function note(text, kind) {
    const item = el("li", kind || null, text);
    statusList.prepend(item);
    while (statusList.children.length > 5) statusList.lastElementChild.remove();
    return item;
  }

  async function upload(file) {
    if (maxBytes && file.size > maxBytes) {
      note(file.name + ": larger than the limit of " + humanBytes(maxBytes) + ", not uploaded", "bad");
      return;
    }
    const item = note("Uploading " + file.name + " (" + humanBytes(file.size) + ")…");
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const answer = await fetch("/api/uploads", { method: "POST", body: form, headers: { "X-Doctables-Upload": "1" } });
      const data = await answer.json().catch(function () { return {}; });
      if (!answer.ok) throw new Error(data.message || ("HTTP " + answer.status));
      pending.set(data.job_id, data.name);
      item.textContent = "Uploaded " + data.name + " as " + data.key + "; job " + data.job_id + " appears below once conversion starts.";
      item.className = "ok";
      item.dataset.job = data.job_id;
      refresh();
    } catch (err) {
      item.textContent = file.name + ": upload failed: " + err.message;
      item.className = "bad";
    }
  }

  function uploadAll(files) {
    Array.from(files || []).forEach(upload);
  }

  input.addEventListener("change", function () {
    uploadAll(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (type) {
    dropzone.addEventListener(type, function (event) {
      event.preventDefault();
      dropzone.classList.add("dragging");
    });
  });
  ["dragleave", "dragend"].forEach(function (type) {
    dropzone.addEventListener(type, function () { dropzone.classList.remove("dragging"); });
  });
  dropzone.addEventListener("drop", function (event) {
    event.preventDefault();
    dropzone.classList.remove("dragging");
    uploadAll(event.dataTransfer && event.dataTransfer.files);
  });
  // A file dropped beside the zone must not make the browser navigate away to it.
  window.addEventListener("dragover", function (event) { event.preventDefault(); });
  window.addEventListener("drop", function (event) { event.preventDefault(); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });

  refresh();
})();
