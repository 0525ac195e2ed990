//! The signing workflow as command-line transcripts: each step runs the
//! built `commonstock` binary in a fresh directory and checks its exit
//! status, standard output and standard error. Keys are generated normally
//! and their public keys read from the output; nothing depends on random
//! values. The end-to-end test follows README.md's walkthrough.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

mod common;

use common::dir::{BIN, Dir, run_output};

const SUITE: &str = "workflow";

impl Dir {
    /// Generates a key; returns its public key as printed.
    fn key(&self, name: &str) -> String {
        let out = self.ok(&["key", "generate", "--out", &format!("{name}.key")]);
        let public = out.trim().to_string();
        assert_eq!(public.len(), 43, "{out}");
        self.write(&format!("{name}.pub"), &out);
        public
    }

    /// Signs `doc` with each of `signers` (keys NAME.key), then appends it.
    fn sign_and_append(&self, doc: &str, signers: &[&str]) -> String {
        for s in signers {
            self.ok(&[
                "sign",
                "--chain",
                "chain.jsonl",
                "--key",
                &format!("{s}.key"),
                "--yes",
                doc,
            ]);
        }
        self.ok(&["append", "chain.jsonl", doc])
    }
}

const THRESHOLDS: [&str; 9] = [
    "thresholds.admission=5001",
    "thresholds.amendment=6667",
    "thresholds.asset=5001",
    "thresholds.bond=5001",
    "thresholds.close=5001",
    "thresholds.expense=5001",
    "thresholds.expulsion=6667",
    "thresholds.key_recovery=6667",
    "thresholds.rental=5001",
];

