//! The treasurer's month as a transcript: README.md's section "The
//! treasurer's month" is read, each `$ commonstock …` command in it is run
//! (by `sh`, in a directory holding the walkthrough commune's chain as the
//! walkthrough leaves it) and its standard output compared with what the
//! README shows. Keys come from fixed seeds, so every hash, id and figure
//! is the same on every run. The other tests check every refusal of the
//! new commands (`due`, the batch drafts, `sign` and `append` of many
//! documents) and the cache of audit states.
//!
//! `BLESS=1 cargo test --test treasurer` prints the transcript as it runs
//! instead of failing on a difference, for updating the README.

use std::fs;
use std::sync::atomic::{AtomicU32, Ordering};

use commonstock::keyfile;
use commonstock::sig::SecretKey;

mod common;

use common::dir::{Dir, Run};

const SUITE: &str = "treasurer";

impl Dir {
    /// Runs a shell command line (as the README shows it), with the binary
    /// on the PATH.
    fn sh(&self, line: &str) -> Run {
        self.shell(&["-c", line])
    }

    /// A key from a fixed seed: NAME.key and NAME.pub; returns the public
    /// key.
    fn key(&self, name: &str) -> String {
        let seed =
            *blake3::hash(format!("commonstock treasurer test {name}").as_bytes()).as_bytes();
        let key = SecretKey::from_seed(seed);
        keyfile::write(&self.file(&format!("{name}.key")), &key).unwrap();
        let public = commonstock::b64::encode(&key.public_key());
        self.write(&format!("{name}.pub"), format!("{public}\n"));
        public
    }

    fn sign(&self, doc: &str, signers: &[&str]) {
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
    }

    fn draft(&self, kind: &str, date: &str, sets: &[&str], out: &str) {
        let mut args = vec!["draft", kind, "--chain", "chain.jsonl", "--date", date];
        for s in sets {
            args.push("-s");
            args.push(s);
        }
        args.extend(["-o", out]);
        self.ok(&args);
    }

    /// Drafts, signs and appends one document.
    fn add(&self, kind: &str, date: &str, sets: &[&str], signers: &[&str]) {
        static N: AtomicU32 = AtomicU32::new(0);
        let out = format!("{kind}-{}.doc.json", N.fetch_add(1, Ordering::SeqCst));
        self.draft(kind, date, sets, &out);
        self.sign(&out, signers);
        self.ok(&["append", "chain.jsonl", &out]);
    }
}

