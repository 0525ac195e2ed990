// The web auditor's page: it takes a chain (a file from disk, a URL, or
// ?chain=URL in the address) and the checkpoints the member holds (files,
// or ?checkpoint=URL, repeatable), hands them to a worker that audits the
// chain against them, shows the progress, then the report: the same HTML as
// `commonstock audit --html`, and what `audit --checkpoint` says of each
// checkpoint.

const $ = (id) => document.getElementById(id);
const status = $("status");
const bar = $("bar");
const text = $("status-text");
let worker = null;
let saved = [];
// The checkpoints held: [{file} or {url}, with name]. They stay for every
// chain opened after them.
let held = [];
// The last chain opened, audited again when the checkpoints change.
let last = null;

const mb = (n) => (n / 1e6).toFixed(1);
const count = (n) => n.toLocaleString("en");

function state(s, message) {
  status.dataset.state = s;
  text.textContent = message;
}

function showHeld() {
  $("checkpoint-names").textContent = held.length
    ? `${held.length === 1 ? "1 checkpoint" : `${held.length} checkpoints`}: ${held.map((c) => c.name).join(", ")}`
    : "No checkpoint chosen.";
  $("clear-checkpoints").hidden = !held.length;
}

function showResults(results) {
  const list = $("checkpoint-list");
  list.replaceChildren(
    ...results.map((r) => {
      const li = document.createElement("li");
      li.dataset.state = r.state;
      li.textContent = r.line;
      return li;
    }),
  );
  $("checkpoint-results").hidden = !results.length;
}

function audit(message, name) {
  if (worker) worker.terminate();
  last = { message, name };
  for (const u of saved) URL.revokeObjectURL(u);
  saved = [];
  $("report").replaceChildren();
  $("actions").hidden = true;
  $("json-details").hidden = true;
  showResults([]);
  bar.removeAttribute("value");
  state("running", `Opening ${name}…`);
  const started = performance.now();
  worker = new Worker("worker.js", { type: "module" });
  worker.onerror = (e) => {
    bar.value = 0;
    state("error", `The auditor failed: ${e.message}`);
  };
  worker.onmessage = ({ data: m }) => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (m.type === "download") {
      bar.removeAttribute("value");
      state("running", `Downloading ${name}: ${mb(m.bytes)} MB`);
    } else if (m.type === "progress") {
      bar.value = m.total ? Math.round((1000 * m.bytes) / m.total) : 0;
      status.dataset.lines = m.lines;
      status.dataset.bytes = m.bytes;
      state("running",
        `Auditing ${name}: ${count(m.lines)} entries, ${mb(m.bytes)} of ${mb(m.total)} MB (${seconds} s)`);
    } else if (m.type === "done") {
      bar.value = 1000;
      status.dataset.ms = Math.round(m.ms);
      status.dataset.valid = m.valid;
      // The fragment is the library's report: every text from the chain in
      // it is escaped, and it has no script.
      $("report").innerHTML = m.fragment;
      $("json").textContent = m.json;
      $("dividends-json").textContent = m.dividends ?? "";
      $("json-details").hidden = false;
      const link = (id, body, type) => {
        const u = URL.createObjectURL(new Blob([body], { type }));
        saved.push(u);
        $(id).href = u;
      };
      link("save-html", m.page, "text/html");
      link("save-json", m.json, "application/json");
      $("actions").hidden = false;
      showResults(m.checkpoints);
      const against = m.checkpoints.length
        ? ` against ${m.checkpoints.length === 1 ? "1 checkpoint" : `${m.checkpoints.length} checkpoints`}`
        : "";
      state("done",
        `${m.valid ? "Valid" : "INVALID"}: ${name}, ${mb(m.total)} MB audited${against} in ${(m.ms / 1000).toFixed(2)} s`);
      worker.terminate();
      worker = null;
    } else if (m.type === "error") {
      bar.value = 0;
      state("error", m.message);
      worker.terminate();
      worker = null;
    }
  };
  worker.postMessage({
    ...message,
    name,
    specBase: new URL("../spec/", location.href).href,
    checkpoints: held.map(({ file, url, name }) => ({ file, url, name })),
  });
}

function auditFile(file) {
  if (file) audit({ file }, file.name);
}

function auditUrl(url) {
  const absolute = new URL(url, location.href).href;
  audit({ url: absolute }, url);
}

// Held checkpoints apply to the chain already shown too: it is audited again.
function hold(checkpoints) {
  held = checkpoints;
  showHeld();
  if (last) audit(last.message, last.name);
}

$("file").addEventListener("change", (e) => auditFile(e.target.files[0]));
$("checkpoints").addEventListener("change", (e) =>
  hold([...e.target.files].map((file) => ({ file, name: file.name }))));
$("clear-checkpoints").addEventListener("click", () => {
  $("checkpoints").value = "";
  hold([]);
});
$("open").addEventListener("submit", (e) => {
  e.preventDefault();
  const url = $("url").value.trim();
  if (url) auditUrl(url);
});
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  auditFile(e.dataTransfer.files[0]);
});

const query = new URLSearchParams(location.search);
held = query.getAll("checkpoint").map((u) => ({ url: new URL(u, location.href).href, name: u }));
showHeld();
const fromQuery = query.get("chain");
if (fromQuery) {
  $("url").value = fromQuery;
  auditUrl(fromQuery);
}
