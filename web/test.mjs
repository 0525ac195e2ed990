// The web auditor in a real browser (issue 13): headless Chromium loads
// web/index.html from a static server on 127.0.0.1, audits the example
// commune (opened as a file, as a person would) and every conformance
// chain case (by URL, with the checkpoints its header holds), and the test
// compares what the page shows with what the native CLI prints for the
// same bytes: the verdict, the counts, the first finding's rule and entry,
// a dividend figure, the cash, the whole JSON report and dividend table
// byte for byte, and what `audit --checkpoint` says of each checkpoint. It
// checks that checkpoints chosen as files stay for every chain opened
// after them (by file, URL or drop), that a malformed checkpoint is the
// CLI's error, and that a withheld entry is CKP-3. It also opens the page
// `commonstock audit --html` writes and checks its charts and that it
// makes no request. Screenshots go to web/out/.
//
// Usage: node web/test.mjs [--cases N] [--big CHAIN]
//   COMMONSTOCK  the native binary (default: target/release/commonstock)
//   CHROMIUM     the browser (default: /usr/bin/chromium)
// --cases N audits only every N-th case (all by default); --big CHAIN also
// audits CHAIN in the page, reporting the time, the progress seen and how
// responsive the page stayed, against the CLI's time.
//
// Prints one line per check and "N passed, N failed"; exits 1 on a failure.

import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { createServer } from "node:http";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const web = fileURLToPath(new URL(".", import.meta.url));
const root = resolve(web, "..");
const cli = resolve(root, process.env.COMMONSTOCK ?? "target/release/commonstock");
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const every = Number(option("--cases") ?? 1);
const big = option("--big");
const out = join(web, "out");
mkdirSync(out, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), "commonstock-web-"));