/// The Orchard commune as README.md's walkthrough leaves it: 17 entries,
/// founded by ana, ben and cas, dan admitted, the workshop bought with the
/// workshop-1 bonds (all 120 units held by eve) and rented to dan, rent
/// paid for April and May, January to April closed and April's dividends
/// paid. (tests/workflow.rs runs the walkthrough itself, checking each
/// step; this builds the same chain with keys from fixed seeds.)
fn walkthrough(d: &Dir) {
    let keys: Vec<String> = ["ana", "ben", "cas", "dan", "eve"]
        .iter()
        .map(|n| d.key(n))
        .collect();
    d.write("bylaws.txt", "Bylaws of the Orchard commune.\n");
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
    for t in [
        "admission=5001",
        "amendment=6667",
        "asset=5001",
        "bond=5001",
        "close=5001",
        "expense=5001",
        "expulsion=6667",
        "key_recovery=6667",
        "rental=5001",
    ] {
        args.push("-s".into());
        args.push(format!("thresholds.{t}"));
    }
    for (m, k) in ["ana", "ben", "cas"].iter().zip(&keys) {
        args.push("-s".into());
        args.push(format!("founders[]=member={m},key={k}"));
    }
    args.extend(["-o".into(), "charter.doc.json".into()]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    d.ok(&a);
    for s in ["ana", "ben", "cas"] {
        d.ok(&[
            "sign",
            "--key",
            &format!("{s}.key"),
            "--yes",
            "charter.doc.json",
        ]);
    }
    d.ok(&["append", "--new", "chain.jsonl", "charter.doc.json"]);
    d.add(
        "admission",
        "2025-02-01",
        &["member=dan", &format!("key={}", keys[3])],
        &["dan", "ana", "ben"],
    );
    d.write("workshop.txt", "Purchase agreement for the workshop.\n");
    d.add(
        "asset_acquisition",
        "2025-02-10",
        &[
            "asset=workshop",
            "description=The workshop on Mill Lane",
            "price=EUR 12000.00",
            "text=@workshop.txt",
        ],
        &["ana", "ben", "cas"],
    );
    d.write("bonds.txt", "Terms of the workshop bonds.\n");
    d.add(
        "bond_series",
        "2025-02-10",
        &[
            "series=workshop-1",
            "asset=workshop",
            "amortisation=linear",
            "face=EUR 100.00",
            "units=120",
            "rate_bps=600",
            "payments=12",
            "first_due=2025-04-01",
            "text=@bonds.txt",
        ],
        &["ana", "ben", "cas"],
    );
    d.add(
        "bond_sale",
        "2025-02-15",
        &[
            "series=workshop-1",
            &format!("holder={}", keys[4]),
            "units=120",
            "price=EUR 100.00",
        ],
        &["eve", "ana"],
    );
    d.add(
        "payment",
        "2025-02-20",
        &[
            "id=p1",
            "purpose=asset_purchase",
            "amount=EUR 12000.00",
            "ref.asset=workshop",
        ],
        &["ana"],
    );
    d.write("lease.txt", "Rental agreement for the workshop.\n");
    d.add(
        "rental_agreement",
        "2025-03-01",
        &[
            "agreement=lease-1",
            "asset=workshop",
            "guarantees[]=workshop-1",
            "instalments=12",
            "renters[]=dan",
            "rent[]=from=1,amount=EUR 1100.00",
            "start=2025-04-01",
            "text=@lease.txt",
        ],
        &["dan", "ana", "ben"],
    );
    for (i, date) in [(1, "2025-04-01"), (2, "2025-05-01")] {
        d.add(
            "payment",
            date,
            &[
                &format!("id=rent-{i}"),
                "purpose=rent",
                "amount=EUR 1100.00",
                "ref.agreement=lease-1",
                &format!("ref.instalment={i}"),
            ],
            &["ana"],
        );
    }
    for _ in 1..=4 {
        d.add("period_close", "2025-05-02", &[], &["ana", "ben", "cas"]);
    }
    for m in ["ana", "ben", "cas", "dan"] {
        d.add(
            "payment",
            "2025-05-02",
            &[
                &format!("id=div-{m}"),
                "purpose=dividend",
                &format!("ref.member={m}"),
                "ref.period=2025-04",
                "amount=EUR 9.09",
            ],
            &["ana"],
        );
    }
    let out = d.ok(&["audit", "chain.jsonl"]);
    assert!(out.starts_with("valid: 17 entries"), "{out}");
}

/// README.md's section "The treasurer's month": the bank statement it
/// shows, and each command with the output it shows.
struct Transcript {
    csv: String,
    steps: Vec<(String, String)>,
}

fn readme_transcript() -> Transcript {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("\n## The treasurer's month\n")
        .expect("README.md has a section \"The treasurer's month\"");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 4)];
    let mut csv = None;
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut block: Option<&str> = None;
    let mut csv_text = String::new();
    for line in section.lines() {
        match block {
            None => {
                if let Some(lang) = line.strip_prefix("```") {
                    block = Some(lang.trim());
                }
            }
            Some(lang) => {
                if line == "```" {
                    if lang == "csv" && csv.is_none() {
                        csv = Some(std::mem::take(&mut csv_text));
                    }
                    block = None;
                } else if lang == "csv" {
                    csv_text.push_str(line);
                    csv_text.push('\n');
                } else if lang == "console" {
                    if let Some(cmd) = line.strip_prefix("$ ") {
                        steps.push((cmd.to_string(), String::new()));
                    } else {
                        let (_, out) = steps.last_mut().expect("output after a command");
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
        }
    }
    Transcript {
        csv: csv.expect("the section shows the bank statement in a csv block"),
        steps,
    }
}

#[test]
fn the_treasurers_month_as_the_readme_shows_it() {
    let t = readme_transcript();
    let commands: Vec<&String> = t
        .steps
        .iter()
        .map(|(c, _)| c)
        .filter(|c| c.starts_with("commonstock "))
        .collect();
    assert!(
        commands.len() <= 15,
        "a month in at most 15 commands, not {}",
        commands.len()
    );
    assert_eq!(commands.len(), t.steps.len(), "only commonstock commands");
    let d = Dir::new(SUITE, "month");
    walkthrough(&d);
    d.write("bank-june.csv", &t.csv);
    let bless = std::env::var_os("BLESS").is_some();
    for (cmd, want) in &t.steps {
        let r = d.sh(cmd);
        assert_eq!(r.code, Some(0), "$ {cmd}\n{}\n{}", r.out, r.err);
        // What a terminal shows: the command's output, then what it says
        // on standard error.
        let shown = format!("{}{}", r.out, r.err);
        if bless {
            println!("$ {cmd}\n{shown}");
        } else {
            assert_eq!(&shown, want, "$ {cmd}");
        }
    }
    // The month is done: nothing owed, everything audited.
    let due: serde_json::Value =
        serde_json::from_str(&d.ok(&["due", "--json", "chain.jsonl"])).unwrap();
    assert_eq!(due["rent"], serde_json::json!([]), "{due}");
    assert_eq!(due["bonds"], serde_json::json!([]), "{due}");
    assert_eq!(due["dividends"], serde_json::json!([]), "{due}");
    assert_eq!(due["next_close"]["period"], "2025-06", "{due}");
    let out = d.ok(&["audit", "chain.jsonl"]);
    assert!(out.starts_with("valid: 29 entries"), "{out}");
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

/// The files in a directory, sorted.
fn files_in(d: &Dir, dir: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(d.file(dir))
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn due_refusals_and_json() {
    let d = Dir::new(SUITE, "due");
    walkthrough(&d);
    d.fails(
        &["due", "chain.jsonl", "--as-of", "2025-05-01"],
        2,
        "before the chain's last entry (2025-05-02)",
    );
    d.fails(
        &["due", "chain.jsonl", "--as-of", "2025-02-30"],
        2,
        "--as-of",
    );
    d.fails(&["due", "missing.jsonl"], 2, "missing.jsonl");
    // As of the last entry (2025-05-02): rows 1 and 2 are due, row 3 not yet.
    let v = json(&d.ok(&["due", "--json", "chain.jsonl"]));
    assert_eq!(v["schema"], "commonstock-due-v1");
    assert_eq!(v["as_of"], "2025-05-02");
    assert_eq!(v["entries"], 17);
    assert_eq!(v["cash"], 216_364);
    assert_eq!(v["rent"], serde_json::json!([]));
    let rows: Vec<i64> = v["bonds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["row"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, [1, 2]);
    assert_eq!(v["bonds"][0]["holder"], d.read_pub("eve"));
    assert_eq!(v["bonds"][0]["member"], serde_json::Value::Null);
    assert_eq!(
        (&v["bonds"][1]["coupon"], &v["bonds"][1]["principal"]),
        (&5_400.into(), &99_960.into())
    );
    assert_eq!(v["next_close"]["closable"], false);
    assert_eq!(v["totals"]["bonds"], 6_000 + 5_400 + 2 * 99_960);
    // A chain with a damaged line is not reported on.
    let mut bytes = d.read("chain.jsonl");
    let at = bytes.len() - 20;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    fs::write(d.file("broken.jsonl"), &bytes).unwrap();
    d.fails(&["due", "broken.jsonl"], 1, "fails its audit");
}

impl Dir {
    fn read_pub(&self, name: &str) -> String {
        String::from_utf8(self.read(&format!("{name}.pub")))
            .unwrap()
            .trim()
            .to_string()
    }
}

#[test]
fn batch_drafts_and_their_refusals() {
    let d = Dir::new(SUITE, "drafts");
    walkthrough(&d);
    let chain = d.read("chain.jsonl");
    fn draft<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec!["draft"];
        a.extend_from_slice(extra);
        a
    }

    // Options of one kind of draft on the other.
    d.fails(
        &draft(&[
            "payment",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-06-02",
            "--period",
            "2025-05",
        ]),
        2,
        "--period is for the batch drafts",
    );
    d.fails(
        &draft(&[
            "dividends",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-06-02",
            "--period",
            "2025-04",
            "-s",
            "id=x",
        ]),
        2,
        "--set is for a single document",
    );
    d.fails(
        &draft(&[
            "dividends",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-06-02",
        ]),
        2,
        "needs --period",
    );
    d.fails(
        &draft(&[
            "dividends",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-06-02",
            "--period",
            "2025-13",
        ]),
        2,
        "not a month",
    );
    d.fails(
        &draft(&[
            "dividends",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-06-02",
            "--period",
            "2025-05",
        ]),
        2,
        "2025-05 is not closed (the next period to close is 2025-05)",
    );
    d.fails(
        &draft(&["dividends", "--date", "2025-06-02", "--period", "2025-04"]),
        2,
        "needs the chain",
    );
    // April's dividends are all paid: nothing to draft, nothing written.
    let out = d.ok(&draft(&[
        "dividends",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-06-02",
        "--period",
        "2025-04",
        "--dir",
        "april",
    ]));
    assert!(out.contains("nothing to draft"), "{out}");
    assert!(files_in(&d, "april").is_empty());
    let v = json(&d.ok(&draft(&[
        "dividends",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-06-02",
        "--period",
        "2025-04",
        "--json",
    ])));
    assert_eq!(v["documents"], serde_json::json!([]));
    // Bond service before the rent: the cash runs out at the fourth
    // payment, and nothing is drafted.
    d.fails(
        &draft(&[
            "bond-service",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-06-02",
            "--due-by",
            "2025-06-03",
        ]),
        2,
        "cannot be paid before it is due (PAY-1)",
    );
    let r = d.fails(
        &draft(&[
            "bond-service",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-06-02",
            "--dir",
            "bonds",
        ]),
        1,
        "nothing drafted: principal-workshop-1-3-",
    );
    assert!(
        r.err.contains(
            "BAL-1 in body.amount: the commune's cash would go negative (expected 124, found 99960"
        ),
        "{}",
        r.err
    );
    assert!(files_in(&d, "bonds").is_empty());
    // Only the rows due by 1 May fit in the cash.
    let v = json(&d.ok(&draft(&[
        "bond-service",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-06-02",
        "--due-by",
        "2025-05-01",
        "--dir",
        "bonds",
        "--json",
    ])));
    assert_eq!(v["schema"], "commonstock-drafted-v1");
    let ids: Vec<&str> = v["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    let tag = holder_tag_of(&d.read_pub("eve"));
    assert_eq!(
        ids,
        [
            format!("coupon-workshop-1-1-{tag}"),
            format!("principal-workshop-1-1-{tag}"),
            format!("coupon-workshop-1-2-{tag}"),
            format!("principal-workshop-1-2-{tag}"),
        ]
    );
    assert_eq!(v["total"], 6_000 + 99_960 + 5_400 + 99_960);
    assert_eq!(files_in(&d, "bonds").len(), 4);
    // Drafting again writes the same files; a file that now holds something
    // else (here: signed) is never overwritten.
    d.ok(&draft(&[
        "bond-service",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-06-02",
        "--due-by",
        "2025-05-01",
        "--dir",
        "bonds",
    ]));
    let first = format!("bonds/coupon-workshop-1-1-{tag}.doc.json");
    d.ok(&[
        "sign",
        "--chain",
        "chain.jsonl",
        "--key",
        "ana.key",
        "--yes",
        &first,
    ]);
    let signed = d.read(&first);
    d.fails(
        &draft(&[
            "bond-service",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-06-02",
            "--due-by",
            "2025-05-01",
            "--dir",
            "bonds",
        ]),
        1,
        "exists and holds another document",
    );
    assert_eq!(d.read(&first), signed);
    // A single payment: the amount and the id the rules fix.
    let eve = d.read_pub("eve");
    d.ok(&[
        "draft",
        "payment",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-05-02",
        "-s",
        "purpose=coupon",
        "-s",
        "ref.series=workshop-1",
        "-s",
        "ref.row=2",
        "-s",
        &format!("ref.holder={eve}"),
        "-o",
        "c2.doc.json",
    ]);
    let doc = json(&String::from_utf8(d.read("c2.doc.json")).unwrap());
    assert_eq!(doc["body"]["amount"], 5_400);
    assert_eq!(doc["body"]["id"], format!("coupon-workshop-1-2-{tag}"));
    d.fails(
        &[
            "draft",
            "payment",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-05-02",
            "-s",
            "purpose=coupon",
            "-s",
            "ref.series=workshop-1",
            "-s",
            "ref.row=3",
            "-s",
            &format!("ref.holder={eve}"),
        ],
        1,
        "PAY-1 in body.ref.row: row 3 of workshop-1 is due on 2025-06-01",
    );
    d.fails(
        &[
            "draft",
            "payment",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-05-02",
            "-s",
            "purpose=dividend",
            "-s",
            "ref.member=ana",
            "-s",
            "ref.period=2025-04",
        ],
        1,
        "ana's dividend for 2025-04 is already paid",
    );
    d.fails(
        &[
            "draft",
            "payment",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-05-02",
            "-s",
            "purpose=dividend",
            "-s",
            "ref.member=ana",
            "-s",
            "ref.period=2025-05",
        ],
        1,
        "REF-1 in body.ref.period: 2025-05 is not closed",
    );
    // An id already taken gets the next suffix: div ids of April are
    // div-ana…, so the natural name is free; rent-1 is taken by hand.
    d.ok(&[
        "draft",
        "payment",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-05-02",
        "-s",
        "purpose=income",
        "-s",
        "ref.source=gift",
        "-s",
        "amount=EUR 5.00",
        "-o",
        "gift.doc.json",
    ]);
    let doc = json(&String::from_utf8(d.read("gift.doc.json")).unwrap());
    assert_eq!(doc["body"]["id"], "income-2025-05-02");
    assert_eq!(
        d.read("chain.jsonl"),
        chain,
        "drafting never touches the chain"
    );
}

fn holder_tag_of(public: &str) -> String {
    let k = commonstock::b64::decode::<32>(public).unwrap();
    commonstock::batch::holder_tag(&k)
}

/// Drafts payments from `csv`; `Err` with the run when refused.
fn csv_draft(d: &Dir, csv: &str, extra: &[&str]) -> Run {
    d.write("bank.csv", csv);
    let mut a = vec![
        "draft",
        "payments",
        "--chain",
        "chain.jsonl",
        "--csv",
        "bank.csv",
        "--dir",
        "csv",
    ];
    a.extend_from_slice(extra);
    d.run(&a)
}

#[test]
fn a_bank_statement_is_refused_whole_at_its_first_bad_row() {
    let d = Dir::new(SUITE, "csv");
    walkthrough(&d);
    let eve = d.read_pub("eve");
    let fp = &eve[..12];
    let head =
        "date,purpose,amount,id,agreement,instalment,series,row,holder,member,period,source\n";
    let good_rent = "2025-06-01,rent,1100.00,,lease-1,3,,,,,,\n";
    let refused = |csv: String, code: i32, needles: &[&str]| {
        let r = csv_draft(&d, &csv, &[]);
        assert_eq!(r.code, Some(code), "{csv}\n{}", r.err);
        for n in needles {
            assert!(r.err.contains(n), "{csv}\nexpected {n:?} in:\n{}", r.err);
        }
        assert!(files_in(&d, "csv").is_empty(), "nothing is written: {csv}");
    };
    // A malformed row.
    refused(
        format!("{head}{good_rent}2025-06-01,rent,1.00\n"),
        1,
        &["row 3: 3 fields, the header has 12"],
    );
    refused(
        format!("{head}{good_rent}2025-06-31,income,1.00,,,,,,,,,x\n"),
        1,
        &["row 3: date \"2025-06-31\""],
    );
    refused(
        format!("{head}{good_rent}2025-06-02,rent,\"1.100,00\",,lease-1,3,,,,,,\n"),
        1,
        &["row 3: amount \"1.100,00\""],
    );
    refused(
        format!("{head}2025-06-01,rent,-1100.00,,lease-1,3,,,,,,\n"),
        1,
        &["row 2: a rent payment is money in; its amount is negative"],
    );
    refused(
        format!("{head}2025-06-01,gift,1.00,,,,,,,,,\n"),
        1,
        &["row 2: purpose \"gift\""],
    );
    refused(
        format!("{head}2025-06-01,rent,1100.00,,lease-1,,,,,,,\n"),
        1,
        &["row 2: a rent payment needs its instalment"],
    );
    refused(
        format!("{head}2025-06-01,rent,1100.00,,lease-1,3,workshop-1,,,,,\n"),
        1,
        &[
            "row 2: a rent payment refers to agreement and instalment only, but series is \"workshop-1\"",
        ],
    );
    refused(
        format!("{head}2025-06-01,rent,,,lease-1,3,,,,,,\n"),
        1,
        &["row 2: a rent payment needs an amount"],
    );
    refused(
        format!("{head}2025-06-01,rent,1100.00,,lease-1,three,,,,,,\n"),
        1,
        &["row 2: instalment \"three\" is not a whole number"],
    );
    // An unknown reference, a duplicate id, an id the chain has, an amount
    // the rules contradict, a date before the chain's end, cash too short.
    refused(
        format!("{head}{good_rent}2025-06-02,rent,10.00,,lease-9,1,,,,,,\n"),
        1,
        &["row 3: REF-1", "no agreement lease-9"],
    );
    refused(
        format!("{head}2025-06-01,income,1.00,x-1,,,,,,,,a\n2025-06-01,income,2.00,x-1,,,,,,,,b\n"),
        1,
        &["row 3: REF-2", "payment x-1"],
    );
    refused(
        format!("{head}2025-06-01,income,1.00,rent-1,,,,,,,,a\n"),
        1,
        &["row 2: REF-2"],
    );
    refused(
        format!("{head}{good_rent}2025-06-02,coupon,61.00,,,,workshop-1,1,{eve},,,\n"),
        1,
        &["row 3: PAY-1", "expected 6000, found 6100"],
    );
    refused(
        format!("{head}2025-05-01,income,1.00,,,,,,,,,a\n"),
        1,
        &["row 2: CHN-6"],
    );
    refused(
        format!(
            "{head}2025-06-02,principal,,,,,workshop-1,1,{fp},,,\n2025-06-02,principal,,,,,workshop-1,2,{fp},,,\n2025-06-02,principal,,,,,workshop-1,3,{fp},,,\n"
        ),
        1,
        &["row 4: BAL-1"],
    );
    refused(
        format!("{head}2025-06-02,dividend,,,,,,,,ana,2025-05,\n"),
        1,
        &["row 2: REF-1", "2025-05 is not closed"],
    );
    // The file itself.
    refused(
        "purpose,amount\nrent,1.00\n".into(),
        2,
        &["no column holds the field date"],
    );
    refused("".into(), 2, &["the CSV file is empty"]);
    refused(
        "date,Date,purpose\n".into(),
        1,
        &["row 1: two columns hold the field date"],
    );
    let r = csv_draft(&d, "date,purpose\n", &["--column", "when=x"]);
    assert_eq!(r.code, Some(2), "{}", r.err);
    let r = csv_draft(&d, "date,purpose\n", &["--date", "2025-06-01"]);
    assert_eq!(r.code, Some(2), "{}", r.err);

    // A good statement: newest first as banks write it, a mapped column, a
    // holder by fingerprint, amounts left to the rules, a ref column.
    let csv = format!(
        "Value date,What,Amount,Ref,Holder,Memo\n\
         2025-06-02,coupon,,series=workshop-1;row=1,{fp},to eve\n\
         2025-06-02,principal,EUR 999.60,series=workshop-1;row=1,eve-is-not-a-member-but-{fp},x\n\
         2025-06-01,rent,\"1,100.00\",agreement=lease-1;instalment=3,,june\n"
    );
    let r = csv_draft(
        &d,
        &csv,
        &[
            "--column",
            "date=Value date",
            "--column",
            "purpose=what",
            "--json",
        ],
    );
    // The second row's holder is neither a key, a member nor a fingerprint.
    assert_eq!(r.code, Some(1), "{}", r.err);
    assert!(r.err.contains("row 3:"), "{}", r.err);
    let csv = csv.replace("eve-is-not-a-member-but-", "");
    let r = csv_draft(
        &d,
        &csv,
        &[
            "--column",
            "date=Value date",
            "--column",
            "purpose=what",
            "--json",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.err);
    let v = json(&r.out);
    let got: Vec<(i64, String, i64)> = v["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["row"].as_i64().unwrap(),
                x["id"].as_str().unwrap().to_string(),
                x["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    let tag = holder_tag_of(&eve);
    assert_eq!(
        got,
        [
            (4, "rent-lease-1-3".to_string(), 110_000),
            (2, format!("coupon-workshop-1-1-{tag}"), 6_000),
            (3, format!("principal-workshop-1-1-{tag}"), 99_960),
        ]
    );
    assert_eq!(v["ignored_columns"], serde_json::json!(["Memo"]));
    // Signed and appended in the order drafted, they join the chain.
    let docs: Vec<String> = v["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["file"].as_str().unwrap().to_string())
        .collect();
    let mut a = vec![
        "sign",
        "--chain",
        "chain.jsonl",
        "--key",
        "ana.key",
        "--yes",
    ];
    a.extend(docs.iter().map(String::as_str));
    d.ok(&a);
    // Appended out of date order, the batch is refused whole (CHN-6 at the
    // rent, dated before the payment before it); in the drafted order it
    // joins the chain.
    let before = d.read("chain.jsonl");
    let mut rotated = docs.clone();
    rotated.rotate_left(1);
    let mut a = vec!["append", "chain.jsonl"];
    a.extend(rotated.iter().map(String::as_str));
    let r = d.run(&a);
    assert_eq!(r.code, Some(1), "{}", r.err);
    assert!(
        r.err.contains(&format!("{}: refused: CHN-6", docs[0]))
            && r.err.contains("before the document before it"),
        "{}",
        r.err
    );
    assert_eq!(d.read("chain.jsonl"), before);
    let mut a = vec!["append", "chain.jsonl"];
    a.extend(docs.iter().map(String::as_str));
    let out = d.ok(&a);
    assert!(
        out.contains("appended entry 19 ") && out.contains("head: "),
        "{out}"
    );
    assert!(
        d.ok(&["audit", "chain.jsonl"])
            .starts_with("valid: 20 entries")
    );
}

#[test]
fn sign_and_append_many_all_or_nothing() {
    let d = Dir::new(SUITE, "many");
    walkthrough(&d);
    fs::copy(d.file("chain.jsonl"), d.file("old.jsonl")).unwrap();
    d.write(
        "bank.csv",
        "date,purpose,amount,agreement,instalment\n2025-06-01,rent,1100,lease-1,3\n",
    );
    d.ok(&[
        "draft",
        "payments",
        "--chain",
        "chain.jsonl",
        "--csv",
        "bank.csv",
        "--dir",
        "rent",
    ]);
    d.ok(&[
        "sign",
        "--chain",
        "chain.jsonl",
        "--key",
        "ana.key",
        "--yes",
        "rent/rent-lease-1-3.doc.json",
    ]);
    d.ok(&["append", "chain.jsonl", "rent/rent-lease-1-3.doc.json"]);
    d.ok(&[
        "draft",
        "bond-service",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-06-02",
        "--dir",
        "bonds",
    ]);
    let bonds: Vec<String> = files_in(&d, "bonds")
        .into_iter()
        .map(|f| format!("bonds/{f}"))
        .collect();
    assert_eq!(bonds.len(), 6);
    let with = |first: &[&str], rest: &[String]| -> Vec<String> {
        first
            .iter()
            .map(|s| s.to_string())
            .chain(rest.iter().cloned())
            .collect()
    };
    let run = |a: &[String]| d.run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    // sign: -o with several, no terminal to confirm on, a document twice, a
    // document already signed by the key: nothing is signed.
    let sign = ["sign", "--chain", "chain.jsonl", "--key", "ana.key"];
    let before: Vec<Vec<u8>> = bonds.iter().map(|b| d.read(b)).collect();
    let r = run(&with(
        &[&sign[..], &["--yes", "-o", "x.doc.json"]].concat(),
        &bonds,
    ));
    assert_eq!(r.code, Some(2), "{}", r.err);
    let r = run(&with(&sign, &bonds));
    assert_eq!(r.code, Some(1));
    assert!(
        r.err.contains("6 document(s) to sign as ana")
            && r.err.contains("no terminal to confirm on"),
        "{}",
        r.err
    );
    let twice = with(
        &[&sign[..], &["--yes"]].concat(),
        &[bonds[0].clone(), bonds[0].clone()],
    );
    let r = run(&twice);
    assert_eq!(r.code, Some(1));
    assert!(
        r.err.contains("CHN-7") && r.err.contains("comes twice"),
        "{}",
        r.err
    );
    d.ok(&[
        "sign",
        "--chain",
        "chain.jsonl",
        "--key",
        "ana.key",
        "--yes",
        &bonds[2],
    ]);
    let r = run(&with(&[&sign[..], &["--yes"]].concat(), &bonds));
    assert_eq!(r.code, Some(1));
    assert!(
        r.err
            .contains(&format!("nothing signed: {}: DOC-4", bonds[2])),
        "{}",
        r.err
    );
    for (b, old) in bonds.iter().zip(&before).filter(|(b, _)| **b != bonds[2]) {
        assert_eq!(&d.read(b), old, "{b} unchanged");
    }
    fs::write(d.file(&bonds[2]), &before[2]).unwrap();
    // A document that can never join in a batch with one that can (Ben
    // signs here): the rent payment, already in the chain.
    let r = run(&with(
        &[
            "sign",
            "--chain",
            "chain.jsonl",
            "--key",
            "ben.key",
            "--yes",
        ],
        &["rent/rent-lease-1-3.doc.json".into(), bonds[0].clone()],
    ));
    assert_eq!(r.code, Some(1));
    assert!(
        r.err
            .contains("nothing signed: rent/rent-lease-1-3.doc.json")
            && r.err.contains("CHN-7"),
        "{}",
        r.err
    );
    // One batch signature, with --json.
    let v = json(&run(&with(&[&sign[..], &["--yes", "--json"]].concat(), &bonds)).out);
    assert_eq!(v["schema"], "commonstock-signed-v1");
    assert_eq!(v["signer"]["member"], "ana");
    assert!(
        v["documents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["standing"]["status"] == "complete"),
        "{v}"
    );

    // append: one document not fully signed refuses the whole batch.
    d.ok(&[
        "draft",
        "period_close",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-06-02",
        "-o",
        "close.doc.json",
    ]);
    d.ok(&[
        "sign",
        "--chain",
        "chain.jsonl",
        "--key",
        "ana.key",
        "--yes",
        "close.doc.json",
    ]);
    let chain = d.read("chain.jsonl");
    let mut all = bonds.clone();
    all.push("close.doc.json".into());
    let r = run(&with(&["append", "chain.jsonl"], &all));
    assert_eq!(r.code, Some(1));
    assert!(
        r.err
            .contains("not appended: close.doc.json: not fully signed yet: AUT-2")
            && r.err.contains("nothing was appended"),
        "{}",
        r.err
    );
    assert_eq!(d.read("chain.jsonl"), chain);
    // On the old chain (before the rent) the bond payments break BAL-1 at
    // the fourth; with the rent first they all fit: checked in order.
    let r = run(&with(&["append", "old.jsonl"], &bonds));
    assert_eq!(r.code, Some(1));
    assert!(
        r.err.contains("BAL-1") && r.err.contains("nothing was appended"),
        "{}",
        r.err
    );
    let old = d.read("old.jsonl");
    assert_eq!(d.read("old.jsonl"), old);
    let v = json(
        &run(&with(
            &[
                "append",
                "old.jsonl",
                "--json",
                "rent/rent-lease-1-3.doc.json",
            ],
            &bonds,
        ))
        .out,
    );
    assert_eq!(v["schema"], "commonstock-appended-v1");
    let seqs: Vec<i64> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (17..24).collect::<Vec<_>>());
    assert_eq!(v["entries"][6]["entry"], v["head"]);
    // The same batch appended again: CHN-7 at the first.
    let r = run(&with(&["append", "old.jsonl"], &bonds));
    assert_eq!(r.code, Some(1));
    assert!(
        r.err.contains(&format!("{}: refused: CHN-7", bonds[0])),
        "{}",
        r.err
    );
    for c in ["chain.jsonl", "old.jsonl"] {
        assert!(d.ok(&["audit", c]).starts_with("valid:"));
    }
}

#[test]
fn the_cache_is_used_only_for_the_prefix_it_was_saved_after() {
    use commonstock::tools::cache::{self, Cache};
    let d = Dir::new(SUITE, "cache");
    walkthrough(&d);
    let bytes = d.read("chain.jsonl");
    let full = commonstock::review::Chain::read(&bytes).unwrap();
    let dir = d.file("lib-cache");
    let c = Cache::at(&dir);
    // Cold: audited in full and saved; warm: resumed at the head, nothing
    // audited, nothing saved.
    let cold = cache::load(&bytes, Some(&c), None).unwrap();
    assert_eq!((cold.resumed, cold.saved), (0, true));
    let warm = cache::load(&bytes, Some(&c), None).unwrap();
    assert_eq!((warm.resumed, warm.saved, warm.notes.len()), (17, false, 0));
    let same = |a: &commonstock::review::Chain| {
        assert_eq!(a.report, full.report);
        assert_eq!(
            commonstock::statement::to_value(&a.state),
            commonstock::statement::to_value(&full.state)
        );
        assert_eq!(
            (a.len, a.head, a.last_date),
            (full.len, full.head, full.last_date)
        );
    };
    same(&cold.chain);
    same(&warm.chain);
    // Every prefix cached, then the whole chain read from it: the same as
    // a full audit.
    let ends: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    for (n, end) in ends.iter().enumerate() {
        let c = Cache::at(d.file(&format!("prefix-{n}")));
        cache::load(&bytes[..*end], Some(&c), None).unwrap();
        let l = cache::load(&bytes, Some(&c), None).unwrap();
        assert_eq!(l.resumed, n as u64 + 1);
        same(&l.chain);
    }
    // A line before the cached head changed, the head's line kept: the
    // cached state is not used (the history changed), the full audit finds
    // the damage.
    let mut bad = bytes.clone();
    let at = ends[3] + 40;
    bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
    let l = cache::load(&bad, Some(&c), None).unwrap();
    assert_eq!(l.resumed, 0);
    assert!(
        l.notes.iter().any(|n| n.contains("history changed")),
        "{:?}",
        l.notes
    );
    assert!(!l.chain.report.integrity);
    // A damaged cache file is removed and rebuilt.
    let commune_dir = c.commune_dir(&full.commune.unwrap());
    let file = fs::read_dir(&commune_dir)
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "state"))
        .unwrap()
        .path();
    let mut state = fs::read(&file).unwrap();
    let mid = state.len() / 2;
    state[mid] ^= 1;
    fs::write(&file, &state).unwrap();
    let l = cache::load(&bytes, Some(&c), None).unwrap();
    assert_eq!(l.resumed, 0);
    assert!(
        l.notes.iter().any(|n| n.contains("damaged")),
        "{:?}",
        l.notes
    );
    assert!(l.saved);
    same(&l.chain);
    assert_eq!(cache::load(&bytes, Some(&c), None).unwrap().resumed, 17);
    // Another commune's state under this commune's name is not used.
    let other = fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/commune.jsonl"
    ))
    .unwrap();
    let oc = Cache::at(d.file("other-cache"));
    cache::load(&other, Some(&oc), None).unwrap();
    let ofile = fs::read_dir(oc.dir())
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let ofile = fs::read_dir(ofile)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    for e in fs::read_dir(&commune_dir).unwrap().flatten() {
        fs::remove_file(e.path()).unwrap();
    }
    fs::copy(&ofile, commune_dir.join(ofile.file_name().unwrap())).unwrap();
    let l = cache::load(&bytes, Some(&c), None).unwrap();
    assert_eq!(l.resumed, 0);
    same(&l.chain);
    // No cache: nothing written.
    let l = cache::load(&bytes, None, None).unwrap();
    assert!(!l.saved);
    // The command line: COMMONSTOCK_CACHE=off writes nothing; the default
    // cache resumes.
    let mut cmd = d.cmd(&["due", "chain.jsonl"]);
    cmd.env("COMMONSTOCK_CACHE", "off")
        .env("HOME", d.file("home"));
    assert!(cmd.output().unwrap().status.success());
    assert!(!d.file("home").exists());
    assert!(d.ok(&["due", "chain.jsonl"]).contains("Orchard"));
    assert!(d.cache().exists());
}

#[test]
fn progress_goes_only_to_a_terminal() {
    // Standard error is not a terminal here: no bar, whatever the size.
    let d = Dir::new(SUITE, "progress");
    walkthrough(&d);
    let r = d.run(&["audit", "chain.jsonl"]);
    assert_eq!(r.err, "");
    let r = d.run(&["due", "--quiet", "chain.jsonl"]);
    assert_eq!((r.code, r.err.as_str()), (Some(0), ""));
}
