// The web auditor's page: it takes a chain (a file from disk, a URL, or
// ?chain=URL in the address), hands it to a worker that audits it, shows
// the progress, then the report: the same HTML as `commonstock audit --html`.

const $ = (id) => document.getElementById(id);
const status = $("status");
const bar = $("bar");
const text = $("status-text");
let worker = null;
let saved = [];

const mb = (n) => (n / 1e6).toFixed(1);
const count = (n) => n.toLocaleString("en");

function state(s, message) {
  status.dataset.state = s;
  text.textContent = message;
}

function audit(message, name) {
  if (worker) worker.terminate();
  for (const u of saved) URL.revokeObjectURL(u);
  saved = [];
  $("report").replaceChildren();
  $("actions").hidden = true;
  $("json-details").hidden = true;
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
      state("done",
        `${m.valid ? "Valid" : "INVALID"}: ${name}, ${mb(m.total)} MB audited in ${(m.ms / 1000).toFixed(2)} s`);
      worker.terminate();
      worker = null;
    } else if (m.type === "error") {
      bar.value = 0;
      state("error", m.message);
      worker.terminate();
      worker = null;
    }
  };
  worker.postMessage({ ...message, name, specBase: new URL("../spec/", location.href).href });
}

function auditFile(file) {
  if (file) audit({ file }, file.name);
}

function auditUrl(url) {
  const absolute = new URL(url, location.href).href;
  audit({ url: absolute }, url);
}

$("file").addEventListener("change", (e) => auditFile(e.target.files[0]));
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

const fromQuery = new URLSearchParams(location.search).get("chain");
if (fromQuery) {
  $("url").value = fromQuery;
  auditUrl(fromQuery);
}