let passed = 0;
let failed = 0;
function check(name, fn) {
  try {
    fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e.message}`);
  }
}
function equal(found, expected, what) {
  if (found !== expected) {
    throw new Error(`${what}: page ${JSON.stringify(found)}, CLI ${JSON.stringify(expected)}`);
  }
}

// A case file: header, empty line, data; `expand` applied; and its
// checkpoint files, each a `checkpoint:` header's value and LF
// (test-vectors/README.md).
function caseFile(bytes) {
  const split = bytes.indexOf("\n\n");
  const header = bytes.subarray(0, split).toString("utf8");
  let data = bytes.subarray(split + 2);
  const checkpoints = header
    .split("\n")
    .filter((l) => l.startsWith("checkpoint: "))
    .map((l) => `${l.slice(12)}\n`);
  const expand = header.split("\n").find((l) => l.startsWith("expand: "));
  if (expand) {
    const [offset, count, hex] = expand.slice(8).split(" ");
    const unit = Buffer.from(hex, "hex");
    const run = Buffer.alloc(unit.length * Number(count));
    for (let i = 0; i < Number(count); i++) unit.copy(run, i * unit.length);
    data = Buffer.concat([data.subarray(0, Number(offset)), run, data.subarray(Number(offset))]);
  }
  return { chain: data, checkpoints };
}

// The `--checkpoint` arguments for checkpoint files.
const checkpointArgs = (files) => files.flatMap((f) => ["--checkpoint", f]);

// What the CLI prints for a chain file audited against checkpoint files:
// the JSON report with the statement, the dividend table (empty when the
// integrity fails), and the lines the text report has under
// `checkpoints:` (its indent removed), one a checkpoint.
function native(file, checkpoints = []) {
  const run = (more) => spawnSync(cli, ["audit", ...more, ...checkpointArgs(checkpoints), file], { maxBuffer: 1 << 30 });
  const audit = run(["--json", "--report"]);
  if (audit.status !== 0 && audit.status !== 1) {
    throw new Error(`${cli} audit ${file}: exit ${audit.status}: ${audit.stderr}`);
  }
  const dividends = spawnSync(cli, ["dividends", "--json", file], { maxBuffer: 1 << 30 });
  let lines = [];
  if (checkpoints.length) {
    const text = run([]).stdout.toString().split("\n");
    const from = text.indexOf("checkpoints:");
    if (from < 0) throw new Error(`${cli} audit ${file}: no "checkpoints:" in its text report`);
    lines = text.slice(from + 1, from + 1 + checkpoints.length).map((l) => l.replace(/^ {2}/, ""));
  }
  return {
    text: audit.stdout.toString(),
    json: JSON.parse(audit.stdout),
    dividends: dividends.stdout.toString(),
    checkpoints: checkpoints.map((f, i) => ({ file: f, line: lines[i] })),
  };
}

// What the CLI prints when it refuses to audit (exit 2): its message
// without the "commonstock: " it starts with. Run in `cwd`, so that the
// files it names are named as the page names them.
function refused(cwd, args) {
  const r = spawnSync(cli, args, { cwd });
  if (r.status !== 2) throw new Error(`${cli} ${args.join(" ")}: exit ${r.status}, not 2`);
  return r.stderr.toString().replace(/^commonstock: /, "").replace(/\n$/, "");
}

// A checkpoint file of `size` entries with head `head` (the CLI's base64url
// strings) signed by `key` (not a member's: who signed is for authority,
// not for CKP-3): spec §7.1, §7.2.
function checkpointFile(commune, size, head, key) {
  const be = Buffer.alloc(8);
  be.writeBigUInt64BE(BigInt(size));
  const message = Buffer.concat([
    Buffer.from("commonstock v1 checkpoint signature\0", "ascii"),
    Buffer.from(commune, "base64url"),
    be,
    Buffer.from(head, "base64url"),
  ]);
  const public_ = key.publicKey.export({ format: "jwk" }).x;
  const sig = sign(null, message, key.privateKey).toString("base64url");
  return `{"commune":"${commune}","head":"${head}","sigs":[{"key":"${public_}","sig":"${sig}"}],"size":${size},"v":1}\n`;
}

// The static server: the repository (for web/, spec/ and examples/) and the
// scratch folder under /scratch/.
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".md": "text/markdown; charset=utf-8",
  ".png": "image/png",
};
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const [base, rel] = path.startsWith("/scratch/") ? [scratch, path.slice(9)] : [root, path.slice(1)];
  const file = normalize(join(base, rel));
  if (!file.startsWith(base + sep) && file !== base) {
    res.writeHead(403).end();
    return;
  }
  try {
    const body = readFileSync(file);
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: browserPath,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const page = await browser.newPage({ viewport: { width: 1200, height: 1350 } });
const consoleErrors = [];
let errorsExpected = false;
page.on("console", (m) => m.type() === "error" && !errorsExpected && consoleErrors.push(m.text()));
page.on("pageerror", (e) => consoleErrors.push(String(e)));

// Waits for the page's audit to end; returns what the DOM shows.
async function shown(timeout = 120_000) {
  await page.waitForSelector("#status[data-state=done], #status[data-state=error]", { timeout });
  return page.evaluate(() => {
    const q = (s) => document.querySelector(s);
    const v = q("#cs-verdict");
    const first = q("#cs-findings-table tbody tr");
    const periods = [...document.querySelectorAll("#cs-periods tbody tr")].map((r) => r.dataset);
    const members = [...document.querySelectorAll("#cs-member-dividends tbody tr")].map((r) => ({ ...r.dataset }));
    return {
      state: q("#status").dataset.state,
      status: q("#status-text").textContent,
      valid: v?.dataset.valid,
      entries: v?.dataset.entries,
      signatures: v?.dataset.signatures,
      findings: v?.dataset.findings,
      firstRule: first?.dataset.rule ?? null,
      firstEntry: first ? first.dataset.entry : null,
      lastPeriod: periods.length ? { ...periods[periods.length - 1] } : null,
      members,
      cash: q("#cs-summary dd[data-key=cash] span")?.dataset.minor ?? null,
      charts: [...document.querySelectorAll("#report figure svg")].length,
      json: q("#json").textContent,
      dividends: q("#dividends-json").textContent,
      held: q("#checkpoint-names").textContent,
      checkpoints: [...document.querySelectorAll("#checkpoint-list li")].map((li) => ({
        state: li.dataset.state,
        line: li.textContent,
      })),
      reportShown: q("#report").childElementCount > 0,
    };
  });
}

// Marks the audit shown as old, so that `shown` waits for the next one.
async function stale() {
  await page.evaluate(() => {
    document.querySelector("#status").dataset.state = "stale";
  });
}

// The page's report against the CLI's for the same bytes; `names` are the
// page's names of the checkpoint files the CLI was given (by path).
function compare(name, dom, cli, names = []) {
  check(`${name}: the audit finished`, () => equal(dom.state, "done", `state (${dom.status})`));
  check(`${name}: verdict and counts`, () => {
    const r = cli.json;
    equal(dom.valid, String(r.valid), "valid");
    equal(dom.entries, String(r.entries), "entries");
    equal(dom.signatures, String(r.signatures), "signatures");
    equal(dom.findings, String(r.findings.length), "findings");
  });
  check(`${name}: first finding`, () => {
    const f = cli.json.findings[0];
    equal(dom.firstRule, f ? f.rule : null, "rule");
    equal(dom.firstEntry, f ? (f.entry === null ? "" : String(f.entry)) : null, "entry");
  });
  const periods = cli.json.dividends;
  if (periods.length) {
    check(`${name}: dividend figures`, () => {
      const last = periods[periods.length - 1];
      equal(dom.lastPeriod?.period, last.period, "last period");
      equal(dom.lastPeriod?.dividend, String(last.dividend), "dividend per member");
      equal(dom.lastPeriod?.pool, String(last.pool), "pool");
      const table = JSON.parse(cli.dividends);
      equal(dom.members.length, table.members.length, "members with dividends");
      for (const [i, m] of table.members.entries()) {
        equal(dom.members[i].member, m.member, `member ${i}`);
        equal(dom.members[i].declared, String(m.declared), `${m.member} declared`);
        equal(dom.members[i].paid, String(m.paid), `${m.member} paid`);
      }
    });
  }
  if (cli.json.statement) {
    check(`${name}: statement cash`, () => equal(dom.cash, String(cli.json.statement.cash), "cash"));
  }
  check(`${name}: JSON report and dividend table byte for byte`, () => {
    equal(dom.json, cli.text, "JSON report");
    equal(dom.dividends, cli.dividends, "dividend table");
  });
  // (a chain audited without checkpoints lists none: checked only if it does)
  if (!cli.checkpoints.length && !dom.checkpoints.length) return;
  check(`${name}: what each checkpoint says (${cli.checkpoints.length})`, () => {
    equal(dom.checkpoints.length, cli.checkpoints.length, "checkpoints listed");
    for (const [i, c] of cli.checkpoints.entries()) {
      // the CLI names the file by its path, the page by its name
      const prefix = `${c.file}: `;
      if (!c.line?.startsWith(prefix)) throw new Error(`CLI line ${JSON.stringify(c.line)}`);
      const said = c.line.slice(prefix.length);
      equal(dom.checkpoints[i].line, `${names[i]}: ${said}`, `checkpoint ${i}`);
      const state = said.startsWith("agrees ") ? "agrees" : said.startsWith("DISAGREES: ") ? "disagrees" : "unchecked";
      equal(dom.checkpoints[i].state, state, `checkpoint ${i} state`);
    }
  });
}

// 1. The example commune, opened from disk through the file input.
{
  const file = join(root, "examples/commune.jsonl");
  await page.goto(`${origin}/web/index.html`);
  await page.setInputFiles("#file", file);
  const dom = await shown();
  compare("example (file)", dom, native(file));
  check("example (file): three charts", () => equal(dom.charts, 3, "charts"));
  await page.screenshot({ path: join(out, "web-auditor.png") });
  await page.screenshot({ path: join(out, "web-auditor-full.png"), fullPage: true });
}

// 2. Every conformance chain case (or every N-th, and always these and
// those with checkpoints), by URL: ?chain=..., and ?checkpoint=... for each
// of its checkpoint headers (the CLI gets them as --checkpoint files).
const always = [
  "DIV-2_pool_one_too_high.case",
  "SIG-6_flipped_bit.case",
  "valid_commune_life.case",
  "valid_dividends_deficit_and_recovery.case",
];
{
  const dir = join(root, "test-vectors/chains");
  const names = readdirSync(dir).filter((n) => n.endsWith(".case")).sort();
  let audited = 0;
  let withCheckpoints = 0;
  let casesWithCheckpoints = 0;
  for (const [i, n] of names.entries()) {
    const { chain, checkpoints } = caseFile(readFileSync(join(dir, n)));
    if (checkpoints.length) casesWithCheckpoints++;
    if (i % every !== 0 && !always.includes(n) && !checkpoints.length) continue;
    const name = n.replace(/\.case$/, ".jsonl");
    writeFileSync(join(scratch, name), chain);
    const held = checkpoints.map((c, j) => {
      const file = n.replace(/\.case$/, `.${j}.checkpoint`);
      writeFileSync(join(scratch, file), c);
      return file;
    });
    const query = [`chain=${encodeURIComponent(`/scratch/${name}`)}`]
      .concat(held.map((f) => `checkpoint=${encodeURIComponent(`/scratch/${f}`)}`))
      .join("&");
    await page.goto(`${origin}/web/index.html?${query}`);
    const dom = await shown();
    compare(n, dom, native(join(scratch, name), held.map((f) => join(scratch, f))), held.map((f) => `/scratch/${f}`));
    if (held.length) {
      check(`${n}: the page names its checkpoints`, () =>
        equal(dom.held, `${held.length === 1 ? "1 checkpoint" : `${held.length} checkpoints`}: ${held.map((f) => `/scratch/${f}`).join(", ")}`, "names"));
      withCheckpoints++;
    }
    audited++;
  }
  check(`conformance cases audited in the page: ${audited}, ${withCheckpoints} with their checkpoints`, () => {
    if (audited < Math.min(names.length, names.length / every + always.length - 1)) throw new Error(`only ${audited}`);
    if (casesWithCheckpoints < 6 || withCheckpoints !== casesWithCheckpoints) {
      throw new Error(`${withCheckpoints} of ${casesWithCheckpoints} cases with checkpoints`);
    }
  });
  await page.goto(`${origin}/web/index.html?chain=${encodeURIComponent("/scratch/DIV-2_pool_one_too_high.jsonl")}`);
  await shown();
  await page.screenshot({ path: join(out, "web-auditor-invalid.png"), fullPage: true });
}

// 3. A chain that is not there: a clear error, not a hang.
{
  errorsExpected = true; // the browser logs the 404
  await page.goto(`${origin}/web/index.html?chain=/scratch/no-such-chain.jsonl`);
  const dom = await shown();
  errorsExpected = false;
  check("missing chain: an error naming it", () => {
    equal(dom.state, "error", "state");
    if (!dom.status.includes("404")) throw new Error(dom.status);
  });
}

// 4. Checkpoints a member holds, chosen as files: the example commune and
// its first entries (as if the rest were withheld), against a checkpoint of
// the whole chain and one of the prefix. Chosen before the chain, they stay
// for every chain opened after them, by file, URL or drop.
{
  const file = join(root, "examples/commune.jsonl");
  const lines = readFileSync(file).toString("utf8").split("\n");
  const size = 1000;
  const short = "commune-first-1000.jsonl";
  writeFileSync(join(scratch, short), `${lines.slice(0, size).join("\n")}\n`);
  const whole = native(file).json;
  const prefix = native(join(scratch, short)).json;
  const key = generateKeyPairSync("ed25519");
  const held = ["whole.checkpoint", "first-1000.checkpoint"];
  writeFileSync(join(scratch, held[0]), checkpointFile(whole.commune, whole.entries, whole.head, key));
  writeFileSync(join(scratch, held[1]), checkpointFile(prefix.commune, size, prefix.head, key));
  const paths = held.map((f) => join(scratch, f));

  await page.goto(`${origin}/web/index.html`);
  await page.setInputFiles("#checkpoints", paths);
  const before = await page.evaluate(() => ({
    state: document.querySelector("#status").dataset.state,
    names: document.querySelector("#checkpoint-names").textContent,
    label: document.querySelector("label[for=checkpoints]")?.textContent.trim(),
  }));
  check("checkpoints chosen: named, nothing audited yet", () => {
    equal(before.names, `2 checkpoints: ${held.join(", ")}`, "names");
    equal(before.state, "idle", "state");
    if (!before.label?.startsWith("Checkpoints (optional)")) throw new Error(`label ${JSON.stringify(before.label)}`);
  });

  await page.setInputFiles("#file", file);
  let dom = await shown();
  compare("example with checkpoints (file)", dom, native(file, paths), held);
  check("example with checkpoints (file): valid, both agree", () => {
    equal(dom.valid, "true", "valid");
    equal(dom.checkpoints.map((c) => c.state).join(), "agrees,agrees", "states");
    if (!dom.status.includes("against 2 checkpoints")) throw new Error(dom.status);
  });
  await page.screenshot({ path: join(out, "web-auditor-checkpoints.png") });

  const withheld = native(join(scratch, short), paths);
  check("first 1000 entries against the whole chain's checkpoint: the CLI says CKP-3", () => {
    equal(withheld.json.valid, false, "valid");
    equal(withheld.json.findings[0]?.rule, "CKP-3", "rule");
  });
  const expectWithheld = (how, dom) => {
    compare(`first 1000 entries with checkpoints (${how})`, dom, withheld, held);
    check(`first 1000 entries with checkpoints (${how}): INVALID, CKP-3, the whole chain's checkpoint disagrees`, () => {
      equal(dom.valid, "false", "valid");
      equal(dom.firstRule, "CKP-3", "rule");
      equal(dom.checkpoints.map((c) => c.state).join(), "disagrees,agrees", "states");
      if (!dom.status.startsWith("INVALID: ")) throw new Error(dom.status);
    });
  };

  // by URL, typed in the form
  await page.fill("#url", `${origin}/scratch/${short}`);
  await stale();
  await page.click("#go");
  expectWithheld("URL", await shown());

  // dropped on the page
  const bytes = readFileSync(join(scratch, short)).toString("utf8");
  await stale();
  await page.evaluate(
    ([name, text]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], name));
      document.querySelector("#drop").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    [short, bytes],
  );
  dom = await shown();
  expectWithheld("drop", dom);
  await page.screenshot({ path: join(out, "web-auditor-withheld.png") });

  // cleared: the chain shown is audited again, without them
  await stale();
  await page.click("#clear-checkpoints");
  dom = await shown();
  compare("first 1000 entries, checkpoints cleared", dom, native(join(scratch, short)));
  check("checkpoints cleared: none named, none listed", () => {
    equal(dom.held, "No checkpoint chosen.", "names");
    equal(dom.checkpoints.length, 0, "listed");
  });
}