/// Founds the Orchard commune of ana, ben and cas (README's walkthrough,
/// step 2): the charter is signed in two copies and merged.
fn found(d: &Dir) {
    let keys: Vec<String> = ["ana", "ben", "cas"].iter().map(|n| d.key(n)).collect();
    d.write("bylaws.txt", "Bylaws of the Orchard commune.\n");
    let founders: Vec<String> = ["ana", "ben", "cas"]
        .iter()
        .zip(&keys)
        .map(|(m, k)| format!("founders[]=member={m},key={k}"))
        .collect();
    let mut args: Vec<String> = [
        "draft",
        "charter",
        "--date",
        "2025-01-01",
        "-s",
        "name=Orchard",
        "-s",
        "bylaws=@bylaws.txt",
        "-s",
        "currency.code=EUR",
        "-s",
        "currency.exponent=2",
        "-s",
        "bonds_transferable=true",
        "-s",
        "reserve_bps=1000",
        "-s",
        "treasurers[]=ana",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for t in THRESHOLDS {
        args.push("-s".into());
        args.push(t.into());
    }
    // Founders given out of order: draft sorts them (COM-4).
    for f in founders.iter().rev() {
        args.push("-s".into());
        args.push(f.clone());
    }
    args.extend(["-o".into(), "charter.doc.json".into()]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    d.ok(&a);
    let shown = d.ok(&["show", "charter.doc.json"]);
    assert!(
        shown.contains("charter \"Orchard\": 3 founders, EUR"),
        "{shown}"
    );
    assert!(shown.contains("needs more signatures: AUT-1"), "{shown}");
    d.ok(&["sign", "--key", "ana.key", "--yes", "charter.doc.json"]);
    let r = d.run(&[
        "sign",
        "--key",
        "ben.key",
        "--yes",
        "charter.doc.json",
        "-o",
        "charter.ben.doc.json",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.err);
    d.ok(&["sign", "--key", "cas.key", "--yes", "charter.doc.json"]);
    // Two signatures in one copy, one in the other: not yet appendable.
    d.fails(
        &["append", "--new", "chain.jsonl", "charter.doc.json"],
        1,
        "not fully signed yet: AUT-1",
    );
    d.ok(&[
        "merge",
        "charter.doc.json",
        "charter.ben.doc.json",
        "-o",
        "charter.doc.json",
    ]);
    let out = d.ok(&["append", "--new", "chain.jsonl", "charter.doc.json"]);
    assert!(out.starts_with("appended entry 0 "), "{out}");
}

/// Admits dan (step 3).
fn admit(d: &Dir) {
    let dan = d.key("dan");
    d.ok(&[
        "draft",
        "admission",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-02-01",
        "-s",
        "member=dan",
        "-s",
        &format!("key={dan}"),
        "-o",
        "admit-dan.doc.json",
    ]);
    let out = d.sign_and_append("admit-dan.doc.json", &["dan", "ana", "ben"]);
    assert!(
        out.starts_with("appended entry 1 (") && out.contains("admission dan"),
        "{out}"
    );
}

fn audit_is_valid(d: &Dir, entries: usize) {
    let out = d.ok(&["audit", "chain.jsonl"]);
    assert!(
        out.starts_with(&format!("valid: {entries} entries")),
        "{out}"
    );
}

#[test]
fn walkthrough_from_keys_to_an_audited_chain() {
    let d = Dir::new(SUITE, "walk");
    found(&d);
    admit(&d);
    // Step 4: an asset and its bond series (the schedule is computed).
    d.write("workshop.txt", "Purchase agreement for the workshop.\n");
    d.ok(&[
        "draft",
        "asset_acquisition",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-02-10",
        "-s",
        "asset=workshop",
        "-s",
        "description=The workshop on Mill Lane",
        "-s",
        "price=EUR 12000.00",
        "-s",
        "text=@workshop.txt",
        "-o",
        "asset.doc.json",
    ]);
    d.sign_and_append("asset.doc.json", &["ana", "ben", "cas"]);
    d.write("bonds.txt", "Terms of the workshop bonds.\n");
    d.ok(&[
        "draft",
        "bond_series",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-02-10",
        "-s",
        "series=workshop-1",
        "-s",
        "asset=workshop",
        "-s",
        "amortisation=linear",
        "-s",
        "face=EUR 100.00",
        "-s",
        "units=120",
        "-s",
        "rate_bps=600",
        "-s",
        "payments=12",
        "-s",
        "first_due=2025-04-01",
        "-s",
        "text=@bonds.txt",
        "-o",
        "series.doc.json",
    ]);
    let shown = d.ok(&["show", "--chain", "chain.jsonl", "series.doc.json"]);
    assert!(
        shown.contains("schedule #1") && shown.contains("schedule #12"),
        "{shown}"
    );
    assert!(shown.contains("coupon EUR 0.50"), "{shown}");
    d.sign_and_append("series.doc.json", &["ana", "ben", "cas"]);
    // Step 5: eve, an outside bondholder, buys the units; the commune pays
    // for the workshop.
    let eve = d.key("eve");
    d.ok(&[
        "draft",
        "bond_sale",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-02-15",
        "-s",
        "series=workshop-1",
        "-s",
        &format!("holder={eve}"),
        "-s",
        "units=120",
        "-s",
        "price=EUR 100.00",
        "-o",
        "sale.doc.json",
    ]);
    d.sign_and_append("sale.doc.json", &["eve", "ana"]);
    d.ok(&[
        "draft",
        "payment",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-02-20",
        "-s",
        "id=p1",
        "-s",
        "purpose=asset_purchase",
        "-s",
        "amount=EUR 12000.00",
        "-s",
        "ref.asset=workshop",
        "-o",
        "p1.doc.json",
    ]);
    d.sign_and_append("p1.doc.json", &["ana"]);
    // Step 6: dan rents the workshop; the rent covers the bonds.
    d.write("lease.txt", "Rental agreement for the workshop.\n");
    d.ok(&[
        "draft",
        "rental_agreement",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-03-01",
        "-s",
        "agreement=lease-1",
        "-s",
        "asset=workshop",
        "-s",
        "guarantees[]=workshop-1",
        "-s",
        "instalments=12",
        "-s",
        "renters[]=dan",
        "-s",
        "rent[]=from=1,amount=EUR 1100.00",
        "-s",
        "start=2025-04-01",
        "-s",
        "text=@lease.txt",
        "-o",
        "lease.doc.json",
    ]);
    let shown = d.ok(&[
        "show",
        "--chain",
        "chain.jsonl",
        "--text",
        "lease.txt",
        "lease.doc.json",
    ]);
    assert!(shown.contains("(matches the given text)"), "{shown}");
    assert!(
        shown.contains("rent #1      amount EUR 1,100.00, from 1"),
        "{shown}"
    );
    d.write("other.txt", "Another text.\n");
    let shown = d.ok(&[
        "show",
        "--chain",
        "chain.jsonl",
        "--text",
        "other.txt",
        "lease.doc.json",
    ]);
    assert!(shown.contains("DOES NOT match the given text"), "{shown}");
    d.sign_and_append("lease.doc.json", &["dan", "ana", "ben"]);
    // Step 7: rent in, and the bond row due paid to eve (coupon and
    // principal for her 120 units: row 1 on 1 April, row 2 on 1 May).
    for (i, date, coupon) in [
        (1, "2025-04-01", "EUR 60.00"),
        (2, "2025-05-01", "EUR 54.00"),
    ] {
        let doc = format!("rent-{i}.doc.json");
        d.ok(&[
            "draft",
            "payment",
            "--chain",
            "chain.jsonl",
            "--date",
            date,
            "-s",
            &format!("id=rent-{i}"),
            "-s",
            "purpose=rent",
            "-s",
            "amount=EUR 1,100.00",
            "-s",
            "ref.agreement=lease-1",
            "-s",
            &format!("ref.instalment={i}"),
            "-o",
            &doc,
        ]);
        let out = d.sign_and_append(&doc, &["ana"]);
        assert!(
            out.contains(&format!("payment rent-{i} rent EUR 1,100.00 lease-1#{i}")),
            "{out}"
        );
        for (purpose, amount) in [("coupon", coupon), ("principal", "EUR 999.60")] {
            let doc = format!("{purpose}-{i}.doc.json");
            d.ok(&[
                "draft",
                "payment",
                "--chain",
                "chain.jsonl",
                "--date",
                date,
                "-s",
                &format!("id={purpose}-{i}"),
                "-s",
                &format!("purpose={purpose}"),
                "-s",
                &format!("amount={amount}"),
                "-s",
                "ref.series=workshop-1",
                "-s",
                &format!("ref.row={i}"),
                "-s",
                "ref.holder=@eve.pub",
                "-o",
                &doc,
            ]);
            let out = d.sign_and_append(&doc, &["ana"]);
            assert!(
                out.contains(&format!(
                    "payment {purpose}-{i} {purpose} {amount} workshop-1#{i} to key {}",
                    &eve[..12]
                )),
                "{out}"
            );
        }
    }
    // A coupon not owed (row 3 is not due yet) is refused as it is drafted.
    d.fails(
        &[
            "draft",
            "payment",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-05-01",
            "-s",
            "id=coupon-3",
            "-s",
            "purpose=coupon",
            "-s",
            "amount=EUR 49.20",
            "-s",
            "ref.series=workshop-1",
            "-s",
            "ref.row=3",
            "-s",
            "ref.holder=@eve.pub",
            "-o",
            "coupon-3.doc.json",
        ],
        1,
        "PAY-1",
    );
    let log = d.ok(&["log", "chain.jsonl", "--holder", "@eve.pub"]);
    let seqs: Vec<&str> = log
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(seqs, ["4", "8", "9", "11", "12"], "{log}");
    audit_is_valid(&d, 13);

    // Step 7b: the months are closed in order (January to April), each close
    // drafted with the figures the rules compute and signed by the `close`
    // threshold (3 of 4 members).
    for i in 1..=4 {
        let doc = format!("close-{i}.doc.json");
        d.ok(&[
            "draft",
            "period_close",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-05-02",
            "-o",
            &doc,
        ]);
        d.sign_and_append(&doc, &["ana", "ben", "cas"]);
    }
    // April, worked by hand (spec 11.3): rent 1,100.00 due and paid on
    // 1 April; the first bond row is due on 1 April: 120 units × (coupon
    // floor(10,000 × 600 / 120,000) = 50 + principal floor(10,000 / 12) =
    // 833) = 105,960. Net 110,000 − 105,960 = 4,040; reserve 1,000 bps = 404;
    // pool 3,636; four whole-month members: 909 each (EUR 9.09), carry 0.
    let table: serde_json::Value =
        serde_json::from_str(&d.ok(&["dividends", "--json", "chain.jsonl"])).unwrap();
    let april = &table["periods"][3];
    assert_eq!(april["period"], "2025-04");
    assert_eq!(
        (
            &april["service"],
            &april["net"],
            &april["reserve"],
            &april["pool"]
        ),
        (&105_960.into(), &4_040.into(), &404.into(), &3_636.into())
    );
    assert_eq!(
        (&april["dividend"], &april["carry_out"]),
        (&909.into(), &0.into())
    );
    for m in ["ana", "ben", "cas", "dan"] {
        let doc = format!("div-{m}.doc.json");
        d.ok(&[
            "draft",
            "payment",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-05-02",
            "-s",
            &format!("id=div-{m}"),
            "-s",
            "purpose=dividend",
            "-s",
            &format!("ref.member={m}"),
            "-s",
            "ref.period=2025-04",
            "-s",
            "amount=EUR 9.09",
            "-o",
            &doc,
        ]);
        d.sign_and_append(&doc, &["ana"]);
    }
    // a second payment of a dividend is refused as soon as it is drafted
    d.fails(
        &[
            "draft",
            "payment",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-05-02",
            "-s",
            "id=div-again",
            "-s",
            "purpose=dividend",
            "-s",
            "ref.member=dan",
            "-s",
            "ref.period=2025-04",
            "-s",
            "amount=EUR 9.09",
            "-o",
            "again.doc.json",
        ],
        1,
        "PAY-1 in body.amount: dan's dividend for 2025-04 is already paid",
    );
    let table: serde_json::Value =
        serde_json::from_str(&d.ok(&["dividends", "--json", "chain.jsonl"])).unwrap();
    assert!(
        table["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["paid"] == 909 && m["payable"] == 0),
        "{table}"
    );
    audit_is_valid(&d, 21);

    // Step 8: a checkpoint of the head, cosigned by members.
    d.ok(&[
        "checkpoint",
        "make",
        "chain.jsonl",
        "--key",
        "ana.key",
        "-o",
        "head.checkpoint",
    ]);
    for k in ["ben", "cas"] {
        d.ok(&[
            "checkpoint",
            "cosign",
            "head.checkpoint",
            "--chain",
            "chain.jsonl",
            "--key",
            &format!("{k}.key"),
        ]);
    }
    let out = d.ok(&["checkpoint", "verify", "chain.jsonl", "head.checkpoint"]);
    assert_eq!(
        out,
        "head.checkpoint: agrees at size 21: cosigned by ana, ben, cas\n"
    );
    // Step 9: the audit with the report.
    let out = d.ok(&[
        "audit",
        "--report",
        "--checkpoint",
        "head.checkpoint",
        "chain.jsonl",
    ]);
    assert!(out.starts_with("valid: 21 entries, 40 signatures"), "{out}");
    assert!(out.contains("cosigned by ana, ben, cas"), "{out}");
    assert!(out.contains("cash: EUR 50.44"), "{out}");
    assert!(out.contains("arrears: none"), "{out}");
    assert!(out.contains("members: 4 current, 0 former"), "{out}");
    assert!(out.contains("120 of 120 units sold"), "{out}");
    // The log.
    let log = d.ok(&["log", "chain.jsonl"]);
    assert_eq!(log.lines().count(), 21, "{log}");
    assert!(
        log.contains(" bond_series ") && log.contains("lease-1#2"),
        "{log}"
    );
    let log = d.ok(&[
        "log",
        "chain.jsonl",
        "--kind",
        "payment",
        "--asset",
        "workshop",
    ]);
    // the purchase, two rents, two coupons and two principals
    assert_eq!(log.lines().count(), 7, "{log}");
    let log = d.ok(&["log", "chain.jsonl", "--member", "dan"]);
    let seqs: Vec<&str> = log
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    // his admission, his lease and its two rent payments, the closes of
    // February to April (not January: he joined on 1 February) and his
    // dividend
    assert_eq!(seqs, ["1", "6", "7", "10", "14", "15", "16", "20"], "{log}");
    let log = d.ok(&["log", "--json", "--full", "chain.jsonl"]);
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["doc"]["sigs"].is_array() && v["seq"].is_u64(), "{line}");
    }
    let full = d.ok(&["log", "--full", "--kind", "bond_sale", "chain.jsonl"]);
    // Signers are listed in key order, which depends on the generated keys.
    let signed = full.lines().find(|l| l.starts_with("signed:")).unwrap();
    assert!(
        signed.contains("ana (") && full.contains("holder"),
        "{full}"
    );
}

/// The fenced blocks of a Markdown text: (info string, content).
fn fenced_blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in text.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.to_string(), String::new())),
            (Some(_), Some("")) => out.push(open.take().unwrap()),
            (Some((_, body)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// README.md's walkthrough run exactly as written: every `sh` block of the
/// section, in order, as one script (`sh -e`) with the built `commonstock`
/// first on PATH. Then step 9's command prints exactly what the README
/// shows, once the commune id and head (which depend on the generated
/// keys) are put where the README has `<commune id>` and `<head>`.
#[test]
fn readme_walkthrough_runs_as_written() {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## Walkthrough").unwrap();
    let end = start + readme[start..].find("## The example commune").unwrap();
    let section = &readme[start..end];
    let script: String = fenced_blocks(section)
        .into_iter()
        .filter(|(info, _)| info == "sh")
        .map(|(_, body)| body)
        .collect();
    // The bondholder is paid in the walkthrough (coupon and principal).
    assert!(script.contains("purpose=$purpose") && script.contains("ref.holder=@eve.pub"));
    let step9 = &section[section.find("**9. The audit:**").unwrap()..];
    let blocks = fenced_blocks(step9);
    let (command, printed) = (&blocks[0].1, &blocks[1].1);
    assert_eq!(blocks[0].0, "sh");
    let d = Dir::new(SUITE, "readme");
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |script: &str| {
        run_output(
            Command::new("sh")
                .args(["-e", "-c", script])
                .current_dir(&d.path)
                .env("PATH", &path)
                .env_remove("COMMONSTOCK_FAULT")
                .stdin(Stdio::null())
                .output()
                .unwrap(),
        )
    };
    let r = run(&script);
    assert_eq!(r.code, Some(0), "the walkthrough stopped:\n{}", r.err);
    let r = run(command);
    assert_eq!(r.code, Some(0), "{}", r.err);
    let value = |label: &str| {
        r.out
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap()
            .trim()
            .to_string()
    };
    let (commune, head) = (value("commune:"), value("head:"));
    let got = r
        .out
        .replace(&commune, "<commune id>")
        .replace(&head, "<head>")
        .replace(&head[..8], "<head>");
    assert_eq!(got, *printed, "README step 9 shows something else");
}

#[test]
fn keys_encrypted_permissions_and_show() {
    let d = Dir::new(SUITE, "keys");
    d.write("pass.txt", "correct horse battery\n");
    let public = d
        .ok(&[
            "key",
            "generate",
            "--encrypt",
            "--passphrase-file",
            "pass.txt",
            "--out",
            "a.key",
        ])
        .trim()
        .to_string();
    let text = String::from_utf8(d.read("a.key")).unwrap();
    assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(d.file("a.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = d.ok(&["key", "show", "--passphrase-file", "pass.txt", "a.key"]);
    assert!(out.contains(&format!("public key:  {public}")), "{out}");
    assert!(
        out.contains(&format!("fingerprint: {}", &public[..12])),
        "{out}"
    );
    assert!(out.contains("encrypted:   yes"), "{out}");
    // The same passphrase from the environment.
    let r = run_output(
        d.cmd(&[
            "key",
            "show",
            "--json",
            "--passphrase-env",
            "CS_PASS",
            "a.key",
        ])
        .env("CS_PASS", "correct horse battery")
        .output()
        .unwrap(),
    );
    assert_eq!(r.code, Some(0), "{}", r.err);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["public_key"], public.as_str());
    assert_eq!(v["encrypted"], true);
    // Refusals: a wrong passphrase, no passphrase source and no terminal,
    // an unset variable, a key file others can read, an existing file.
    d.write("wrong.txt", "wrong\n");
    d.fails(
        &["key", "show", "--passphrase-file", "wrong.txt", "a.key"],
        1,
        "wrong passphrase",
    );
    let r = run_output(
        d.cmd(&["key", "show", "a.key"])
            .env_remove("CS_PASS")
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap(),
    );
    // Without a controlling terminal there is no one to ask.
    if r.code == Some(2) {
        assert!(r.err.contains("needs its passphrase"), "{}", r.err);
    }
    d.fails(
        &["key", "show", "--passphrase-env", "CS_UNSET_VAR", "a.key"],
        2,
        "CS_UNSET_VAR is not set",
    );
    d.ok(&["key", "generate", "--out", "b.key"]);
    let out = d.ok(&["key", "show", "b.key"]);
    assert!(out.contains("encrypted:   no"), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(d.file("b.key"), fs::Permissions::from_mode(0o644)).unwrap();
        d.fails(&["key", "show", "b.key"], 1, "can be read by others");
        d.fails(
            &["sign", "--key", "b.key", "--yes", "x.doc.json"],
            2,
            "x.doc.json",
        );
    }
    d.fails(&["key", "generate", "--out", "a.key"], 2, "already exists");
    // The old spelling still works.
    let out = d.ok(&["keygen", "--out", "c.key"]);
    assert_eq!(out.trim().len(), 43);
}

#[test]
fn draft_checks_every_field_before_anyone_signs() {
    let d = Dir::new(SUITE, "draft");
    found(&d);
    let c = ["--chain", "chain.jsonl", "--date", "2025-02-01"];
    let draft = |kind: &str, sets: &[&str]| {
        let mut a = vec!["draft", kind];
        a.extend(c);
        for s in sets {
            a.push("-s");
            a.push(s);
        }
        a.extend(["-o", "x.doc.json"]);
        d.run(&a)
    };
    let r = draft("admission", &["member=Dan", "key=AAAA"]);
    assert_eq!(r.code, Some(1), "{}", r.err);
    assert!(r.err.contains("ENC-9 in body.key"), "{}", r.err);
    let dan = d.key("dan");
    let r = draft("admission", &["member=Dan", &format!("key={dan}")]);
    assert!(r.err.contains("COM-2 in body.member"), "{}", r.err);
    let r = draft("admission", &["member=dan"]);
    assert!(
        r.err.contains("COM-1 in body.key: missing member"),
        "{}",
        r.err
    );
    let r = draft(
        "admission",
        &["member=dan", &format!("key={dan}"), "extra=1"],
    );
    assert!(
        r.err.contains("COM-1 in body.extra: unknown member"),
        "{}",
        r.err
    );
    // State checks give early errors too: ana is a member already.
    let r = draft("admission", &["member=ana", &format!("key={dan}")]);
    assert_eq!(r.code, Some(1));
    assert!(r.err.contains("MEM-1"), "{}", r.err);
    // Amounts in another currency, or with too many decimals.
    let r = draft(
        "payment",
        &["id=p1", "purpose=income", "amount=USD 1.00", "ref.source=x"],
    );
    assert_eq!(r.code, Some(2));
    assert!(r.err.contains("the commune's currency is EUR"), "{}", r.err);
    let r = draft(
        "payment",
        &[
            "id=p1",
            "purpose=income",
            "amount=EUR 1.001",
            "ref.source=x",
        ],
    );
    assert!(r.err.contains("at most 2 decimal places"), "{}", r.err);
    d.fails(
        &[
            "draft",
            "admission",
            "--date",
            "2025-02-01",
            "-s",
            "member=dan",
        ],
        2,
        "needs the chain it will join",
    );
    d.fails(
        &[
            "draft",
            "lease",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-02-01",
        ],
        2,
        "invalid value 'lease' for '<KIND>'",
    );
    d.fails(
        &[
            "draft",
            "exit",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-02-30",
        ],
        2,
        "--date 2025-02-30",
    );
    // A body file, with a flag on top; written to standard output.
    d.write(
        "admission.json",
        format!("{{\"member\": \"dan\", \"key\": \"{dan}\"}}\n"),
    );
    let out = d.ok(&[
        "draft",
        "admission",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-02-01",
        "--body",
        "admission.json",
    ]);
    assert!(out.ends_with("\n") && out.lines().count() == 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "admission");
    assert_eq!(v["body"]["member"], "dan");
    assert_eq!(v["sigs"], serde_json::json!([]));
    // The commune id is the chain's.
    let charter: serde_json::Value = serde_json::from_slice(&d.read("charter.doc.json")).unwrap();
    assert_eq!(v["commune"], charter["commune"]);
}

#[test]
fn every_refusal_of_sign_merge_and_append() {
    let d = Dir::new(SUITE, "refuse");
    found(&d);
    let dan = d.key("dan");
    let c = "chain.jsonl";
    d.ok(&[
        "draft",
        "admission",
        "--chain",
        c,
        "--date",
        "2025-02-01",
        "-s",
        "member=dan",
        "-s",
        &format!("key={dan}"),
        "-o",
        "admit.doc.json",
    ]);
    // No terminal and no --yes: nothing is signed.
    let before = d.read("admit.doc.json");
    d.fails(
        &["sign", "--chain", c, "--key", "ana.key", "admit.doc.json"],
        1,
        "no terminal to confirm on",
    );
    assert_eq!(d.read("admit.doc.json"), before);
    // Without the chain, a non-charter document is not signed blind.
    d.fails(
        &["sign", "--key", "ana.key", "--yes", "admit.doc.json"],
        2,
        "pass the chain it will join",
    );
    d.ok(&[
        "sign",
        "--chain",
        c,
        "--key",
        "ana.key",
        "--yes",
        "admit.doc.json",
    ]);
    // A duplicate signature.
    d.fails(
        &[
            "sign",
            "--chain",
            c,
            "--key",
            "ana.key",
            "--yes",
            "admit.doc.json",
        ],
        1,
        "DOC-4: ana",
    );
    // Not fully signed: append refuses, the chain is unchanged.
    let chain_before = d.read(c);
    d.fails(
        &["append", c, "admit.doc.json"],
        1,
        "not fully signed yet: AUT-2",
    );
    assert_eq!(d.read(c), chain_before);
    d.ok(&[
        "sign",
        "--chain",
        c,
        "--key",
        "ben.key",
        "--yes",
        "admit.doc.json",
    ]);
    // Enough members, but not the new member's own consent.
    d.fails(
        &["append", c, "admit.doc.json"],
        1,
        "not fully signed yet: AUT-3",
    );
    assert_eq!(d.read(c), chain_before);
    d.ok(&[
        "sign",
        "--chain",
        c,
        "--key",
        "dan.key",
        "--yes",
        "admit.doc.json",
    ]);
    d.ok(&["append", c, "admit.doc.json"]);
    // Already in the chain (CHN-7): neither signed nor appended again.
    d.fails(
        &[
            "sign",
            "--chain",
            c,
            "--key",
            "cas.key",
            "--yes",
            "admit.doc.json",
        ],
        1,
        "CHN-7",
    );
    d.fails(&["append", c, "admit.doc.json"], 1, "CHN-7");
    // Dated before the chain's last entry (CHN-6).
    d.ok(&[
        "draft",
        "payment",
        "--chain",
        c,
        "--date",
        "2025-03-01",
        "-s",
        "id=p1",
        "-s",
        "purpose=income",
        "-s",
        "amount=EUR 10.00",
        "-s",
        "ref.source=gift",
        "-o",
        "p1.doc.json",
    ]);
    d.sign_and_append("p1.doc.json", &["ana"]);
    d.ok(&[
        "draft",
        "payment",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-03-01",
        "-s",
        "id=p2",
        "-s",
        "purpose=income",
        "-s",
        "amount=EUR 5.00",
        "-s",
        "ref.source=gift",
        "-o",
        "p2.doc.json",
    ]);
    // Another member appends something later meanwhile; p2 now comes too
    // early, and cannot be signed or appended.
    d.ok(&[
        "draft",
        "payment",
        "--chain",
        c,
        "--date",
        "2025-04-01",
        "-s",
        "id=p3",
        "-s",
        "purpose=income",
        "-s",
        "amount=EUR 1.00",
        "-s",
        "ref.source=gift",
        "-o",
        "p3.doc.json",
    ]);
    d.sign_and_append("p3.doc.json", &["ana"]);
    d.fails(
        &[
            "sign",
            "--chain",
            c,
            "--key",
            "ana.key",
            "--yes",
            "p2.doc.json",
        ],
        1,
        "CHN-6 in date",
    );
    // An id already used (REF-2) is refused while co-signing, though the
    // treasurer's signature (AUT-4) is still missing too.
    d.ok(&[
        "draft",
        "payment",
        "--chain",
        c,
        "--date",
        "2025-04-01",
        "-s",
        "id=p9",
        "-s",
        "purpose=income",
        "-s",
        "amount=EUR 1.00",
        "-s",
        "ref.source=other",
        "-o",
        "p9.doc.json",
    ]);
    let mut v: serde_json::Value = serde_json::from_slice(&d.read("p9.doc.json")).unwrap();
    v["body"]["id"] = "p1".into();
    d.write(
        "reused.doc.json",
        format!("{}\n", serde_json::to_string(&v).unwrap()),
    );
    d.fails(
        &[
            "sign",
            "--chain",
            c,
            "--key",
            "ben.key",
            "--yes",
            "reused.doc.json",
        ],
        1,
        "REF-2",
    );
    // Money the commune does not have (BAL-1).
    d.ok(&[
        "draft",
        "expense_approval",
        "--chain",
        c,
        "--date",
        "2025-04-01",
        "-s",
        "approval=tools",
        "-s",
        "amount=EUR 100.00",
        "-s",
        "payee=Hardware shop",
        "-s",
        "purpose=Tools",
        "-o",
        "approval.doc.json",
    ]);
    d.sign_and_append("approval.doc.json", &["ana", "ben", "cas"]);
    let r = d.run(&[
        "draft",
        "payment",
        "--chain",
        c,
        "--date",
        "2025-04-01",
        "-s",
        "id=p4",
        "-s",
        "purpose=expense",
        "-s",
        "amount=EUR 100.00",
        "-s",
        "ref.approval=tools",
        "-o",
        "p4.doc.json",
    ]);
    assert_eq!(r.code, Some(1), "{}", r.err);
    assert!(r.err.contains("BAL-1"), "{}", r.err);
    // A document of another commune.
    let other = Dir::new(SUITE, "other");
    found(&other);
    fs::copy(other.file("charter.doc.json"), d.file("foreign.doc.json")).unwrap();
    d.fails(
        &[
            "sign",
            "--chain",
            c,
            "--key",
            "cas.key",
            "--yes",
            "foreign.doc.json",
        ],
        1,
        "CHN-4",
    );
    other.ok(&[
        "draft",
        "payment",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-05-01",
        "-s",
        "id=p1",
        "-s",
        "purpose=income",
        "-s",
        "amount=EUR 1.00",
        "-s",
        "ref.source=x",
        "-o",
        "their.doc.json",
    ]);
    fs::copy(other.file("their.doc.json"), d.file("their.doc.json")).unwrap();
    d.fails(
        &[
            "sign",
            "--chain",
            c,
            "--key",
            "ana.key",
            "--yes",
            "their.doc.json",
        ],
        1,
        "CHN-5",
    );
    d.fails(&["append", c, "their.doc.json"], 1, "CHN-5");
    // A forged signature: a signature moved onto another document.
    let p3: serde_json::Value = serde_json::from_slice(&d.read("p3.doc.json")).unwrap();
    let mut forged: serde_json::Value = serde_json::from_slice(&d.read("p9.doc.json")).unwrap();
    forged["sigs"] = p3["sigs"].clone();
    d.write(
        "forged.doc.json",
        format!("{}\n", serde_json::to_string(&forged).unwrap()),
    );
    d.fails(
        &[
            "sign",
            "--chain",
            c,
            "--key",
            "ben.key",
            "--yes",
            "forged.doc.json",
        ],
        1,
        "does not verify",
    );
    d.fails(&["append", c, "forged.doc.json"], 1, "SIG-");
    d.fails(
        &[
            "merge",
            "forged.doc.json",
            "p9.doc.json",
            "-o",
            "m.doc.json",
        ],
        1,
        "does not verify",
    );
    // Merging two different documents.
    d.fails(
        &["merge", "p9.doc.json", "p2.doc.json", "-o", "m.doc.json"],
        1,
        "is another document",
    );
    // Not a document file at all.
    d.write("junk.doc.json", "{\"a\":1}\n");
    d.fails(
        &["show", "junk.doc.json"],
        1,
        "is not a document file: DOC-1",
    );
    // Starting a chain twice, appending to no chain.
    d.fails(
        &["append", "--new", c, "charter.doc.json"],
        2,
        "already exists",
    );
    d.fails(
        &["append", "none.jsonl", "p9.doc.json"],
        2,
        "does not exist",
    );
    // A charter appended to an existing chain.
    d.fails(&["append", c, "charter.doc.json"], 1, "CHN-4");
    audit_is_valid(&d, 5);
}

#[test]
fn checkpoints_cosignatures_and_fork_proofs() {
    let d = Dir::new(SUITE, "ckp");
    found(&d);
    admit(&d);
    d.key("eve");
    d.ok(&[
        "checkpoint",
        "make",
        "chain.jsonl",
        "--key",
        "dan.key",
        "-o",
        "head.checkpoint",
    ]);
    d.fails(
        &[
            "checkpoint",
            "make",
            "chain.jsonl",
            "--key",
            "eve.key",
            "-o",
            "x.checkpoint",
        ],
        1,
        "not a current member's key",
    );
    d.ok(&[
        "checkpoint",
        "cosign",
        "head.checkpoint",
        "--chain",
        "chain.jsonl",
        "--key",
        "ana.key",
    ]);
    d.fails(
        &[
            "checkpoint",
            "cosign",
            "head.checkpoint",
            "--chain",
            "chain.jsonl",
            "--key",
            "ana.key",
        ],
        1,
        "already cosigned",
    );
    d.fails(
        &[
            "checkpoint",
            "cosign",
            "head.checkpoint",
            "--chain",
            "chain.jsonl",
            "--key",
            "eve.key",
        ],
        1,
        "was not a current member's key at entry 1",
    );
    // Without the chain eve can cosign (with a warning); verify names her
    // as no member.
    let r = d.run(&[
        "checkpoint",
        "cosign",
        "head.checkpoint",
        "--key",
        "eve.key",
    ]);
    assert_eq!(r.code, Some(0));
    assert!(
        r.err.contains("warning: not checked against a chain"),
        "{}",
        r.err
    );
    let r = d.run(&["checkpoint", "verify", "chain.jsonl", "head.checkpoint"]);
    assert_eq!(r.code, Some(1), "{}", r.out);
    let eve = String::from_utf8(d.read("eve.pub")).unwrap();
    assert!(
        r.out
            .contains(&format!("NOT members at entry 1: {}", &eve[..12])),
        "{}",
        r.out
    );
    let r = d.run(&[
        "checkpoint",
        "verify",
        "--json",
        "chain.jsonl",
        "head.checkpoint",
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(
        v["checkpoints"][0]["members"],
        serde_json::json!(["ana", "dan"])
    );
    assert_eq!(v["checkpoints"][0]["not_members"][0], eve.trim());
    // A fork: the same chain up to the charter, then another entry 1.
    d.ok(&[
        "checkpoint",
        "make",
        "chain.jsonl",
        "--key",
        "ana.key",
        "-o",
        "a.checkpoint",
    ]);
    let lines = d.read("chain.jsonl");
    let first = lines.iter().position(|b| *b == b'\n').unwrap();
    fs::write(d.file("fork.jsonl"), &lines[..=first]).unwrap();
    d.key("fay");
    let fay = String::from_utf8(d.read("fay.pub")).unwrap();
    d.ok(&[
        "draft",
        "admission",
        "--chain",
        "fork.jsonl",
        "--date",
        "2025-02-01",
        "-s",
        "member=fay",
        "-s",
        &format!("key={}", fay.trim()),
        "-o",
        "fay.doc.json",
    ]);
    for k in ["fay", "ana", "ben"] {
        d.ok(&[
            "sign",
            "--chain",
            "fork.jsonl",
            "--key",
            &format!("{k}.key"),
            "--yes",
            "fay.doc.json",
        ]);
    }
    d.ok(&["append", "fork.jsonl", "fay.doc.json"]);
    d.ok(&[
        "checkpoint",
        "make",
        "fork.jsonl",
        "--key",
        "ben.key",
        "-o",
        "b.checkpoint",
    ]);
    // The forked checkpoint disagrees with our chain: not cosigned.
    d.fails(
        &[
            "checkpoint",
            "cosign",
            "b.checkpoint",
            "--chain",
            "chain.jsonl",
            "--key",
            "cas.key",
        ],
        1,
        "disagrees with your chain: CKP-3",
    );
    let r = d.run(&["checkpoint", "verify", "chain.jsonl", "b.checkpoint"]);
    assert_eq!(r.code, Some(1));
    assert!(r.out.contains("FAILS at size 2: CKP-3"), "{}", r.out);
    d.ok(&[
        "checkpoint",
        "fork-proof",
        "a.checkpoint",
        "b.checkpoint",
        "--chain-a",
        "chain.jsonl",
        "--chain-b",
        "fork.jsonl",
        "-o",
        "fork.proof",
    ]);
    let out = d.ok(&["checkpoint", "verify-proof", "fork.proof"]);
    assert!(
        out.contains("valid fork proof") && out.contains("forked at entry 1"),
        "{out}"
    );
    // Two heads for one size also prove a fork with no entries at all.
    d.ok(&[
        "checkpoint",
        "fork-proof",
        "a.checkpoint",
        "b.checkpoint",
        "-o",
        "short.proof",
    ]);
    d.ok(&["checkpoint", "verify-proof", "short.proof"]);
    // Checkpoints that agree are no fork.
    d.fails(
        &[
            "checkpoint",
            "fork-proof",
            "a.checkpoint",
            "head.checkpoint",
            "--chain-a",
            "chain.jsonl",
            "--chain-b",
            "chain.jsonl",
            "-o",
            "no.proof",
        ],
        1,
        "there is no fork",
    );
    // A tampered proof is not a proof.
    let mut p: serde_json::Value = serde_json::from_slice(&d.read("fork.proof")).unwrap();
    p["b"]["size"] = 1.into();
    d.write(
        "bad.proof",
        format!("{}\n", serde_json::to_string(&p).unwrap()),
    );
    let r = d.run(&["checkpoint", "verify-proof", "--json", "bad.proof"]);
    assert_eq!(r.code, Some(1));
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["valid"], false);
}

// ---------------------------------------------------------------------------
// Atomic append: fault injection, SIGKILL, a full disk, concurrency.

/// A founded chain and a fully signed payment ready to append.
fn ready_to_append(d: &Dir, id: &str) -> String {
    let doc = format!("{id}.doc.json");
    d.ok(&[
        "draft",
        "payment",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-06-01",
        "-s",
        &format!("id={id}"),
        "-s",
        "purpose=income",
        "-s",
        "amount=EUR 1.00",
        "-s",
        &format!("ref.source=gift {id}"),
        "-o",
        &doc,
    ]);
    d.ok(&[
        "sign",
        "--chain",
        "chain.jsonl",
        "--key",
        "ana.key",
        "--yes",
        &doc,
    ]);
    doc
}

fn old_or_new(d: &Dir, old: &[u8], doc: &str) -> bool {
    let now = d.read("chain.jsonl");
    let out = d.ok(&["audit", "chain.jsonl"]);
    assert!(out.starts_with("valid:"), "{out}");
    assert!(now.starts_with(old), "an earlier entry was lost or changed");
    if now == old {
        return false;
    }
    // The new chain is the old one plus exactly the new document.
    let added = &now[old.len()..];
    assert_eq!(added.iter().filter(|b| **b == b'\n').count(), 1);
    let v: serde_json::Value = serde_json::from_slice(added).unwrap();
    let want: serde_json::Value = serde_json::from_slice(&d.read(doc)).unwrap();
    assert_eq!(v["doc"], want);
    true
}

const STEPS: [&str; 6] = ["locked", "partial", "written", "synced", "renamed", "done"];

#[test]
fn append_killed_at_every_step_leaves_the_old_or_the_new_chain() {
    let d = Dir::new(SUITE, "fault");
    found(&d);
    for (i, step) in STEPS.iter().enumerate() {
        let doc = ready_to_append(&d, &format!("f{i}"));
        let old = d.read("chain.jsonl");
        let r = run_output(
            d.cmd(&["append", "chain.jsonl", &doc])
                .env("COMMONSTOCK_FAULT", format!("append:{step}"))
                .output()
                .unwrap(),
        );
        assert_eq!(r.code, None, "{step}: the process must die by a signal");
        let appended = old_or_new(&d, &old, &doc);
        // Up to the rename, the old chain; from the rename on, the new one.
        assert_eq!(appended, i >= 4, "{step}");
        if !appended {
            // The next append (which removes the stray temporary file)
            // completes the job.
            d.ok(&["append", "chain.jsonl", &doc]);
            assert!(old_or_new(&d, &old, &doc));
        }
        let strays: Vec<_> = fs::read_dir(&d.path)
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".chain.jsonl.tmp.")
            })
            .collect();
        assert!(strays.len() <= 1, "{step}: stray temporaries pile up");
    }
    audit_is_valid(&d, 1 + STEPS.len());
}

#[test]
fn a_full_disk_leaves_the_old_chain_and_says_so() {
    let d = Dir::new(SUITE, "enospc");
    found(&d);
    let doc = ready_to_append(&d, "e1");
    let old = d.read("chain.jsonl");
    let r = run_output(
        d.cmd(&["append", "chain.jsonl", &doc])
            .env("COMMONSTOCK_FAULT", "append:enospc")
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, Some(2), "{}", r.err);
    assert!(
        r.err.contains("No space left on device") && r.err.contains("the chain is unchanged"),
        "{}",
        r.err
    );
    assert_eq!(d.read("chain.jsonl"), old);
    assert!(!old_or_new(&d, &old, &doc));
    let strays = fs::read_dir(&d.path)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp."))
        .count();
    assert_eq!(strays, 0, "the failed temporary file is removed");
}

/// SIGKILL at spread-out moments during an append to a large chain (the
/// example commune, 603 entries): each time the chain is the old or the new
/// one and audits clean. The delays sweep in 40 even steps from 0 to 3
/// times the duration of a measured append, so kills land before, during
/// and after the write.
#[test]
fn append_killed_by_sigkill_at_any_moment() {
    use commonstock::canonical::{Object, Value};
    use commonstock::document::{Document, Kind};
    use commonstock::simulate::{self, Params};
    let d = Dir::new(SUITE, "sigkill");
    let example = simulate::generate(&Params::example());
    fs::write(d.file("chain.jsonl"), example.builder().to_bytes()).unwrap();
    let mut appended = 0;
    const ROUNDS: u32 = 40;
    let doc_for = |round: u32| {
        let mut r = Object::new();
        r.insert("source", Value::from(format!("round {round}")));
        let mut body = Object::new();
        body.insert("amount", Value::Int(1));
        body.insert("id", Value::from(format!("kill-{round}")));
        body.insert("purpose", Value::from("income"));
        body.insert("ref", Value::Object(r));
        let mut doc = Document::new(example.id(), Kind::Payment, example.last_date(), body);
        doc.sign(example.treasurer()).unwrap();
        let name = format!("k{round}.doc.json");
        fs::write(d.file(&name), doc.to_file_bytes()).unwrap();
        name
    };
    // One append, timed, sets the sweep: kills from 0 to 3 times its
    // duration.
    let first = doc_for(ROUNDS);
    let old = d.read("chain.jsonl");
    let t = std::time::Instant::now();
    d.ok(&["append", "chain.jsonl", &first]);
    let span = t.elapsed().mul_f64(3.0);
    assert!(old_or_new(&d, &old, &first));
    for round in 0..ROUNDS {
        let name = doc_for(round);
        let old = d.read("chain.jsonl");
        let mut child = d
            .cmd(&["append", "chain.jsonl", &name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(span.mul_f64(f64::from(round) / f64::from(ROUNDS)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if old_or_new(&d, &old, &name) {
            appended += 1;
        }
    }
    // Both outcomes happened: the sweep covers the whole append.
    assert!(appended > 0 && appended < ROUNDS, "{appended} of {ROUNDS}");
}

#[test]
fn concurrent_appends_are_serialised() {
    let d = Dir::new(SUITE, "lock");
    found(&d);
    let docs: Vec<String> = (0..6)
        .map(|i| ready_to_append(&d, &format!("c{i}")))
        .collect();
    let children: Vec<_> = docs
        .iter()
        .map(|doc| {
            d.cmd(&["append", "chain.jsonl", doc])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let r = run_output(c.wait_with_output().unwrap());
        assert_eq!(r.code, Some(0), "{}", r.err);
    }
    audit_is_valid(&d, 7);
    let log = d.ok(&["log", "chain.jsonl", "--kind", "payment"]);
    for i in 0..6 {
        assert!(log.contains(&format!("payment c{i} income")), "{log}");
    }
}

// ---------------------------------------------------------------------------
// Conventions

#[test]
fn completions_man_page_and_help_come_from_one_definition() {
    let d = Dir::new(SUITE, "conv");
    for shell in ["bash", "zsh", "fish"] {
        let out = d.ok(&["completions", shell]);
        assert!(
            out.contains("audit") && out.contains("checkpoint"),
            "{shell}"
        );
    }
    let man = d.ok(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH"),
        "{}",
        &man[..80]
    );
    assert!(man.contains("audit"));
    let help = d.ok(&["help", "sign"]);
    assert!(
        help.contains("Examples:") && help.contains("--yes"),
        "{help}"
    );
    let help = d.ok(&["--help"]);
    for c in [
        "key",
        "draft",
        "show",
        "sign",
        "merge",
        "append",
        "checkpoint",
        "log",
        "audit",
    ] {
        assert!(
            help.contains(&format!("  {c} ")),
            "{c} missing from:\n{help}"
        );
    }
}

#[test]
fn standard_input_and_output_and_json() {
    let d = Dir::new(SUITE, "stdio");
    found(&d);
    // show reads standard input, and says what a signature commits to.
    let mut child = d
        .cmd(&["show", "--json", "--chain", "chain.jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let charter = d.read("charter.doc.json");
    let doc = ready_to_append(&d, "s1");
    let bytes = d.read(&doc);
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let r = run_output(child.wait_with_output().unwrap());
    assert_eq!(r.code, Some(0), "{}", r.err);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["standing"]["status"], "complete");
    assert_eq!(v["signatures"][0]["member"], "ana");
    assert_eq!(v["signatures"][0]["valid"], true);
    assert_eq!(v["summary"], "payment s1 income EUR 1.00 \"gift s1\"");
    let msg = v["signing_message"].as_str().unwrap();
    assert!(msg.starts_with("Y29tbW9uc3RvY2sgdjEgZG9jdW1lbnQgc2lnbmF0dXJl"));
    // The log reads standard input too.
    let mut child = d
        .cmd(&["log", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&d.read("chain.jsonl"))
        .unwrap();
    let r = run_output(child.wait_with_output().unwrap());
    assert!(r.out.contains("charter \"Orchard\""), "{}", r.out);
    assert!(!charter.is_empty());
    // No colour when not on a terminal.
    let out = d.ok(&[
        "show",
        "--chain",
        "chain.jsonl",
        Path::new(&doc).to_str().unwrap(),
    ]);
    assert!(!out.contains('\u{1b}'), "{out}");
}

/// Every other file the CLI writes, interrupted half-way or on a full disk:
/// a document being signed, a checkpoint being cosigned, a new secret key.
/// The old file is intact (or, for a key, no key exists), nothing half
/// written is left under the real name, and the command works when retried.
#[test]
fn document_checkpoint_and_key_writes_survive_faults() {
    let d = Dir::new(SUITE, "writes");
    found(&d);
    // a document signed by ana, to be signed by ben
    let doc = ready_to_append(&d, "w1");
    let before = d.read(&doc);
    let sign = |fault: &str| {
        run_output(
            d.cmd(&[
                "sign",
                "--chain",
                "chain.jsonl",
                "--key",
                "ben.key",
                "--yes",
                &doc,
            ])
            .env("COMMONSTOCK_FAULT", fault)
            .output()
            .unwrap(),
        )
    };
    let r = sign("write:partial");
    assert_ne!(r.code, Some(0), "the process was aborted half-way");
    assert_eq!(d.read(&doc), before, "the document is the old one");
    let r = sign("write:enospc");
    assert_eq!(r.code, Some(2), "{}", r.err);
    assert!(r.err.contains("No space left on device"), "{}", r.err);
    assert_eq!(d.read(&doc), before);
    let r = sign("");
    assert_eq!(r.code, Some(0), "{}", r.err);
    assert_ne!(d.read(&doc), before, "signed once the fault is gone");

    // a checkpoint being cosigned
    d.ok(&[
        "checkpoint",
        "make",
        "chain.jsonl",
        "--key",
        "ana.key",
        "-o",
        "cp",
    ]);
    let before = d.read("cp");
    for fault in ["write:partial", "write:enospc"] {
        let r = run_output(
            d.cmd(&[
                "checkpoint",
                "cosign",
                "cp",
                "--chain",
                "chain.jsonl",
                "--key",
                "ben.key",
            ])
            .env("COMMONSTOCK_FAULT", fault)
            .output()
            .unwrap(),
        );
        assert_ne!(r.code, Some(0), "{fault}");
        assert_eq!(
            d.read("cp"),
            before,
            "{fault}: the checkpoint is the old one"
        );
    }
    d.ok(&[
        "checkpoint",
        "cosign",
        "cp",
        "--chain",
        "chain.jsonl",
        "--key",
        "ben.key",
    ]);
    d.ok(&["checkpoint", "verify", "chain.jsonl", "cp"]);

    // a new secret key
    for fault in ["key:partial", "key:enospc"] {
        let r = run_output(
            d.cmd(&["key", "generate", "--out", "zed.key"])
                .env("COMMONSTOCK_FAULT", fault)
                .output()
                .unwrap(),
        );
        assert_ne!(r.code, Some(0), "{fault}");
        assert!(
            !d.file("zed.key").exists(),
            "{fault}: no key under its name"
        );
    }
    let public = d.ok(&["key", "generate", "--out", "zed.key"]);
    assert_eq!(public.trim().len(), 43);
    // a stale half-written temporary from the aborted run is gone
    let strays: Vec<String> = fs::read_dir(&d.path)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".zed.key.tmp"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");
}
