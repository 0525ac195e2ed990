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
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let mut s = stream.unwrap();
            let mut req = [0u8; 4096];
            let _ = s.read(&mut req);
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/jsonl\r\nConnection: close\r\n\r\n",
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
    assert_eq!(
        lines.next().unwrap(),
        "period,rent,income,service,expenses,carry_in,net,reserve,pool,member_days,eligible,dividend,carry_out,member,days,amount"
    );
    assert!(lines.all(|l| l.split(',').count() == 16));
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
}
