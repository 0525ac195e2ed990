//! The command line as a user sees it: exit codes, outputs, reading from a
//! file, standard input and a web server on 127.0.0.1.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_commonstock");
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/commune.jsonl");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn tampered_example() -> tempfile_path::TempFile {
    let mut bytes = std::fs::read(EXAMPLE).unwrap();
    // the first digit of the first "amount": canonical still, signature broken
    let at = bytes.windows(9).position(|w| w == b"\"amount\":").unwrap() + 9;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    tempfile_path::TempFile::with(&bytes)
}

/// A file in the system's temporary folder, removed on drop.
mod tempfile_path {
    pub struct TempFile(pub std::path::PathBuf);
    impl TempFile {
        pub fn with(bytes: &[u8]) -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let p = std::env::temp_dir().join(format!(
                "commonstock-cli-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            std::fs::write(&p, bytes).unwrap();
            TempFile(p)
        }
        pub fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }
    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[test]
fn audit_of_the_example_is_valid() {
    let o = run(&["audit", EXAMPLE]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout(&o).starts_with("valid: "), "{}", stdout(&o));
}

#[test]
fn audit_of_a_tampered_chain_is_invalid_with_the_rule() {
    let t = tampered_example();
    let o = run(&["audit", t.path()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("INVALID"), "{out}");
    assert!(out.contains("SIG-6 at entry"), "{out}");
}

#[test]
fn audit_json_is_the_documented_report() {
    let o = run(&["audit", "--json", EXAMPLE]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "commonstock-audit-v1");
    assert_eq!(v["valid"], true);
    assert_eq!(v["integrity"], true);
    assert!(v["dividends"].as_array().unwrap().len() >= 24);
    assert!(v.get("statement").is_none());
    let t = tampered_example();
    let o = run(&["audit", "--json", t.path()]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["findings"][0]["rule"], "SIG-6");
}

#[test]
fn audit_report_has_the_statement() {
    let o = run(&["audit", "--report", EXAMPLE]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for section in [
        "cash:",
        "members:",
        "assets:",
        "bond series:",
        "rental agreements:",
        "arrears:",
    ] {
        assert!(out.contains(section), "missing {section}: {out}");
    }
    assert!(out.contains("outstanding principal"));
    let o = run(&["audit", "--report", "--json", EXAMPLE]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["statement"]["arrears"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["type"] == "rent" && a["days"].as_i64().unwrap() > 0)
    );
}

#[test]
fn audit_reads_standard_input() {
    let mut child = Command::new(BIN)
        .args(["audit", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(EXAMPLE).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let o = run(&["audit", "/nonexistent/chain.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/chain.jsonl"));
    assert_eq!(run(&["audit"]).status.code(), Some(2));
    assert_eq!(run(&["no-such-command"]).status.code(), Some(2));
}

/// Serves `body` once per connection on 127.0.0.1 for `n` connections.
fn serve(body: Vec<u8>, status: &'static str, n: usize) -> (String, std::thread::JoinHandle<()>) {
    serve_as(body, status, "application/jsonl", n)
}

/// [`serve`] with a Content-Type.
fn serve_as(
    body: Vec<u8>,
    status: &'static str,
    content_type: &'static str,
    n: usize,
) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let mut s = stream.unwrap();
            let mut req = [0u8; 4096];
            let _ = s.read(&mut req);
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    (format!("http://{addr}/commune.jsonl"), handle)
}

#[test]
fn audit_of_a_published_chain_over_http() {
    let (url, h) = serve(std::fs::read(EXAMPLE).unwrap(), "200 OK", 1);
    let o = run(&["audit", &url]);
    h.join().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout(&o).starts_with("valid: "));

    let (url, h) = serve(b"not found".to_vec(), "404 Not Found", 1);
    let o = run(&["audit", &url]);
    h.join().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("404"));
}

/// A web server that answers with a page instead of the chain (a login
/// page, a "not found" page with status 200, a 404): the chain could not
/// be had, which is an I/O error (exit 2), never an INVALID chain (exit 1).
#[test]
fn an_http_answer_that_is_not_a_chain_is_an_io_error() {
    let page = b"<!DOCTYPE html><html><body>Not here</body></html>\n".to_vec();
    for (status, content_type) in [
        ("200 OK", "text/html; charset=utf-8"),
        ("200 OK", "application/octet-stream"),
        ("404 Not Found", "text/html"),
    ] {
        for cmd in [&["audit"][..], &["log"], &["dividends"]] {
            let (url, h) = serve_as(page.clone(), status, content_type, 1);
            let mut args = cmd.to_vec();
            args.push(&url);
            let o = run(&args);
            h.join().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(
                o.status.code(),
                Some(2),
                "{cmd:?} {status} {content_type}: {err}"
            );
            assert!(
                err.contains(&url) && (err.contains("HTML page") || err.contains("404")),
                "{cmd:?} {status} {content_type}: {err}"
            );
            assert!(stdout(&o).is_empty(), "no verdict is printed");
        }
    }
}

/// Every reading command takes a URL, as `audit` does.
#[test]
fn reading_commands_accept_urls() {
    let chain = std::fs::read(EXAMPLE).unwrap();
    let (url, h) = serve(chain.clone(), "200 OK", 1);
    let o = run(&["log", "-n", "2", &url]);
    h.join().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let local = run(&["log", "-n", "2", EXAMPLE]);
    assert_eq!(stdout(&o), stdout(&local));
    assert_eq!(stdout(&o).lines().count(), 2);
    let (url, h) = serve(chain, "200 OK", 1);
    let o = run(&["dividends", "--json", &url]);
    h.join().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout, run(&["dividends", "--json", EXAMPLE]).stdout);
}

#[test]
fn dividends_table_in_three_forms() {
    let o = run(&["dividends", EXAMPLE]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("period"), "{out}");
    assert!(out.contains("2024-03"));
    let o = run(&["dividends", "--csv", EXAMPLE]);
    let csv = stdout(&o);
    let mut lines = csv.lines();
    let header = "period,currency,rent,income,service,expenses,carry_in,net,reserve,pool,member_days,eligible,dividend,carry_out,member,days,amount,paid,payable";
    assert_eq!(lines.next().unwrap(), header);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 19));
    // The currency in every row, amounts as decimals with the exponent's
    // two places, and every payout of the example paid in full.
    let decimal = |a: &str| {
        let (major, minor) = a.trim_start_matches('-').split_once('.').unwrap();
        !major.is_empty()
            && minor.len() == 2
            && a.bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    };
    for r in &rows {
        assert_eq!(r[1], "EUR", "{r:?}");
        for i in [2, 3, 4, 5, 6, 7, 8, 9, 12, 13] {
            assert!(decimal(r[i]), "column {i}: {r:?}");
        }
        if !r[14].is_empty() {
            assert!(decimal(r[16]) && r[16] == r[17] && r[18] == "0.00", "{r:?}");
        }
    }
    // --minor-units: the same table, amounts as integers of minor units.
    let o = run(&["dividends", "--csv", "--minor-units", EXAMPLE]);
    let minor: Vec<Vec<String>> = stdout(&o)
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    assert_eq!(minor.len(), rows.len());
    for (m, r) in minor.iter().zip(&rows) {
        for i in [2, 9, 12, 16, 17, 18] {
            if r[i].is_empty() {
                continue;
            }
            let n: i64 = m[i].parse().unwrap();
            assert_eq!(format!("{}.{:02}", n / 100, n % 100), r[i], "{m:?} {r:?}");
        }
    }
    assert_eq!(
        run(&["dividends", "--minor-units", EXAMPLE]).status.code(),
        Some(2)
    );
    let o = run(&["dividends", "--json", EXAMPLE]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "commonstock-dividends-v1");
    // the table is the one the audit report carries
    let a: serde_json::Value =
        serde_json::from_slice(&run(&["audit", "--json", EXAMPLE]).stdout).unwrap();
    assert_eq!(v["periods"], a["dividends"]);
    // every declared dividend of the example was paid
    assert!(
        v["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["payable"] == 0)
    );
    // what is payable per member and period: one per payout of every close
    let per = v["member_periods"].as_array().unwrap();
    let payouts: usize = v["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["payouts"].as_array().unwrap().len())
        .sum();
    assert_eq!(per.len(), payouts);
    assert!(
        per.iter()
            .all(|x| x["declared"] == x["paid"] && x["payable"] == 0)
    );
    let keys: Vec<(String, String)> = per
        .iter()
        .map(|x| {
            (
                x["member"].as_str().unwrap().into(),
                x["period"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by member, then period");
}

/// The example's first `n` lines.
fn example_prefix(n: usize) -> Vec<u8> {
    let bytes = std::fs::read(EXAMPLE).unwrap();
    let end = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(n - 1)
        .unwrap()
        .0;
    bytes[..=end].to_vec()
}

/// A state file path (the file starts empty; `--save` replaces it).
fn state_file() -> tempfile_path::TempFile {
    tempfile_path::TempFile::with(b"")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `audit --save` on a prefix of the example.
fn saved_prefix(n: usize) -> tempfile_path::TempFile {
    let prefix = tempfile_path::TempFile::with(&example_prefix(n));
    let state = state_file();
    let o = run(&["audit", "--save", state.path(), prefix.path()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with(&format!("valid: {n} entries")));
    assert!(std::fs::metadata(&state.0).unwrap().len() > 1000);
    state
}

#[test]
fn audit_resumes_from_a_saved_state_with_the_full_audits_output() {
    let state = saved_prefix(1000);
    for args in [
        &[][..],
        &["--json"][..],
        &["--report"][..],
        &["--report", "--json"][..],
    ] {
        let full = run(&[&["audit"], args, &[EXAMPLE]].concat());
        let resumed = run(&[&["audit", "--resume", state.path()], args, &[EXAMPLE]].concat());
        assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
        assert_eq!(stdout(&resumed), stdout(&full), "{args:?}");
        assert!(resumed.stderr.is_empty());
    }
    // --resume and --save together update the state: to the full audit's
    let full_state = state_file();
    run(&["audit", "--save", full_state.path(), EXAMPLE]);
    let o = run(&[
        "audit",
        "--resume",
        state.path(),
        "--save",
        state.path(),
        EXAMPLE,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (a, b) = (
        std::fs::read(&state.0).unwrap(),
        std::fs::read(&full_state.0).unwrap(),
    );
    assert!(a == b, "the updated state is the full audit's");
    // and resuming from it on the same chain gives the same again
    let o = run(&["audit", "--resume", state.path(), EXAMPLE]);
    assert_eq!(stdout(&o), stdout(&run(&["audit", EXAMPLE])));
}

/// The example with a digit of line `line`'s first amount changed: sound
/// framing, a broken signature.
fn example_tampered_at(line: usize) -> Vec<u8> {
    let bytes = std::fs::read(EXAMPLE).unwrap();
    let start = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(line - 2)
        .unwrap()
        .0
        + 1;
    let mut bytes = bytes;
    let at = start
        + bytes[start..]
            .windows(9)
            .position(|w| w == b"\"amount\":")
            .unwrap()
        + 9;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    bytes
}

#[test]
fn a_resumed_audit_of_an_invalid_chain_is_the_full_audits_and_saves_nothing() {
    let state = saved_prefix(1000);
    let before = std::fs::read(&state.0).unwrap();
    let bad = tempfile_path::TempFile::with(&example_tampered_at(1200));
    let full = run(&["audit", bad.path()]);
    assert_eq!(full.status.code(), Some(1));
    assert!(stdout(&full).contains("SIG-6"), "{}", stdout(&full));
    for args in [&[][..], &["--json"][..]] {
        let full = run(&[&["audit"], args, &[bad.path()]].concat());
        let o = run(&[
            &["audit", "--resume", state.path(), "--save", state.path()],
            args,
            &[bad.path()],
        ]
        .concat());
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(stdout(&o), stdout(&full));
        assert!(
            stderr(&o).contains("fails its integrity checks; no state saved"),
            "{}",
            stderr(&o)
        );
        assert_eq!(std::fs::read(&state.0).unwrap(), before);
    }
}

#[test]
fn a_chain_that_does_not_extend_the_saved_state_is_refused() {
    let state = saved_prefix(1000);
    // a line of the prefix changed
    let diverging = tempfile_path::TempFile::with(&example_tampered_at(500));
    let o = run(&["audit", "--resume", state.path(), diverging.path()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let e = stderr(&o);
    assert!(
        e.contains("line 501: the chain does not extend the saved state"),
        "{e}"
    );
    assert!(e.contains("audit it in full"), "{e}");
    // shorter than the prefix
    let short = tempfile_path::TempFile::with(&example_prefix(999));
    let o = run(&["audit", "--resume", state.path(), short.path()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the chain has 999 entries, fewer than the 1000"),
        "{}",
        stderr(&o)
    );
    // another commune's chain
    let other = commonstock::simulate::generate(&commonstock::simulate::Params::scaled(7, 2, 1, 1));
    let other = tempfile_path::TempFile::with(&other.builder().to_bytes());
    let o = run(&["audit", "--resume", state.path(), other.path()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the saved state is of commune"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_bad_state_file_is_refused() {
    let state = saved_prefix(20);
    let mut bytes = std::fs::read(&state.0).unwrap();
    let refused = |bytes: &[u8], want: &str| {
        let t = tempfile_path::TempFile::with(bytes);
        let o = run(&["audit", "--resume", t.path(), EXAMPLE]);
        assert_eq!(o.status.code(), Some(2));
        assert!(o.stdout.is_empty());
        let e = stderr(&o);
        assert!(e.contains(t.path()) && e.contains(want), "{e}");
    };
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    refused(&bytes, "corrupt state file");
    bytes[mid] ^= 1;
    refused(&bytes[..bytes.len() - 10], "corrupt state file");
    let next = commonstock::statefile::FORMAT_VERSION + 1;
    bytes[24..28].copy_from_slice(&next.to_le_bytes());
    refused(&bytes, &format!("format version {next}"));
    refused(
        &std::fs::read(EXAMPLE).unwrap(),
        "not a commonstock audit state file",
    );
    let o = run(&["audit", "--resume", "/nonexistent/audit.state", EXAMPLE]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/audit.state"));
}

#[test]
fn a_crash_while_saving_leaves_the_previous_state() {
    let state = saved_prefix(20);
    let before = std::fs::read(&state.0).unwrap();
    for fault in ["write:partial", "write:enospc"] {
        let o = Command::new(BIN)
            .args(["audit", "--save", state.path(), EXAMPLE])
            .env(commonstock::chainfile::FAULT_ENV, fault)
            .output()
            .unwrap();
        assert_ne!(o.status.code(), Some(0), "{fault}");
        assert_eq!(std::fs::read(&state.0).unwrap(), before, "{fault}");
    }
    // the aborted write's temporary file
    let name = state.0.file_name().unwrap().to_string_lossy().into_owned();
    for e in std::fs::read_dir(std::env::temp_dir()).unwrap().flatten() {
        if e.file_name()
            .to_string_lossy()
            .starts_with(&format!(".{name}.tmp."))
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[test]
fn audit_help_and_completions_know_save_and_resume() {
    let help = stdout(&run(&["audit", "--help"]));
    for want in [
        "--save <STATE>",
        "--resume <STATE>",
        "--resume audited.state",
    ] {
        assert!(help.contains(want), "{want} missing from:\n{help}");
    }
    let bash = stdout(&run(&["completions", "bash"]));
    assert!(bash.contains("--resume") && bash.contains("--save"));
}