// 5. A malformed checkpoint file: the CLI's error, word for word, in the
// page's status, and no audit (as a file, then by URL); a checkpoint URL
// that is not there: an error naming it.
{
  const chain = join(root, "examples/commune.jsonl");
  const bad = "malformed.checkpoint";
  writeFileSync(join(scratch, bad), '{"commune":"AAAA","head":"AAAA","sigs":[],"size":0,"v":1}\n');
  const noLf = "no-lf.checkpoint";
  writeFileSync(join(scratch, noLf), readFileSync(join(scratch, "whole.checkpoint")).subarray(0, -1));

  const expected = refused(scratch, ["audit", "--checkpoint", "whole.checkpoint", "--checkpoint", bad, chain]);
  await page.goto(`${origin}/web/index.html`);
  await page.setInputFiles("#checkpoints", [join(scratch, "whole.checkpoint"), join(scratch, bad)]);
  await page.setInputFiles("#file", chain);
  let dom = await shown();
  check(`malformed checkpoint (file): the CLI's error (${expected})`, () => {
    if (!expected.startsWith(`${bad}: CKP-`)) throw new Error(`CLI: ${expected}`);
    equal(dom.state, "error", "state");
    equal(dom.status, expected, "message");
    equal(dom.reportShown, false, "a report shown");
  });

  const cliNoLf = refused(scratch, ["audit", "--checkpoint", noLf, chain]);
  await page.goto(`${origin}/web/index.html?chain=/examples/commune.jsonl&checkpoint=/scratch/${noLf}`);
  dom = await shown();
  check(`malformed checkpoint (URL): the CLI's error (${cliNoLf})`, () => {
    if (!cliNoLf.startsWith(`${noLf}: ENC-2`)) throw new Error(`CLI: ${cliNoLf}`);
    equal(dom.state, "error", "state");
    equal(dom.status, `/scratch/${cliNoLf}`, "message");
  });

  errorsExpected = true; // the browser logs the 404
  await page.goto(`${origin}/web/index.html?chain=/examples/commune.jsonl&checkpoint=/scratch/no-such.checkpoint`);
  dom = await shown();
  errorsExpected = false;
  check("missing checkpoint: an error naming it", () => {
    equal(dom.state, "error", "state");
    if (!dom.status.includes("no-such.checkpoint") || !dom.status.includes("404")) throw new Error(dom.status);
  });
}

