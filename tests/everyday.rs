//! Everyday use of the command line, as transcripts (issue 15): money in
//! one format, key files of every sort, files that are never lost, an exit
//! status for scripts, checkpoints named in the audit, every `--json` with
//! its schema as spec/13-outputs.md lists it, the log's filters, help for
//! each kind, completions and man pages.
//!
//! Each test builds a small commune with the built `commonstock` in a fresh
//! directory, by a shell script (commonstock first on PATH), then checks
//! exit statuses, standard output and standard error.

use std::fs;
use std::path::Path;
use std::process::Command;

mod common;

use common::dir::{Dir, Run};

const SUITE: &str = "everyday";

impl Dir {
    /// Runs a shell script (`sh -e`) with `commonstock` first on PATH; it
    /// must succeed.
    fn sh(&self, script: &str) -> Run {
        let r = self.shell(&["-e", "-c", script]);
        assert_eq!(r.code, Some(0), "{script}\n{}\n{}", r.out, r.err);
        r
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }
}

/// Founds Orchard (ana, ben, cas; ana the treasurer) and admits dan.
const FOUND: &str = r#"
for who in ana ben cas dan; do commonstock key generate --out $who.key > $who.pub; done
printf 'Bylaws.\n' > bylaws.txt
commonstock draft charter --date 2025-01-01 -s name=Orchard -s bylaws=@bylaws.txt \
  -s currency.code=EUR -s currency.exponent=2 -s bonds_transferable=true -s reserve_bps=1000 \
  -s 'treasurers[]=ana' -s thresholds.admission=5001 -s thresholds.amendment=6667 \
  -s thresholds.asset=5001 -s thresholds.bond=5001 -s thresholds.close=5001 \
  -s thresholds.expense=5001 -s thresholds.expulsion=6667 -s thresholds.key_recovery=6667 \
  -s thresholds.rental=5001 -s 'founders[]=member=ana,key=@ana.pub' \
  -s 'founders[]=member=ben,key=@ben.pub' -s 'founders[]=member=cas,key=@cas.pub' \
  -o charter.doc.json
for who in ana ben cas; do commonstock sign --yes --key $who.key charter.doc.json; done
commonstock append --new chain.jsonl charter.doc.json
commonstock draft admission --chain chain.jsonl --date 2025-02-01 -s member=dan -s key=@dan.pub \
  -o admit.doc.json
for who in dan ana ben; do commonstock sign --yes --chain chain.jsonl --key $who.key admit.doc.json; done
commonstock append chain.jsonl admit.doc.json
"#;

/// Income of EUR 1,234.56 on 1 March (payment `gift`), then the closes of
/// January to March.
const INCOME_AND_CLOSES: &str = r#"
commonstock draft payment --chain chain.jsonl --date 2025-03-01 -s id=gift -s purpose=income \
  -s 'amount=EUR 1,234.56' -s ref.source=friends -o gift.doc.json
commonstock sign --yes --chain chain.jsonl --key ana.key gift.doc.json
commonstock append chain.jsonl gift.doc.json
for n in 1 2 3; do
  commonstock draft period_close --chain chain.jsonl --date 2025-04-01 -o close-$n.doc.json
  for who in ana ben cas; do commonstock sign --yes --chain chain.jsonl --key $who.key close-$n.doc.json; done
  commonstock append chain.jsonl close-$n.doc.json
done
"#;

fn orchard(name: &str) -> Dir {
    let d = Dir::new(SUITE, name);
    d.sh(FOUND);
    d
}

// ---------------------------------------------------------------------------
// Money

