//! The conformance suite (issue 6): the committed vectors are exactly what
//! the generator writes, every case and table row agrees with the library,
//! every rule has a passing and a failing item, and the runner passes our
//! own binary and catches deliberately wrong adapters.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use commonstock::Rule;
use commonstock::canonical::{self, Value};
use commonstock::conformance::{self, Case, Expect};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test-vectors")
}

fn generated() -> Vec<(String, Vec<u8>)> {
    conformance::generate()
}

fn cases(files: &[(String, Vec<u8>)]) -> Vec<Case> {
    files
        .iter()
        .filter_map(|(p, b)| {
            let name = p.strip_prefix("chains/")?.strip_suffix(".case")?;
            Some(Case::parse(name, b).unwrap_or_else(|e| panic!("{p}: {e}")))
        })
        .collect()
}

fn table_rows(files: &[(String, Vec<u8>)]) -> Vec<(String, canonical::Object)> {
    let mut out = Vec::new();
    for (p, b) in files.iter().filter(|(p, _)| p.starts_with("tables/")) {
        let v = canonical::parse(b).unwrap_or_else(|e| panic!("{p}: {e}"));
        let o = v.as_object().unwrap();
        let table = o.get("table").and_then(Value::as_str).unwrap().to_string();
        for r in o.get("rows").and_then(Value::as_array).unwrap() {
            out.push((table.clone(), r.as_object().unwrap().clone()));
        }
    }
    out
}