// 6. The page `commonstock audit --html` writes: it opens with its charts,
// shows the CLI's verdict and makes no request.
{
  const file = join(root, "examples/commune.jsonl");
  const report = join(scratch, "report.html");
  spawnSync(cli, ["audit", "--html", report, file]);
  const requests = [];
  const p = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  p.on("request", (r) => requests.push(r.url()));
  await p.goto(`${origin}/scratch/report.html`);
  const dom = await p.evaluate(() => ({
    valid: document.querySelector("#cs-verdict")?.dataset.valid,
    entries: document.querySelector("#cs-verdict")?.dataset.entries,
    charts: ["cs-chart-cash", "cs-chart-periods", "cs-chart-members"].map((id) => {
      const svg = document.querySelector(`#${id} svg`);
      const box = svg?.getBoundingClientRect();
      return svg ? { w: Math.round(box.width), h: Math.round(box.height), shapes: svg.querySelectorAll("path, rect").length } : null;
    }),
    scripts: document.scripts.length,
  }));
  const cliJson = native(file).json;
  check("--html: verdict and entries", () => {
    equal(dom.valid, String(cliJson.valid), "valid");
    equal(dom.entries, String(cliJson.entries), "entries");
  });
  check("--html: three charts drawn as SVG", () => {
    for (const c of dom.charts) {
      if (!c || c.w < 300 || c.h < 100 || c.shapes < 1) throw new Error(JSON.stringify(dom.charts));
    }
  });
  check("--html: no script, no request but the page", () => {
    equal(dom.scripts, 0, "scripts");
    equal(JSON.stringify(requests), JSON.stringify([`${origin}/scratch/report.html`]), "requests");
  });
  await p.screenshot({ path: join(out, "html-report.png"), fullPage: true });
  await p.close();
}

