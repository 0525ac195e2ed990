//! The canonical JSON profile against the RFC 8785 (JCS) test vectors in
//! `test-vectors/external/jcs/` (see its SOURCES.md).
//!
//! Our profile is JCS restricted to integers within ±(2^53−1), so each
//! upstream case either canonicalises to exactly the upstream bytes or is
//! refused with the rule the spec names.

use std::path::PathBuf;

use commonstock::Rule;
use commonstock::canonical::{MAX_INT, encode, parse, parse_canonical};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors/external/jcs")
}

fn read(rel: &str) -> Vec<u8> {
    let p = dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn unhex(text: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(text).unwrap();
    text.split_ascii_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect()
}

enum Expect {
    /// Inside the profile: canonicalises to `output/X.json`.
    Canonical,
    /// Outside the profile: refused with this rule, at the first byte of
    /// this text's first occurrence plus the given offset into it. The last
    /// field says what becomes of `output/X.json`: `None` if it is inside the
    /// profile and canonical, else the rule that refuses it.
    Refused(Rule, &'static str, usize, Option<Rule>),
}

/// Every upstream input file and what the profile makes of it.
const CASES: &[(&str, Expect)] = &[
    ("arrays", Expect::Canonical),
    ("french", Expect::Canonical),
    // `"\n": 56.0` — a fraction, even though the value is integral. JCS
    // writes it as 56, so the upstream output is inside the profile.
    ("structures", Expect::Refused(Rule::Enc5, "56.0", 2, None)),
    ("unicode", Expect::Canonical),
    // The first number, 333333333.33333329, has a fraction; the output
    // keeps floats (333333333.3333333, 1e+30, ...).
    (
        "values",
        Expect::Refused(Rule::Enc5, "333333333.33333329", 9, Some(Rule::Enc5)),
    ),
    ("weird", Expect::Canonical),
];

#[test]
fn every_input_file_is_listed() {
    let mut names: Vec<String> = std::fs::read_dir(dir().join("input"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let listed: Vec<String> = CASES.iter().map(|(n, _)| format!("{n}.json")).collect();
    assert_eq!(names, listed);
}

#[test]
fn input_files() {
    for (name, expect) in CASES {
        let input = read(&format!("input/{name}.json"));
        let output = read(&format!("output/{name}.json"));
        let outhex = unhex(&read(&format!("outhex/{name}.txt")));
        assert_eq!(output, outhex, "{name}: output and outhex disagree");
        match expect {
            Expect::Canonical => {
                let v = parse(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(
                    String::from_utf8_lossy(&encode(&v)),
                    String::from_utf8_lossy(&output),
                    "{name}"
                );
                assert_eq!(encode(&v), outhex, "{name}");
                let again = parse_canonical(&output).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(again, v, "{name}");
                // The pretty-printed inputs are not canonical.
                assert_eq!(
                    parse_canonical(&input).unwrap_err().rule,
                    Rule::Enc8,
                    "{name}"
                );
            }
            Expect::Refused(rule, token, into, output_rule) => {
                let at = find(&input, token) + into;
                let e = parse(&input).expect_err(name);
                assert_eq!((e.rule, e.offset), (*rule, at), "{name}: {e}");
                match output_rule {
                    None => {
                        let v = parse_canonical(&output)
                            .unwrap_or_else(|e| panic!("{name} output: {e}"));
                        assert_eq!(encode(&v), output, "{name}");
                    }
                    Some(r) => {
                        let e = parse_canonical(&output).expect_err(name);
                        assert_eq!(e.rule, *r, "{name} output: {e}");
                    }
                }
            }
        }
    }
}

fn find(hay: &[u8], needle: &str) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap_or_else(|| panic!("{needle:?} not found"))
}

#[test]
fn es6_number_formatting() {
    let file = read("es6testfile_first10000.txt");
    let text = std::str::from_utf8(&file).unwrap();
    let (mut ints, mut floats, mut too_big) = (0usize, 0usize, 0usize);
    for (n, line) in text.lines().enumerate() {
        let (_bits, expected) = line
            .split_once(',')
            .unwrap_or_else(|| panic!("line {}: {line:?}", n + 1));
        let digits = expected.strip_prefix('-').unwrap_or(expected);
        let integer = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        let small = integer && digits.len() <= 16 && digits.parse::<i64>().unwrap() <= MAX_INT;
        if small {
            let v = parse_canonical(expected.as_bytes())
                .unwrap_or_else(|e| panic!("line {}: {expected}: {e}", n + 1));
            assert_eq!(encode(&v), expected.as_bytes(), "line {}", n + 1);
            ints += 1;
        } else {
            let e = parse(expected.as_bytes()).expect_err(expected);
            let want = if integer { Rule::Enc6 } else { Rule::Enc5 };
            assert_eq!(e.rule, want, "line {}: {expected}: {e}", n + 1);
            if integer {
                too_big += 1;
            } else {
                floats += 1;
            }
        }
    }
    assert_eq!(ints + floats + too_big, 10_000);
    assert!(
        ints > 0 && floats > 0 && too_big > 0,
        "{ints} {floats} {too_big}"
    );
    // Counted independently (grep/awk over the file) when the test was written.
    assert_eq!((ints, floats, too_big), (14, 9902, 84));
    eprintln!("in profile: {ints}; ENC-5: {floats}; ENC-6: {too_big}");
}
