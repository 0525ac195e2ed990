//! The worked examples in spec/ are computed, not typed: this test builds
//! them from their fixed seeds and checks that the spec quotes every value
//! exactly, so the spec and the code cannot drift apart.

use commonstock::canonical::{self, Object, Value};
use commonstock::chain::{self, Builder};
use commonstock::checkpoint::Checkpoint;
use commonstock::date::Date;
use commonstock::document::{Document, Kind};
use commonstock::sig::SecretKey;
use commonstock::{b64, hash};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn obj(members: Vec<(&str, Value)>) -> Object {
    let mut o = Object::new();
    for (k, v) in members {
        o.insert(k, v);
    }
    o
}

/// The values of spec §6.6, in the order the spec shows them.
pub fn chain_example() -> Vec<(&'static str, String)> {
    let alice = SecretKey::from_seed([1; 32]);
    let thresholds = obj([
        "admission",
        "amendment",
        "asset",
        "bond",
        "close",
        "expense",
        "expulsion",
        "key_recovery",
        "rental",
    ]
    .iter()
    .map(|k| (*k, Value::Int(5001)))
    .collect());
    let body = obj(vec![
        ("bonds_transferable", Value::Bool(false)),
        ("bylaws", Value::from(hash::text(b"Bylaws.\n").to_b64())),
        (
            "currency",
            Value::Object(obj(vec![
                ("code", Value::from("EUR")),
                ("exponent", Value::Int(2)),
            ])),
        ),
        (
            "founders",
            Value::Array(vec![Value::Object(obj(vec![
                ("key", Value::from(b64::encode(&alice.public_key()))),
                ("member", Value::from("alice")),
            ]))]),
        ),
        ("name", Value::from("Kollektiv Ω")),
        ("reserve_bps", Value::Int(1000)),
        ("thresholds", Value::Object(thresholds)),
        ("treasurers", Value::Array(vec![Value::from("alice")])),
    ]);
    let commune = chain::commune_id(&body);
    let body_bytes = canonical::encode(&Value::Object(body.clone()));
    let mut charter = Document::new(commune, Kind::Charter, Date::new(2025, 1, 1).unwrap(), body);
    let unsigned = canonical::encode(&charter.unsigned_value());
    let msg = charter.signing_message();
    charter.sign(&alice).unwrap();
    let mut pay = Document::new(
        commune,
        Kind::Payment,
        Date::new(2025, 1, 2).unwrap(),
        obj(vec![
            ("amount", Value::Int(2500)),
            ("id", Value::from("p1")),
            ("purpose", Value::from("income")),
            (
                "ref",
                Value::Object(obj(vec![("source", Value::from("membership dues"))])),
            ),
        ]),
    );
    pay.sign(&alice).unwrap();
    let mut b = Builder::new();
    let h0 = b.push(&charter);
    let h1 = b.push(&pay);
    let mut cp = Checkpoint::new(commune, 2, h1);
    let cp_msg = cp.signing_message();
    cp.sign(&alice).unwrap();
    vec![
        ("public key (hex)", hex(&alice.public_key())),
        ("public key (base64url)", b64::encode(&alice.public_key())),
        ("charter body", String::from_utf8(body_bytes).unwrap()),
        ("commune id (hex)", hex(&commune.0)),
        ("commune id (base64url)", commune.to_b64()),
        ("charter without sigs", String::from_utf8(unsigned).unwrap()),
        ("document hash (hex)", hex(&charter.hash().0)),
        ("signing message (hex)", hex(&msg)),
        ("signature (base64url)", b64::encode(&charter.sigs[0].sig)),
        ("line 0", String::from_utf8(b.lines()[0].clone()).unwrap()),
        ("entry hash 0 (base64url)", h0.to_b64()),
        ("line 1", String::from_utf8(b.lines()[1].clone()).unwrap()),
        ("head (base64url)", h1.to_b64()),
        ("checkpoint message (hex)", hex(&cp_msg)),
        (
            "checkpoint",
            String::from_utf8(cp.to_bytes())
                .unwrap()
                .trim_end()
                .to_string(),
        ),
    ]
}

#[test]
fn spec_6_6_quotes_the_computed_values() {
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/06-chain.md")).unwrap();
    // the spec wraps long values at 100 characters; join its lines back
    let joined: String = spec
        .lines()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("");
    for (what, value) in chain_example() {
        assert!(
            joined.contains(&value),
            "spec §6.6 does not quote the {what}: {value}"
        );
    }
}

#[test]
fn the_example_chain_audits_clean() {
    let values = chain_example();
    let line = |n: &str| values.iter().find(|v| v.0 == n).unwrap().1.clone();
    let file = format!("{}\n{}\n", line("line 0"), line("line 1"));
    let r = commonstock::audit::audit(file.as_bytes(), &Default::default()).unwrap();
    assert!(r.is_valid(), "{:?}", r.findings);
}

/// Prints the values (run with `--ignored --nocapture` to refresh the spec).
#[test]
#[ignore]
fn print_chain_example() {
    for (what, value) in chain_example() {
        println!("{what}:\n{value}\n");
    }
}
