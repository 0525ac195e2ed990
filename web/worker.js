// The web auditor's worker: it runs the audit (WebAssembly, the same code
// as `commonstock audit`) off the page's thread, reading the chain a chunk
// at a time, and posts progress, then the report. The checkpoint files are
// read and parsed first, as the command line does: one that breaks a rule
// is the error, before the chain is downloaded.
//
// Messages in:  {file: File} or {url: string}, with name, specBase and
// checkpoints: [{file: File} or {url: string}, with name].
// Messages out: {type: "download", bytes}, {type: "progress", lines, bytes,
// total}, {type: "done", ...the report}, {type: "error", message}.

import init, { audit, Checkpoints } from "./pkg/commonstock_web.js";

const ready = init();

// Downloads a chain, posting how much has come, into a Blob (which the
// browser may keep on disk rather than in memory).
async function download(url) {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  }
  const parts = [];
  let bytes = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    bytes += value.length;
    postMessage({ type: "download", bytes });
  }
  return new Blob(parts);
}

// A checkpoint file's bytes: a small file, read whole.
async function checkpointBytes({ file, url }) {
  if (file) return new Uint8Array(await file.arrayBuffer());
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

self.onmessage = async (event) => {
  const { file, url, name, specBase, checkpoints = [] } = event.data;
  try {
    await ready;
    // One after the other, as the command line reads them: `add` throws
    // `{name}: {error}` for a file that breaks a rule.
    const parsed = new Checkpoints();
    for (const c of checkpoints) parsed.add(c.name, await checkpointBytes(c));
    const blob = file ?? (await download(url));
    const total = blob.size;
    const files = new FileReaderSync();
    let offset = 0;
    const source = {
      read(max) {
        if (offset >= total) return new Uint8Array(0);
        const end = Math.min(total, offset + max);
        const chunk = files.readAsArrayBuffer(blob.slice(offset, end));
        offset = end;
        return new Uint8Array(chunk);
      },
      progress(lines, bytes) {
        postMessage({ type: "progress", lines, bytes, total });
      },
    };
    const started = performance.now();
    const result = audit(source, name, specBase, parsed);
    const ms = performance.now() - started;
    postMessage({
      type: "done",
      valid: result.valid,
      fragment: result.fragment,
      page: result.page,
      json: result.json,
      dividends: result.dividends ?? null,
      checkpoints: JSON.parse(result.checkpoints),
      total,
      ms,
    });
    result.free();
  } catch (e) {
    postMessage({ type: "error", message: String(e && e.message ? e.message : e) });
  }
};