/// March's close: income 1,234.56, no rent, service or expenses; reserve
/// 10 % = 123.45 (floor of 12,345.6); pool 1,111.11; four whole-month
/// members: 277.77 each, carry 0.03 (spec 11.3).
#[test]
fn every_amount_is_printed_one_way_and_read_back() {
    let d = orchard("money");
    let r = d.sh(INCOME_AND_CLOSES);
    // append prints the close's summary: every figure with its currency
    let march = "period close 2025-03: rent EUR 0.00, income EUR 1,234.56, bond service EUR 0.00, expenses EUR 0.00, reserve EUR 123.45, pool EUR 1,111.11; dividend EUR 277.77 (4 members), carry EUR 0.03";
    assert!(r.out.contains(march), "{}", r.out);
    assert!(r.err.contains("drafted close-3.doc.json"), "{}", r.err);
    assert!(r.err.contains(march), "draft says the same: {}", r.err);
    let show = d.ok(&["show", "--chain", "chain.jsonl", "close-3.doc.json"]);
    for line in [
        "income       EUR 1,234.56",
        "carry_out    EUR 0.03",
        "net          EUR 1,234.56",
        "pool         EUR 1,111.11",
        "reserve      EUR 123.45",
        "rent         EUR 0.00",
        "member_days  124",
        "amount EUR 277.77, days 31, member ana",
    ] {
        assert!(show.contains(line), "{line:?} in:\n{show}");
    }
    let log = d.ok(&["log", "chain.jsonl", "--kind", "period_close"]);
    assert!(log.contains(march), "{log}");
    let full = d.ok(&["log", "chain.jsonl", "--full", "-n", "1"]);
    assert!(full.contains("    pool: EUR 1,111.11"), "{full}");
    // No figure anywhere in its raw minor units.
    for out in [&r.out, &r.err, &show, &log, &full] {
        for raw in ["111111", "123456", "12345", "27777", "=1"] {
            assert!(!out.contains(raw), "{raw} in:\n{out}");
        }
    }
    // What the tools print, they read: the amount as `show` printed it.
    let printed = "EUR 277.77";
    d.ok(&[
        "draft",
        "payment",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-04-01",
        "-s",
        "id=d1",
        "-s",
        "purpose=dividend",
        "-s",
        "ref.member=dan",
        "-s",
        "ref.period=2025-03",
        "-s",
        &format!("amount={printed}"),
        "-o",
        "d1.doc.json",
    ]);
    d.ok(&[
        "draft",
        "payment",
        "--chain",
        "chain.jsonl",
        "--date",
        "2025-04-01",
        "-s",
        "id=big",
        "-s",
        "purpose=income",
        "-s",
        "amount=EUR 12,000.00",
        "-s",
        "ref.source=x",
        "-o",
        "big.doc.json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&d.read("big.doc.json")).unwrap();
    assert_eq!(v["body"]["amount"], 1_200_000);
}

#[test]
fn zero_and_negative_amounts_are_refused_saying_amounts_are_positive() {
    let d = orchard("positive");
    let draft = |amount: &str| {
        d.run(&[
            "draft",
            "payment",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-03-01",
            "-s",
            "id=p",
            "-s",
            "purpose=income",
            "-s",
            &format!("amount={amount}"),
            "-s",
            "ref.source=x",
            "-o",
            "p.doc.json",
        ])
    };
    for amount in ["EUR -5.00", "-EUR 5.00", "EUR 0.00", "0.00 EUR", "-5", "0"] {
        let r = draft(amount);
        assert_ne!(r.code, Some(0), "{amount}");
        assert!(
            r.err.contains("amounts are positive"),
            "{amount}: {}",
            r.err
        );
        assert!(
            !r.err.contains("expected integer, found string"),
            "{}",
            r.err
        );
        assert!(!d.file("p.doc.json").exists());
    }
    let r = draft("EUR 1,2345.00");
    assert_eq!(r.code, Some(2));
    assert!(r.err.contains("grouped by three"), "{}", r.err);
}

/// A bond series' schedule is per unit: `show` says so and gives each
/// row's total for the units issued.
#[test]
fn the_bond_schedule_is_per_unit_with_the_total_for_the_units_issued() {
    let d = orchard("schedule");
    d.sh(r#"
printf 'Terms.\n' > terms.txt
commonstock draft asset_acquisition --chain chain.jsonl --date 2025-02-10 -s asset=van \
  -s 'description=A van' -s 'price=EUR 7,000.00' -s text=@terms.txt -o asset.doc.json
for who in ana ben cas; do commonstock sign --yes --chain chain.jsonl --key $who.key asset.doc.json; done
commonstock append chain.jsonl asset.doc.json
commonstock draft bond_series --chain chain.jsonl --date 2025-02-10 -s series=van-1 -s asset=van \
  -s amortisation=linear -s 'face=EUR 100.00' -s units=70 -s rate_bps=600 -s payments=7 \
  -s first_due=2025-03-01 -s text=@terms.txt -o series.doc.json
"#);
    let show = d.ok(&["show", "--chain", "chain.jsonl", "series.doc.json"]);
    // spec 10.3.7's worked example: principal 1,428 × 6 and 1,432; coupons
    // 50, 42, 35, 28, 21, 14, 7; times 70 units.
    for row in [
        "schedule #1   due 2025-03-01: coupon EUR 0.50 + principal EUR 14.28 per unit; for the 70 units issued: coupon EUR 35.00 + principal EUR 999.60 = EUR 1,034.60",
        "schedule #7   due 2025-09-01: coupon EUR 0.07 + principal EUR 14.32 per unit; for the 70 units issued: coupon EUR 4.90 + principal EUR 1,002.40 = EUR 1,007.30",
    ] {
        assert!(show.contains(row), "{row}\n{show}");
    }
}

// ---------------------------------------------------------------------------
// Keys

/// A PEM block of `der` (standard base64, lines of 64).
fn pem(label: &str, der: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for c in der.chunks(3) {
        let n = c.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - c.len()));
        for i in 0..4 {
            b64.push(if i <= c.len() {
                A[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// The DER inside a PEM file.
fn unpem(text: &str) -> Vec<u8> {
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    let digits: Vec<u8> = b64.bytes().filter(|c| *c != b'=').map(val).collect();
    for c in digits.chunks(4) {
        let n = c.iter().fold(0u32, |n, d| n << 6 | u32::from(*d)) << (6 * (4 - c.len()));
        out.extend_from_slice(&n.to_be_bytes()[1..c.len()]);
    }
    out
}

#[cfg(unix)]
fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_public_key_chain_or_document_given_as_the_secret_key_says_what_it_is() {
    let d = orchard("wrongkey");
    for (file, what) in [
        ("ana.pub", "is a public key file (a public key cannot sign)"),
        ("chain.jsonl", "is a chain file"),
        ("charter.doc.json", "is a document file"),
    ] {
        let r = d.fails(
            &[
                "sign",
                "--yes",
                "--chain",
                "chain.jsonl",
                "--key",
                file,
                "admit.doc.json",
            ],
            1,
            what,
        );
        assert!(!r.err.contains("chmod"), "{}", r.err);
        assert!(r.err.contains("not a secret key file"), "{}", r.err);
    }
    d.ok(&[
        "checkpoint",
        "make",
        "chain.jsonl",
        "--key",
        "ana.key",
        "-o",
        "head.cp",
    ]);
    d.fails(
        &[
            "checkpoint",
            "cosign",
            "head.cp",
            "--chain",
            "chain.jsonl",
            "--key",
            "head.cp",
        ],
        1,
        "head.cp is a checkpoint file",
    );
    // `key show` of a public key file shows it, and that it is no secret.
    let public = d.text("ana.pub");
    let out = d.ok(&["key", "show", "ana.pub"]);
    assert!(
        out.contains(&format!("public key:  {}", public.trim())),
        "{out}"
    );
    assert!(out.contains("a public key file: no secret"), "{out}");
    let v = d.json(&["key", "show", "--json", "ana.pub"]);
    assert_eq!(
        (&v["schema"], &v["secret"], &v["public_key"]),
        (
            &"commonstock-key-v1".into(),
            &false.into(),
            &public.trim().into()
        )
    );
}

#[test]
fn a_secret_key_to_standard_output_creates_no_file() {
    let d = Dir::new(SUITE, "stdout-key");
    let r = d.run(&["key", "generate", "--out", "-"]);
    assert_eq!(r.code, Some(0), "{}", r.err);
    assert!(!d.file("-").exists(), "a file named - was created");
    assert_eq!(fs::read_dir(&d.path).unwrap().count(), 0);
    assert!(r.out.starts_with("commonstock-secret-key-v1 "), "{}", r.out);
    let public = r
        .err
        .strip_prefix("public key: ")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    // The secret printed is a key file that opens to the public key shown.
    d.write("k.key", &r.out);
    #[cfg(unix)]
    chmod(&d.file("k.key"), 0o600);
    let out = d.ok(&["key", "show", "k.key"]);
    assert!(out.contains(&format!("public key:  {public}")), "{out}");
    // the old spelling too
    let r = d.run(&["keygen", "--out", "-"]);
    assert_eq!(r.code, Some(0), "{}", r.err);
    assert!(!d.file("-").exists());
}

/// RFC 8410's PKCS#8 of an Ed25519 seed: a fixed 16-byte prefix, the seed.
fn pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    der
}

#[test]
fn an_unencrypted_pkcs8_key_is_read_as_openssl_writes_it() {
    let d = Dir::new(SUITE, "pkcs8");
    let seed = [7u8; 32];
    let expected =
        commonstock::b64::encode(&commonstock::sig::SecretKey::from_seed(seed).public_key());
    d.write("plain.pem", pem("PRIVATE KEY", &pkcs8(&seed)));
    #[cfg(unix)]
    chmod(&d.file("plain.pem"), 0o600);
    let out = d.ok(&["key", "show", "plain.pem"]);
    assert!(out.contains(&format!("public key:  {expected}")), "{out}");
    assert!(out.contains("encrypted:   no"), "{out}");
    // A PKCS#8 of another algorithm (X25519, 1.3.101.110) is not taken.
    let mut x25519 = pkcs8(&seed);
    x25519[11] = 0x6e;
    d.write("x.pem", pem("PRIVATE KEY", &x25519));
    #[cfg(unix)]
    chmod(&d.file("x.pem"), 0o600);
    d.fails(
        &["key", "show", "x.pem"],
        1,
        "is not a commonstock secret key file",
    );
    // And the very file openssl writes, when openssl is here.
    let made = Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(d.file("openssl.pem"))
        .status();
    if made.is_ok_and(|s| s.success()) {
        let der = Command::new("openssl")
            .args(["pkey", "-pubout", "-outform", "DER", "-in"])
            .arg(d.file("openssl.pem"))
            .output()
            .unwrap()
            .stdout;
        let public = commonstock::b64::encode(&der[der.len() - 32..]);
        #[cfg(unix)]
        chmod(&d.file("openssl.pem"), 0o600);
        let out = d.ok(&["key", "show", "openssl.pem"]);
        assert!(out.contains(&format!("public key:  {public}")), "{out}");
    }
}

/// New encrypted keys cost scrypt N = 2^18 (age's passphrase cost); a key
/// written before, at N = 2^14, still opens.
#[test]
fn new_encrypted_keys_cost_more_and_old_ones_still_open() {
    let d = Dir::new(SUITE, "scrypt");
    d.write("pass.txt", "correct horse battery\n");
    d.ok(&[
        "key",
        "generate",
        "--encrypt",
        "--passphrase-file",
        "pass.txt",
        "--out",
        "new.key",
    ]);
    let der = unpem(&d.text("new.key"));
    // PBES2 → scrypt params: SEQUENCE { salt OCTET STRING (16), cost INTEGER }
    let cost_at = |der: &[u8]| {
        let scrypt = [
            0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x04, 0x0b,
        ];
        let i = der.windows(scrypt.len()).position(|w| w == scrypt).unwrap() + scrypt.len();
        // params SEQUENCE header (2), salt (2 + 16), then the INTEGER
        let int = &der[i + 2 + 18..];
        assert_eq!(int[0], 0x02);
        let len = int[1] as usize;
        int[2..2 + len]
            .iter()
            .fold(0u64, |n, b| n << 8 | u64::from(*b))
    };
    assert_eq!(cost_at(&der), 1 << 18);
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scrypt-n14.key");
    let old = fs::read_to_string(fixture).unwrap();
    assert_eq!(cost_at(&unpem(&old)), 1 << 14);
    d.write("old.key", &old);
    #[cfg(unix)]
    chmod(&d.file("old.key"), 0o600);
    let out = d.ok(&["key", "show", "--passphrase-file", "pass.txt", "old.key"]);
    let public = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/scrypt-n14.pub"
    ))
    .unwrap();
    assert!(
        out.contains(&format!("public key:  {}", public.trim())),
        "{out}"
    );
    assert!(out.contains("encrypted:   yes"), "{out}");
    d.write("wrong.txt", "wrong\n");
    d.fails(
        &["key", "show", "--passphrase-file", "wrong.txt", "old.key"],
        1,
        "wrong passphrase",
    );
}

#[test]
fn public_key_files_in_drafts_and_keys_that_cannot_count() {
    let d = orchard("pubfile");
    // -s key=@FILE took the public key file in FOUND's admission
    let v: serde_json::Value = serde_json::from_slice(&d.read("admit.doc.json")).unwrap();
    assert_eq!(v["body"]["key"], d.text("dan.pub").trim());
    // A file that is not a public key file, where a key is expected.
    d.write("notakey.txt", "hello\n");
    d.fails(
        &[
            "draft",
            "admission",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-02-02",
            "-s",
            "member=eve",
            "-s",
            "key=@notakey.txt",
        ],
        2,
        "notakey.txt: not a public key file",
    );
    // eve is no member: her signature on a decision is allowed but counts
    // for nothing, and signing says so; as a bondholder named in a sale
    // her signature counts, and nothing is said.
    d.sh("commonstock key generate --out eve.key > eve.pub");
    d.sh(
        r#"commonstock draft expense_approval --chain chain.jsonl --date 2025-02-02 \
  -s approval=tools -s 'amount=EUR 10.00' -s payee=Shop -s purpose=Tools -o tools.doc.json"#,
    );
    let warning = "this key is not a current member's; the signature will not count";
    let r = d.run(&[
        "sign",
        "--yes",
        "--chain",
        "chain.jsonl",
        "--key",
        "eve.key",
        "tools.doc.json",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.err);
    assert!(r.err.contains(warning), "{}", r.err);
    let r = d.run(&[
        "sign",
        "--yes",
        "--chain",
        "chain.jsonl",
        "--key",
        "ana.key",
        "tools.doc.json",
    ]);
    assert!(!r.err.contains(warning), "{}", r.err);
    d.sh(r#"printf 'T.\n' > t.txt
commonstock draft asset_acquisition --chain chain.jsonl --date 2025-02-10 -s asset=van \
  -s 'description=A van' -s 'price=EUR 100.00' -s text=@t.txt -o asset.doc.json
for who in ana ben cas; do commonstock sign --yes --chain chain.jsonl --key $who.key asset.doc.json; done
commonstock append chain.jsonl asset.doc.json
commonstock draft bond_series --chain chain.jsonl --date 2025-02-10 -s series=van-1 -s asset=van \
  -s amortisation=bullet -s 'face=EUR 10.00' -s units=10 -s rate_bps=0 -s payments=1 \
  -s first_due=2025-06-01 -s text=@t.txt -o series.doc.json
for who in ana ben cas; do commonstock sign --yes --chain chain.jsonl --key $who.key series.doc.json; done
commonstock append chain.jsonl series.doc.json
commonstock draft bond_sale --chain chain.jsonl --date 2025-02-15 -s series=van-1 \
  -s holder=@eve.pub -s units=10 -s 'price=EUR 10.00' -o sale.doc.json"#);
    let r = d.run(&[
        "sign",
        "--yes",
        "--chain",
        "chain.jsonl",
        "--key",
        "eve.key",
        "sale.doc.json",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.err);
    assert!(!r.err.contains(warning), "{}", r.err);
}

// ---------------------------------------------------------------------------
// Files

#[test]
fn drafting_or_signing_over_signatures_is_refused_without_force() {
    let d = orchard("overwrite");
    let draft = |out: &str, extra: &[&str]| {
        let mut a = vec![
            "draft",
            "payment",
            "--chain",
            "chain.jsonl",
            "--date",
            "2025-03-01",
            "-s",
            "id=p1",
            "-s",
            "purpose=income",
            "-s",
            "amount=EUR 1.00",
            "-s",
            "ref.source=x",
            "-o",
            out,
        ];
        a.extend(extra);
        d.run(&a)
    };
    assert_eq!(draft("p1.doc.json", &[]).code, Some(0));
    // An unsigned draft may be drafted again.
    assert_eq!(draft("p1.doc.json", &[]).code, Some(0));
    d.ok(&[
        "sign",
        "--yes",
        "--chain",
        "chain.jsonl",
        "--key",
        "ana.key",
        "p1.doc.json",
    ]);
    let signed = d.read("p1.doc.json");
    let r = draft("p1.doc.json", &[]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.err.contains("holds 1 signature(s) that would be lost") && r.err.contains("--force"),
        "{}",
        r.err
    );
    assert_eq!(d.read("p1.doc.json"), signed, "unchanged");
    // Nor over a chain, which holds signatures too.
    let chain = d.read("chain.jsonl");
    let r = draft("chain.jsonl", &[]);
    assert_eq!(r.code, Some(1));
    assert!(r.err.contains("is not a document file"), "{}", r.err);
    assert_eq!(d.read("chain.jsonl"), chain);
    // sign -o onto a copy holding another signature
    assert_eq!(draft("q.doc.json", &[]).code, Some(0));
    d.ok(&[
        "sign",
        "--yes",
        "--chain",
        "chain.jsonl",
        "--key",
        "ben.key",
        "q.doc.json",
        "-o",
        "q.ben.doc.json",
    ]);
    let ben = d.read("q.ben.doc.json");
    d.fails(
        &[
            "sign",
            "--yes",
            "--chain",
            "chain.jsonl",
            "--key",
            "ana.key",
            "q.doc.json",
            "-o",
            "q.ben.doc.json",
        ],
        1,
        "would be lost",
    );
    assert_eq!(d.read("q.ben.doc.json"), ben);
    d.fails(
        &[
            "sign",
            "--yes",
            "--chain",
            "chain.jsonl",
            "--key",
            "ana.key",
            "q.doc.json",
            "-o",
            "chain.jsonl",
        ],
        1,
        "is not a document file",
    );
    assert_eq!(d.read("chain.jsonl"), chain);
    // Signing into the copy that already holds ben's signature keeps it.
    d.ok(&[
        "sign",
        "--yes",
        "--chain",
        "chain.jsonl",
        "--key",
        "ana.key",
        "q.ben.doc.json",
    ]);
    // --force replaces.
    let r = draft("p1.doc.json", &["--force"]);
    assert_eq!(r.code, Some(0), "{}", r.err);
    assert_ne!(d.read("p1.doc.json"), signed);
    // Writing to a device writes to it, never replaces it.
    #[cfg(unix)]
    {
        assert_eq!(draft("/dev/null", &[]).code, Some(0));
        use std::os::unix::fs::FileTypeExt;
        assert!(
            fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }
}

#[cfg(unix)]
#[test]
fn append_keeps_the_chains_mode_and_owner_and_refuses_a_read_only_chain() {
    use std::os::unix::fs::MetadataExt;
    let d = orchard("mode");
    d.sh(r#"commonstock draft payment --chain chain.jsonl --date 2025-03-01 -s id=p1 -s purpose=income \
  -s 'amount=EUR 1.00' -s ref.source=x -o p1.doc.json
commonstock sign --yes --chain chain.jsonl --key ana.key p1.doc.json
commonstock draft payment --chain chain.jsonl --date 2025-03-01 -s id=p2 -s purpose=income \
  -s 'amount=EUR 1.00' -s ref.source=y -o p2.doc.json
commonstock sign --yes --chain chain.jsonl --key ana.key p2.doc.json"#);
    let chain = d.file("chain.jsonl");
    chmod(&chain, 0o640);
    // As root, give the chain another owner: the append must keep it.
    let root = fs::metadata(&d.path).unwrap().uid() == 0
        && std::os::unix::fs::chown(&chain, Some(4242), Some(4343)).is_ok();
    d.ok(&["append", "chain.jsonl", "p1.doc.json"]);
    let m = fs::metadata(&chain).unwrap();
    assert_eq!(m.mode() & 0o777, 0o640);
    if root {
        assert_eq!((m.uid(), m.gid()), (4242, 4343));
    }
    // Read-only: refused, unchanged.
    chmod(&chain, 0o444);
    let before = d.read("chain.jsonl");
    d.fails(&["append", "chain.jsonl", "p2.doc.json"], 2, "is read-only");
    assert_eq!(d.read("chain.jsonl"), before);
    chmod(&chain, 0o644);
    d.ok(&["append", "chain.jsonl", "p2.doc.json"]);
}

// ---------------------------------------------------------------------------
// Scriptable verification

#[test]
fn verify_exits_0_only_when_every_signature_verifies_and_it_can_be_appended() {
    let d = orchard("verify");
    let status = |args: &[&str]| d.run(args).code;
    d.sh(
        r#"commonstock draft expense_approval --chain chain.jsonl --date 2025-03-01 -s approval=a \
  -s 'amount=EUR 10.00' -s payee=Shop -s purpose=Tools -o a.doc.json"#,
    );
    // No signature: not verified; show still exits 0.
    assert_eq!(status(&["verify", "a.doc.json"]), Some(1));
    assert_eq!(status(&["show", "a.doc.json"]), Some(0));
    d.ok(&[
        "sign",
        "--yes",
        "--chain",
        "chain.jsonl",
        "--key",
        "ana.key",
        "a.doc.json",
    ]);
    // Every signature verifies: 0 without the chain, 1 with it (2 of 3 needed).
    assert_eq!(status(&["verify", "a.doc.json"]), Some(0));
    let r = d.run(&["verify", "--chain", "chain.jsonl", "a.doc.json"]);
    assert_eq!(r.code, Some(1));
    assert!(r.out.contains("needs more signatures: AUT-2"), "{}", r.out);
    assert_eq!(
        status(&["show", "--chain", "chain.jsonl", "a.doc.json"]),
        Some(0)
    );
    d.ok(&[
        "sign",
        "--yes",
        "--chain",
        "chain.jsonl",
        "--key",
        "ben.key",
        "a.doc.json",
    ]);
    d.ok(&[
        "sign",
        "--yes",
        "--chain",
        "chain.jsonl",
        "--key",
        "cas.key",
        "a.doc.json",
    ]);
    let out = d.ok(&["verify", "--chain", "chain.jsonl", "a.doc.json"]);
    assert!(out.contains("3 signature(s), every one valid"), "{out}");
    let v = d.json(&["verify", "--json", "--chain", "chain.jsonl", "a.doc.json"]);
    assert_eq!(v["schema"], "commonstock-verify-v1");
    assert_eq!(
        (&v["valid"], &v["standing"]["status"]),
        (&true.into(), &"complete".into())
    );
    // A forged signature (another document's) fails, with or without the chain.
    let mut forged: serde_json::Value = serde_json::from_slice(&d.read("a.doc.json")).unwrap();
    forged["body"]["amount"] = 1001.into();
    d.write(
        "forged.doc.json",
        format!("{}\n", serde_json::to_string(&forged).unwrap()),
    );
    assert_eq!(status(&["verify", "forged.doc.json"]), Some(1));
    let r = d.run(&["verify", "--chain", "chain.jsonl", "forged.doc.json"]);
    assert_eq!(r.code, Some(1));
    assert!(r.out.contains("INVALID"), "{}", r.out);
    d.ok(&["append", "chain.jsonl", "a.doc.json"]);
    // In the chain already: it can no longer be appended.
    assert_eq!(
        status(&["verify", "--chain", "chain.jsonl", "a.doc.json"]),
        Some(1)
    );
    assert_eq!(status(&["verify", "a.doc.json"]), Some(0));
    assert_eq!(status(&["verify", "missing.doc.json"]), Some(2));
}

#[test]
fn audit_with_checkpoints_names_those_that_agree_and_their_cosigners() {
    let d = orchard("ckp");
    d.ok(&[
        "checkpoint",
        "make",
        "chain.jsonl",
        "--key",
        "cas.key",
        "-o",
        "one.cp",
    ]);
    d.ok(&[
        "checkpoint",
        "cosign",
        "one.cp",
        "--chain",
        "chain.jsonl",
        "--key",
        "ana.key",
    ]);
    d.sh(INCOME_AND_CLOSES);
    d.ok(&[
        "checkpoint",
        "make",
        "chain.jsonl",
        "--key",
        "dan.key",
        "-o",
        "two.cp",
    ]);
    let out = d.ok(&[
        "audit",
        "--checkpoint",
        "one.cp",
        "--checkpoint",
        "two.cp",
        "chain.jsonl",
    ]);
    let lines: Vec<&str> = out.lines().skip_while(|l| *l != "checkpoints:").collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[1].starts_with("  one.cp: agrees at size 2, head ")
            && lines[1].ends_with("; cosigned by ana, cas"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("  two.cp: agrees at size 6, head ")
            && lines[2].ends_with("; cosigned by dan"),
        "{out}"
    );
    // A checkpoint the chain does not reach: it disagrees, by CKP-3.
    fs::copy(d.file("chain.jsonl"), d.file("long.jsonl")).unwrap();
    let short: String = d
        .text("chain.jsonl")
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    d.write("short.jsonl", short);
    let r = d.run(&[
        "audit",
        "--checkpoint",
        "one.cp",
        "--checkpoint",
        "two.cp",
        "short.jsonl",
    ]);
    assert_eq!(r.code, Some(1));
    assert!(r.out.contains("  one.cp: agrees at size 2"), "{}", r.out);
    assert!(r.out.contains("  two.cp: DISAGREES: CKP-3"), "{}", r.out);
}

// ---------------------------------------------------------------------------
// Every --json has a schema, and spec/13-outputs.md lists its members

/// spec/13-outputs.md's members of `schema`: the names in the first block
/// after the heading that names it, and whether each is always present.
fn spec_members(schema: &str) -> Vec<(String, bool)> {
    spec_block(schema, 0)
}

/// The members listed in the `n`-th block of `schema`'s section.
fn spec_block(schema: &str, n: usize) -> Vec<(String, bool)> {
    let spec =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/13-outputs.md")).unwrap();
    let at = spec
        .lines()
        .position(|l| l.starts_with("## ") && l.contains(&format!("`{schema}`")))
        .unwrap_or_else(|| panic!("spec/13-outputs.md has no section for {schema}"));
    let section: Vec<&str> = spec
        .lines()
        .skip(at + 1)
        .take_while(|l| !l.starts_with("## "))
        .collect();
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut inside = false;
    for l in section {
        if l.starts_with("```") {
            inside = !inside;
            if inside {
                blocks.push(Vec::new());
            }
        } else if inside {
            blocks.last_mut().unwrap().push(l);
        }
    }
    let block = &blocks[n];
    block
        .iter()
        .filter_map(|l| {
            let name = l.strip_prefix('"')?.split('"').next()?;
            Some((name.to_string(), !l.contains("(only")))
        })
        .collect()
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// The output's members are among the spec's, and every member the spec
/// says is always there is there.
fn matches_spec(v: &serde_json::Value, schema: &str) {
    assert_eq!(v["schema"], schema, "{v}");
    let spec = spec_members(schema);
    assert!(!spec.is_empty(), "{schema}");
    for k in keys(v) {
        assert!(
            spec.iter().any(|(n, _)| *n == k),
            "{schema}: {k} is not in spec/13-outputs.md"
        );
    }
    for (n, always) in &spec {
        assert!(
            !always || v.get(n).is_some(),
            "{schema}: {n} missing from {v}"
        );
    }
}

#[test]
fn every_json_output_has_its_schema_as_the_spec_lists_it() {
    let d = orchard("schemas");
    d.sh(INCOME_AND_CLOSES);
    d.ok(&[
        "checkpoint",
        "make",
        "chain.jsonl",
        "--key",
        "ana.key",
        "-o",
        "head.cp",
    ]);
    for line in d.ok(&["log", "--json", "chain.jsonl"]).lines() {
        matches_spec(&serde_json::from_str(line).unwrap(), "commonstock-log-v1");
    }
    for line in d.ok(&["log", "--json", "--full", "chain.jsonl"]).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["doc"].is_object());
        matches_spec(&v, "commonstock-log-v1");
    }
    matches_spec(
        &d.json(&["show", "--json", "--chain", "chain.jsonl", "gift.doc.json"]),
        "commonstock-show-v1",
    );
    matches_spec(
        &d.json(&["verify", "--json", "gift.doc.json"]),
        "commonstock-verify-v1",
    );
    matches_spec(
        &d.json(&["key", "show", "--json", "ana.key"]),
        "commonstock-key-v1",
    );
    matches_spec(
        &d.json(&["key", "show", "--json", "ana.pub"]),
        "commonstock-key-v1",
    );
    let v = d.json(&["checkpoint", "verify", "--json", "chain.jsonl", "head.cp"]);
    matches_spec(&v, "commonstock-checkpoints-v1");
    assert_eq!(v["audit"]["schema"], "commonstock-audit-v1");
    // a <checkpoint result>, the section's second block
    let mut listed: Vec<String> = spec_block("commonstock-checkpoints-v1", 1)
        .into_iter()
        .map(|m| m.0)
        .collect();
    listed.sort();
    assert_eq!(keys(&v["checkpoints"][0]), listed);
    assert_eq!(v["checkpoints"][0]["members"], serde_json::json!(["ana"]));
    // the dividends' <member total> and <member period>
    let t = d.json(&["dividends", "--json", "chain.jsonl"]);
    for (member, n) in [("members", 1), ("member_periods", 2)] {
        let mut listed: Vec<String> = spec_block("commonstock-dividends-v1", n)
            .into_iter()
            .map(|m| m.0)
            .collect();
        listed.sort();
        assert_eq!(keys(&t[member][0]), listed, "{member}");
    }
    matches_spec(
        &d.json(&["dividends", "--json", "chain.jsonl"]),
        "commonstock-dividends-v1",
    );
    // not a fork proof: a checkpoint
    let r = d.run(&["checkpoint", "verify-proof", "--json", "head.cp"]);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["valid"], false);
    matches_spec(&v, "commonstock-fork-proof-v1");
    let a = d.json(&["audit", "--json", "chain.jsonl"]);
    assert_eq!(a["schema"], "commonstock-audit-v1");
}

// ---------------------------------------------------------------------------
// log

#[test]
fn log_takes_a_count_dates_order_a_member_and_a_holder() {
    let d = orchard("log");
    d.sh(INCOME_AND_CLOSES);
    let seqs = |args: &[&str]| -> Vec<u64> {
        let mut a = vec!["log", "chain.jsonl"];
        a.extend(args);
        d.ok(&a)
            .lines()
            .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
            .collect()
    };
    assert_eq!(seqs(&[]), [0, 1, 2, 3, 4, 5]);
    assert_eq!(seqs(&["-n", "2"]), [4, 5]);
    assert_eq!(seqs(&["--max-count", "2", "--reverse"]), [5, 4]);
    assert_eq!(seqs(&["--reverse"]), [5, 4, 3, 2, 1, 0]);
    assert_eq!(
        seqs(&["--since", "2025-02-01", "--until", "2025-03-01"]),
        [1, 2]
    );
    assert_eq!(seqs(&["--since", "2025-03-02"]), [3, 4, 5]);
    assert_eq!(seqs(&["--until", "2024-12-31"]), Vec::<u64>::new());
    assert_eq!(seqs(&["--kind", "period_close", "-n", "1"]), [5]);
    // dan: his admission and the closes of February and March that pay him
    assert_eq!(seqs(&["--member", "dan"]), [1, 4, 5]);
    d.fails(
        &["log", "chain.jsonl", "--since", "2025-02-30"],
        2,
        "--since 2025-02-30",
    );
    d.fails(
        &["log", "chain.jsonl", "--holder", "nobody.pub"],
        2,
        "--holder nobody.pub",
    );
    let json: Vec<serde_json::Value> = d
        .ok(&["log", "--json", "-n", "2", "--reverse", "chain.jsonl"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        (json[0]["seq"].as_u64(), json[1]["seq"].as_u64()),
        (Some(5), Some(4))
    );
}

// ---------------------------------------------------------------------------
// Help, completions, man pages

#[test]
fn help_lists_each_kinds_fields_with_their_types() {
    let d = Dir::new(SUITE, "help");
    let out = d.ok(&["help", "draft", "bond_sale"]);
    assert!(
        out.starts_with("bond_sale: the members of its body (spec 10.3.8)"),
        "{out}"
    );
    for line in [
        "  holder  key (base64url; `@FILE` reads a public key file); the buyer (who signs too)",
        "  price   amount ('EUR 12.34', or minor units); price paid per unit",
        "  series  id; a series",
        "  units   integer; 1 … 1,000,000,000",
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} in:\n{out}");
    }
    assert_eq!(d.ok(&["draft", "bond_sale", "--fields"]), out);
    assert_eq!(d.ok(&["draft", "--fields", "bond_sale"]), out);
    let out = d.ok(&["help", "draft", "payment"]);
    assert!(
        out.contains("ref.holder") && out.contains("ref.period      month YYYY-MM"),
        "{out}"
    );
    d.fails(&["help", "draft", "lease"], 2, "unknown kind \"lease\"");
    // every kind has its fields
    for kind in [
        "charter",
        "charter_amendment",
        "admission",
        "exit",
        "key_rotation",
        "key_recovery",
        "asset_acquisition",
        "bond_series",
        "bond_sale",
        "bond_transfer",
        "rental_agreement",
        "rental_end",
        "expense_approval",
        "payment",
        "reversal",
        "period_close",
    ] {
        let out = d.ok(&["help", "draft", kind]);
        assert!(out.lines().count() >= 3, "{kind}: {out}");
    }
}

#[test]
fn completions_know_the_kinds_and_man_writes_a_page_per_command() {
    let d = Dir::new(SUITE, "man");
    for shell in ["bash", "zsh", "fish"] {
        let out = d.ok(&["completions", shell]);
        for kind in ["bond_series", "period_close", "rental_agreement"] {
            assert!(out.contains(kind), "{shell}: {kind}");
        }
    }
    let r = d.run(&["man", "--out", "man1"]);
    assert_eq!(r.code, Some(0), "{}", r.err);
    let pages: Vec<String> = fs::read_dir(d.file("man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for page in [
        "commonstock.1",
        "commonstock-audit.1",
        "commonstock-verify.1",
        "commonstock-log.1",
        "commonstock-key-generate.1",
        "commonstock-checkpoint-verify.1",
    ] {
        assert!(pages.contains(&page.to_string()), "{page} not in {pages:?}");
        let text = d.text(&format!("man1/{page}"));
        assert!(text.contains(".TH"), "{page}");
    }
    let log = d.text("man1/commonstock-log.1");
    assert!(
        log.contains("since") && log.contains("reverse"),
        "the log page has its options"
    );
    assert!(
        r.err
            .contains(&format!("wrote {} manual pages", pages.len())),
        "{}",
        r.err
    );
    // without --out, the main page to standard output as before
    assert!(d.ok(&["man"]).contains(".TH"));
}