#[test]
fn regenerating_gives_the_committed_files() {
    let files = generated();
    let again = generated();
    assert_eq!(files, again, "the generator is not deterministic");
    for (rel, bytes) in &files {
        let on_disk = std::fs::read(vectors().join(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}; run `cargo run --example gen_vectors`"));
        assert!(
            on_disk == *bytes,
            "{rel} differs from the generator's output; run `cargo run --example gen_vectors`"
        );
    }
    // and nothing stale is left in the generated directories
    for sub in ["chains", "tables"] {
        for e in std::fs::read_dir(vectors().join(sub)).unwrap() {
            let rel = format!("{sub}/{}", e.unwrap().file_name().to_string_lossy());
            assert!(
                files.iter().any(|(f, _)| *f == rel),
                "{rel} is not generated any more"
            );
        }
    }
}

#[test]
fn generated_files_stay_small() {
    let total: usize = generated().iter().map(|(_, b)| b.len()).sum();
    assert!(total < 3_000_000, "generated vectors take {total} bytes");
}

#[test]
fn case_files_round_trip() {
    for c in cases(&generated()) {
        let again = Case::parse(&c.name, &c.to_bytes()).unwrap();
        assert_eq!(again, c);
    }
}

#[test]
fn every_case_agrees_with_the_library() {
    let mut wrong = Vec::new();
    for c in cases(&generated()) {
        let got = conformance::library_verdict(&c).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        if got != c.expect {
            wrong.push(format!(
                "{}: expected {:?}, library gives {:?}",
                c.name, c.expect, got
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_table_row_agrees_with_the_library() {
    let mut wrong = Vec::new();
    let rows = table_rows(&generated());
    assert!(rows.len() > 100);
    for (t, r) in &rows {
        if let Err(e) = conformance::check_row(t, r) {
            let name = r.get("name").and_then(Value::as_str).unwrap_or("?");
            wrong.push(format!("{t}/{name}: {e}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn spec_worked_examples_are_in_the_tables() {
    // the four hashes of `{}` printed in spec/03-hashing.md §3.3
    let spec =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/03-hashing.md"))
            .unwrap();
    let rows = table_rows(&generated());
    let braces: Vec<_> = rows
        .iter()
        .filter(|(t, r)| {
            t == "hashing" && r.get("input_hex").and_then(Value::as_str) == Some("7b7d")
        })
        .collect();
    assert_eq!(braces.len(), 4);
    for (_, r) in braces {
        let h = r.get("hash_hex").and_then(Value::as_str).unwrap();
        assert!(spec.contains(h), "{h} is not the spec's value");
    }
}

/// Rule id → (has a passing item, has a failing item).
fn coverage(files: &[(String, Vec<u8>)]) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let mut cov: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for c in cases(files) {
        match &c.expect {
            Expect::Valid => {
                for r in &c.covers {
                    cov.entry(r.clone()).or_default().0.push(c.name.clone());
                }
            }
            Expect::Invalid { rule, .. } => {
                assert!(
                    c.covers.contains(rule),
                    "{}: covers must name the rule it breaks",
                    c.name
                );
                cov.entry(rule.clone()).or_default().1.push(c.name.clone());
            }
        }
    }
    for (t, r) in table_rows(files) {
        let name = format!("{t}/{}", r.get("name").and_then(Value::as_str).unwrap());
        let expect = r.get("expect").and_then(Value::as_str).unwrap_or("value");
        let covers: Vec<&str> = r
            .get("covers")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{name}: no covers"))
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        if expect == "accept" {
            for rule in covers {
                cov.entry(rule.to_string())
                    .or_default()
                    .0
                    .push(name.clone());
            }
        } else if expect != "value" {
            assert!(
                covers.contains(&expect),
                "{name}: covers must name the rule it breaks"
            );
            cov.entry(expect.to_string())
                .or_default()
                .1
                .push(name.clone());
        }
    }
    cov
}

#[test]
fn every_rule_has_a_passing_and_a_failing_case() {
    let cov = coverage(&generated());
    let mut missing = Vec::new();
    for r in Rule::ALL {
        let (pass, fail) = cov.get(r.code()).cloned().unwrap_or_default();
        if pass.is_empty() {
            missing.push(format!("{r}: no passing case or row"));
        }
        if fail.is_empty() {
            missing.push(format!("{r}: no failing case or row"));
        }
    }
    assert!(
        missing.is_empty(),
        "rules without conformance cases:\n{}",
        missing.join("\n")
    );
    // every rule id the vectors name exists
    for id in cov.keys() {
        assert!(
            Rule::from_code(id).is_some(),
            "the vectors cover an unknown rule {id}"
        );
    }
}

#[test]
fn every_chain_level_rule_has_a_failing_chain_case() {
    // rules an auditor reports for a chain file must be testable through
    // the adapter, not only in tables
    let cs = cases(&generated());
    for r in Rule::ALL
        .iter()
        .filter(|r| !matches!(r.code(), "CKP-1" | "CKP-2" | "FRK-1" | "FRK-2"))
    {
        assert!(
            cs.iter()
                .any(|c| matches!(&c.expect, Expect::Invalid { rule, .. } if rule == r.code())),
            "{r} has no failing chain case"
        );
    }
}

#[test]
fn the_manifest_lists_every_case_and_table() {
    let files = generated();
    let (_, m) = files.iter().find(|(p, _)| p == "manifest.json").unwrap();
    let m = canonical::parse(m).unwrap();
    let m = m.as_object().unwrap();
    let listed: Vec<&str> = m
        .get("cases")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .map(|c| {
            c.as_object()
                .unwrap()
                .get("file")
                .and_then(Value::as_str)
                .unwrap()
        })
        .collect();
    let mut tables: Vec<&str> = m
        .get("tables")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .map(|c| {
            c.as_object()
                .unwrap()
                .get("file")
                .and_then(Value::as_str)
                .unwrap()
        })
        .collect();
    let mut all = listed.clone();
    all.append(&mut tables);
    all.push("manifest.json");
    all.sort();
    let mut paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    paths.sort();
    assert_eq!(all, paths);
}

// --- the runner

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_commonstock")
}

fn runner(adapter: &str, json: bool) -> (i32, String) {
    let mut cmd = Command::new(bin());
    cmd.arg("conformance")
        .arg("--impl")
        .arg(adapter)
        .arg("--vectors")
        .arg(vectors());
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn summary(out: &str) -> (usize, usize) {
    let last = out.lines().last().unwrap();
    let (p, f) = last
        .split_once(" passed, ")
        .unwrap_or_else(|| panic!("bad summary {last:?}"));
    (
        p.parse().unwrap(),
        f.strip_suffix(" failed").unwrap().parse().unwrap(),
    )
}

/// A temporary directory for adapter scripts, removed on drop.
struct Scripts(PathBuf);

impl Scripts {
    fn new(tag: &str) -> Self {
        let d =
            std::env::temp_dir().join(format!("commonstock-adapters-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scripts(d)
    }

    fn script(&self, name: &str, body: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let p = self.0.join(name);
        std::fs::write(&p, format!("#!/bin/bash\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p.to_str().unwrap().to_string()
    }
}

impl Drop for Scripts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn our_binary_passes_every_case() {
    let n = cases(&generated()).len();
    let (code, out) = runner(&format!("{} audit --json", bin()), false);
    assert_eq!(summary(&out), (n, 0), "{out}");
    assert_eq!(code, 0);
    assert!(out.lines().take(n).all(|l| l.starts_with("ok   ")), "{out}");
}

#[test]
fn an_adapter_that_accepts_everything_is_caught() {
    let s = Scripts::new("accept");
    let a = s.script(
        "accept-all",
        r#"echo '{"schema":"commonstock-audit-v1","valid":true,"entries":0,"signatures":0,"commune":null,"head":null,"findings":[]}'"#,
    );
    let (code, out) = runner(&a, false);
    let invalid = cases(&generated())
        .iter()
        .filter(|c| c.expect != Expect::Valid)
        .count();
    let (passed, failed) = summary(&out);
    assert_eq!(failed, invalid, "{out}");
    assert!(passed > 0);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAIL CHN-3_wrong_prev: expected CHN-3 at entry 4, got valid"),
        "{out}"
    );
}

#[test]
fn an_adapter_that_reports_another_rule_is_caught() {
    let s = Scripts::new("rule");
    // ours, with the first finding's rule rewritten: CHN-3 becomes CHN-2
    let a = s.script(
        "wrong-rule",
        &format!("{} audit --json \"$@\" | sed 's/\"rule\":\"CHN-3\"/\"rule\":\"CHN-2\"/'\nexit ${{PIPESTATUS[0]}}", bin()),
    );
    let (code, out) = runner(&a, false);
    let chn3 = cases(&generated())
        .iter()
        .filter(|c| matches!(&c.expect, Expect::Invalid { rule, .. } if rule == "CHN-3"))
        .count();
    assert!(chn3 >= 2);
    assert_eq!(summary(&out).1, chn3, "{out}");
    assert_eq!(code, 1);
    assert!(
        out.contains("FAIL CHN-3_wrong_prev: expected CHN-3 at entry 4, got CHN-2 at entry 4"),
        "{out}"
    );
}

#[test]
fn an_adapter_that_reports_another_entry_or_breaks_the_contract_is_caught() {
    let s = Scripts::new("misc");
    let shift = s.script(
        "wrong-entry",
        &format!(
            "{} audit --json \"$@\" | sed 's/\"entry\":4,/\"entry\":3,/'\nexit ${{PIPESTATUS[0]}}",
            bin()
        ),
    );
    let (code, out) = runner(&shift, true);
    assert_eq!(code, 1);
    let v = canonical::parse(out.as_bytes()).unwrap();
    let o = v.as_object().unwrap();
    assert_eq!(
        o.get("schema").and_then(Value::as_str),
        Some("commonstock-conformance-v1")
    );
    let failed = o.get("failed").and_then(Value::as_i64).unwrap();
    let at4 = cases(&generated())
        .iter()
        .filter(|c| matches!(&c.expect, Expect::Invalid { entry: Some(4), .. }))
        .count();
    assert_eq!(failed as usize, at4);
    // canonical JSON, one line
    assert_eq!(canonical::encode(&v), out.trim_end().as_bytes());

    let crash = s.script("crash", "echo oops; exit 3");
    let (code, out) = runner(&crash, false);
    assert_eq!(code, 1);
    let (passed, _) = summary(&out);
    assert_eq!(passed, 0, "{out}");
    assert!(out.contains("adapter error: exit status 3"), "{out}");

    let garbage = s.script("garbage", "echo 'valid'");
    let (_, out) = runner(&garbage, false);
    assert_eq!(summary(&out).0, 0, "{out}");
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::new(bin())
        .args([
            "conformance",
            "--impl",
            "true",
            "--vectors",
            "/nonexistent/vectors",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