// 7. Optionally a large chain: time in the page (with its progress) and the
// CLI's, and how long the page took to answer while the worker ran.
if (big) {
  const file = resolve(big);
  const name = "big.jsonl";
  rmSync(join(scratch, name), { force: true });
  execFileSync("ln", ["-s", file, join(scratch, name)]);
  const t0 = performance.now();
  const cliResult = native(file);
  const cliMs = performance.now() - t0;
  const t1 = performance.now();
  spawnSync(cli, ["audit", "--json", "--report", file], { maxBuffer: 1 << 30 });
  const cliAuditMs = performance.now() - t1;
  await page.goto(`${origin}/web/index.html`);
  // the page's own measure of how long its thread was kept from running
  await page.evaluate(() => {
    window.longestStall = 0;
    let last = performance.now();
    setInterval(() => {
      const now = performance.now();
      if (document.querySelector("#status").dataset.state === "running") {
        window.longestStall = Math.max(window.longestStall, now - last - 50);
      }
      last = now;
    }, 50);
  });
  const started = performance.now();
  await page.setInputFiles("#file", file);
  const seen = new Set();
  let worst = 0;
  let shot = false;
  for (;;) {
    const t = performance.now();
    const s = await page.evaluate(() => {
      const s = document.querySelector("#status");
      return { state: s.dataset.state, lines: s.dataset.lines };
    });
    worst = Math.max(worst, performance.now() - t);
    if (s.lines) seen.add(s.lines);
    if (!shot && s.lines && Number(s.lines) > 20000) {
      await page.screenshot({ path: join(out, "big-progress.png") });
      shot = true;
    }
    if (s.state !== "running") break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  const pageMs = performance.now() - started;
  const dom = await shown();
  compare(`big chain (${(statSync(file).size / 1e6).toFixed(0)} MB)`, dom, cliResult);
  const inWorker = Number(await page.evaluate(() => document.querySelector("#status").dataset.ms));
  const stall = await page.evaluate(() => window.longestStall);
  check("big chain: progress was shown", () => {
    if (seen.size < 5) throw new Error(`${seen.size} progress values seen`);
  });
  console.log(
    `# big chain: ${cliResult.json.entries} entries; page ${(pageMs / 1000).toFixed(1)} s ` +
      `(audit in the worker ${(inWorker / 1000).toFixed(1)} s), CLI audit --json --report ${(cliAuditMs / 1000).toFixed(1)} s; ` +
      `${seen.size} progress values seen; the page's longest stall ${stall.toFixed(0)} ms, ` +
      `slowest answer to the test ${worst.toFixed(0)} ms`,
  );
}

check("no error in the page's console", () => {
  if (consoleErrors.length) throw new Error(consoleErrors.slice(0, 3).join(" | "));
});

await browser.close();
server.close();
rmSync(scratch, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
