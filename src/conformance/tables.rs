//! The tables (`test-vectors/tables/*.json`) for the layers below the
//! chain, where a whole chain would be a clumsy carrier: canonical JSON
//! (spec chapter 2), hashing (3), Ed25519 under the pinned rule set (4),
//! the document envelope (5), checkpoints and fork proofs (7); and
//! [`check_row`], which checks a row of any table against the library.
//! `tables/dividends.json` is built in `dividends.rs`. Every row names the
//! rules it `covers`; rows are tables of (name, input, expected verdict).

use super::build::{
    Fixture, GROUP_ORDER, IDENTITY, ORDER_8, X_NEG_ZERO, Y_EQUALS_P, Y_P_PLUS_3, add_l_to_s,
    covers, edit_array, edit_doc, h32, income, key, map_str, off_curve, row, s, signed, table,
    torsioned_signature,
};
use super::case::{hex, unhex};
use super::dividends;
use crate::protocol::b64;
use crate::protocol::canonical::{self, Object, Value};
use crate::protocol::chain::Builder;
use crate::protocol::checkpoint::{Checkpoint, ForkProof};
use crate::protocol::document::{Document, Kind};
use crate::protocol::hash::{self, Hash};
use crate::protocol::sig;

/// Every table: (file name, layer, table).
pub fn tables() -> Vec<(&'static str, &'static str, Value)> {
    let f = Fixture::new();
    vec![
        ("canonical.json", "encoding", canonical_table()),
        ("hashing.json", "hashing", hashing_table(&f)),
        ("signatures.json", "signatures", signatures_table(&f)),
        ("documents.json", "documents", documents_table(&f)),
        ("checkpoints.json", "checkpoints", checkpoints_table(&f)),
        ("fork-proofs.json", "fork-proofs", fork_table(&f)),
        ("dividends.json", "dividends", dividends::table()),
    ]
}

/// The verdict of the strict line check (parse, then canonical form).
fn canonical_verdict(input: &[u8]) -> String {
    match canonical::parse_canonical(input) {
        Ok(_) => "accept".into(),
        Err(e) => e.rule.code().into(),
    }
}

/// A table row's `covers`: the rules listed, or the broken rule alone.
fn covers_of(expect: &str, listed: &str) -> Value {
    match listed {
        "" => covers(&[expect]),
        l => covers(&l.split(' ').collect::<Vec<_>>()),
    }
}

/// canonical.json: the JSON profile and its canonical form.
fn canonical_table() -> Value {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
    let v = |b: &[u8]| b.to_vec();
    let deep_objects = [b"{\"a\":".repeat(33), b"1".to_vec(), b"}".repeat(33)].concat();
    // (name, input, expected verdict of the strict check, covers if not the verdict)
    #[rustfmt::skip]
    let inputs: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("worked_example", v("{\"amount\":-1250,\"memo\":\"Café ☕\",\"ok\":true}".as_bytes()),
            "accept", "ENC-1 ENC-3 ENC-4 ENC-5 ENC-6 ENC-7 ENC-8"),
        ("utf16_member_order", v("{\"\u{1F600}\":1,\"\u{E000}\":2}".as_bytes()), "accept", "ENC-8"),
        ("escapes_canonical", v(b"\"\\\"\\\\\\b\\f\\n\\r\\t\\u001f\x7f/\""), "accept", "ENC-3 ENC-8"),
        ("surrogate_pair_as_utf8", v("\"\u{1F600}\"".as_bytes()), "accept", "ENC-7 ENC-8"),
        ("max_int", v(b"[9007199254740991,-9007199254740991]"), "accept", "ENC-6"),
        ("depth_32", deep(32), "accept", "LIM-2"),
        ("scalars", v(b"[null,true,false,0,\"\",[],{}]"), "accept", "ENC-3 ENC-8"),
        ("invalid_utf8", v(b"\"\xff\""), "ENC-1", ""),
        ("overlong_utf8", v(b"\"\xc0\xaf\""), "ENC-1", ""),
        ("encoded_surrogate", v(b"\"\xed\xa0\x80\""), "ENC-1", ""),
        ("above_10ffff", v(b"\"\xf4\x90\x80\x80\""), "ENC-1", ""),
        ("utf8_before_grammar", v(b"[,\"\xff\"]"), "ENC-1", ""),
        ("empty", Vec::new(), "ENC-3", ""),
        ("trailing_comma", v(b"[1,]"), "ENC-3", ""),
        ("leading_zero", v(b"01"), "ENC-3", ""),
        ("plus_sign", v(b"+1"), "ENC-3", ""),
        ("single_quotes", v(b"'a'"), "ENC-3", ""),
        ("nan", v(b"NaN"), "ENC-3", ""),
        ("control_char", v(b"\"a\x01\""), "ENC-3", ""),
        ("two_values", v(b"1 2"), "ENC-3", ""),
        // spec 2.7's number token: a `.` or an `e` without its digits is a
        // grammar error at the byte where a digit is missing, not a
        // fraction; the token ends where it cannot go on
        ("fraction_without_digits", v(b"1."), "ENC-3", ""),
        ("point_then_exponent", v(b"1.e5"), "ENC-3", ""),
        ("exponent_without_digits", v(b"[1e]"), "ENC-3", ""),
        ("minus_alone", v(b"-"), "ENC-3", ""),
        ("minus_leading_zero", v(b"-00"), "ENC-3", ""),
        ("hex_after_zero", v(b"0x1"), "ENC-3", ""),
        ("duplicate_name", v(b"{\"a\":1,\"a\":2}"), "ENC-4", ""),
        ("duplicate_after_unescape", v(b"{\"a\":1,\"\\u0061\":2}"), "ENC-4", ""),
        ("duplicate_before_bad_value", v(b"{\"a\":1,\"a\":1.5}"), "ENC-4", ""),
        ("fraction", v(b"1.0"), "ENC-5", ""),
        ("minus_zero_fraction", v(b"-0.0"), "ENC-5", ""),
        ("exponent", v(b"1E2"), "ENC-5", ""),
        ("fraction_out_of_range", v(b"9007199254740992.5"), "ENC-5", ""),
        ("token_ends_at_second_point", v(b"[1.5.5]"), "ENC-5", ""),
        ("too_large", v(b"9007199254740992"), "ENC-6", ""),
        ("too_small", v(b"-9007199254740992"), "ENC-6", ""),
        ("many_digits", format!("1{}", "0".repeat(400)).into_bytes(), "ENC-6", ""),
        ("lone_high_surrogate", v(b"\"\\ud800\""), "ENC-7", ""),
        ("lone_low_surrogate", v(b"\"\\udc00\""), "ENC-7", ""),
        ("high_then_high", v(b"\"\\ud800\\ud800\""), "ENC-7", ""),
        ("whitespace", v(b"[1, 2]"), "ENC-8", ""),
        ("member_order", v(b"{\"b\":1,\"a\":2}"), "ENC-8", ""),
        ("utf8_member_order", v("{\"\u{E000}\":2,\"\u{1F600}\":1}".as_bytes()), "ENC-8", ""),
        ("minus_zero", v(b"-0"), "ENC-8", ""),
        ("escaped_solidus", v(b"\"\\/\""), "ENC-8", ""),
        ("escaped_non_ascii", v(b"\"\\u00e9\""), "ENC-8", ""),
        ("upper_hex_escape", v(b"\"\\u001F\""), "ENC-8", ""),
        ("escaped_surrogate_pair", v(b"\"\\ud83d\\ude00\""), "ENC-8", ""),
        ("depth_33", deep(33), "LIM-2", ""),
        ("depth_33_objects", deep_objects, "LIM-2", ""),
        ("deep_unclosed", b"[".repeat(10_000), "LIM-2", ""),
    ];
    let rows = inputs
        .into_iter()
        .map(|(name, input, expect, listed)| {
            let mut m = vec![
                ("covers", covers_of(expect, listed)),
                ("expect", s(expect)),
                ("input_hex", s(&hex(&input))),
                ("name", s(name)),
            ];
            if let Ok(t) = std::str::from_utf8(&input) {
                m.push(("input_text", s(t)));
            }
            if let Ok(v) = canonical::parse(&input) {
                let out = canonical::encode(&v);
                m.push(("canonical_hex", s(&hex(&out))));
                let text = s(std::str::from_utf8(&out).expect("UTF-8"));
                m.push(("canonical_text", text));
            }
            row(m)
        })
        .collect();
    table(
        "canonical",
        "The JSON profile and canonical form (spec chapter 2). `input_hex` is the input's exact \
         bytes (`input_text` the same when they are UTF-8). `expect` is `accept` when the input \
         is a canonical JSON text, else the first rule it breaks (ENC-1, then one parse reporting \
         ENC-3..ENC-7 and LIM-2 in input order, then ENC-8). When the input parses (expect is \
         `accept` or `ENC-8`), `canonical_hex`/`canonical_text` give the canonical form of its \
         value.",
        rows,
    )
}

/// The hash function of a context string.
fn hash_fn(context: &str) -> Option<fn(&[u8]) -> Hash> {
    Some(match context {
        hash::COMMUNE_CONTEXT => hash::commune_id,
        hash::DOCUMENT_CONTEXT => hash::document,
        hash::ENTRY_CONTEXT => hash::entry,
        hash::TEXT_CONTEXT => hash::text,
        _ => return None,
    })
}

/// hashing.json: the four contexts, the commune id and document hashes.
fn hashing_table(f: &Fixture) -> Value {
    // a row; `b64` adds the hash in base64url, `text` the input as text
    let hash_row = |ctx: &str, input: &[u8], name: &str, b64: bool, text: bool| {
        let h = hash_fn(ctx).expect("a context")(input);
        let mut m = vec![
            ("context", s(ctx)),
            ("covers", covers(&[])),
            ("hash_hex", s(&hex(&h.0))),
            ("input_hex", s(&hex(input))),
            ("name", s(name)),
        ];
        if b64 {
            m.push(("hash_b64", s(&h.to_b64())));
        }
        if text {
            m.push(("input_text", s(std::str::from_utf8(input).expect("utf-8"))));
        }
        row(m)
    };
    let mut rows = Vec::new();
    let inputs: [(&str, &[u8]); 3] = [
        ("empty", b""),
        ("braces", b"{}"),
        ("text", "Café ☕\n".as_bytes()),
    ];
    for ctx in [
        hash::COMMUNE_CONTEXT,
        hash::DOCUMENT_CONTEXT,
        hash::ENTRY_CONTEXT,
        hash::TEXT_CONTEXT,
    ] {
        for (label, input) in inputs {
            let name = format!("{} / {label}", ctx.trim_start_matches("commonstock v1 "));
            rows.push(hash_row(ctx, input, &name, false, false));
        }
    }
    let body = canonical::encode(&Value::Object(f.docs[0].body.clone()));
    let name = "commune id of valid_small_commune";
    rows.push(hash_row(hash::COMMUNE_CONTEXT, &body, name, true, true));
    for (i, d) in f.docs.iter().enumerate() {
        let b = canonical::encode(&d.unsigned_value());
        let name = format!("document hash of valid_small_commune entry {i}");
        rows.push(hash_row(hash::DOCUMENT_CONTEXT, &b, &name, true, true));
    }
    for (i, l) in f.lines().iter().enumerate() {
        let name = format!("entry hash of valid_small_commune entry {i}");
        rows.push(hash_row(hash::ENTRY_CONTEXT, l, &name, true, false));
    }
    table(
        "hashing",
        "BLAKE3 derive_key(context, input) (spec chapter 3). Each row: the context string, the \
         input bytes in hex (and as text where given), the 32-byte hash in hex (and base64url \
         where given). Includes the commune id, the document hashes and the entry hashes of \
         chains/valid_small_commune.case.",
        rows,
    )
}

fn sig_verdict(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> String {
    match sig::verify(key, msg, sig) {
        Ok(()) => "accept".into(),
        Err(e) => e.rule().code().into(),
    }
}

/// A signatures.json row: name, key, message, signature, verdict, comment.
type SigRow<'a> = (&'a str, [u8; 32], &'a [u8], [u8; 64], &'a str, &'a str);

/// signatures.json: Ed25519 under the pinned rule set.
fn signatures_table(f: &Fixture) -> Value {
    let (k1, k4) = (key(1), key(4));
    let doc = &f.docs[2];
    let dmsg = doc.signing_message();
    let pk = k4.public_key();
    let dsig = doc
        .sigs
        .iter()
        .find(|s| s.key == pk)
        .expect("key 4 signs entry 2")
        .sig;
    let cp = f.checkpoint(5, &[&k1]);
    let (cmsg, csig, pk1) = (cp.signing_message(), cp.sigs[0].sig, k1.public_key());
    let with_r = |r: &str| {
        let mut s = dsig;
        s[..32].copy_from_slice(&h32(r));
        s
    };
    let mut flipped = dsig;
    flipped[40] ^= 1;
    let torsion = torsioned_signature(&k4, &dmsg);
    let mut s_is_l = dsig;
    s_is_l[32..].copy_from_slice(&h32(GROUP_ORDER));
    let d: &[u8] = &dmsg;
    // (name, key, message, signature, expected verdict, comment)
    #[rustfmt::skip]
    let rows: Vec<SigRow> = vec![
        ("document_signature", pk, d, dsig, "accept",
            "Key 4's signature on entry 2 of valid_small_commune: the 98-byte document signing message."),
        ("checkpoint_signature", pk1, &cmsg, csig, "accept",
            "Key 1's cosignature of the checkpoint at size 5 of valid_small_commune: the 108-byte checkpoint signing message."),
        ("torsioned_r", pk, d, torsion, "accept",
            "R has a component of order 8; accepted by the cofactored equation, refused by a cofactorless one."),
        ("document_signature_as_checkpoint", pk1, d, csig, "SIG-6",
            "A checkpoint cosignature checked against a document signing message."),
        ("key_y_equals_p", h32(Y_EQUALS_P), d, dsig, "SIG-1", "A = y = p."),
        ("key_y_p_plus_3", h32(Y_P_PLUS_3), d, dsig, "SIG-1",
            "A = y = p + 3, decodes leniently to a large-order point."),
        ("key_x_minus_zero", h32(X_NEG_ZERO), d, dsig, "SIG-1", "A = y = 1 with the sign bit set."),
        ("key_off_curve", off_curve(), d, dsig, "SIG-1", "A's y gives no point."),
        ("key_identity", h32(IDENTITY), d, dsig, "SIG-2", "A is the identity."),
        ("key_order_8", h32(ORDER_8), d, dsig, "SIG-2", "A has order 8."),
        ("r_y_equals_p", pk, d, with_r(Y_EQUALS_P), "SIG-3", "R = y = p."),
        ("r_x_minus_zero", pk, d, with_r(X_NEG_ZERO), "SIG-3", "R = y = 1 with the sign bit set."),
        ("r_identity", pk, d, with_r(IDENTITY), "SIG-4", "R is the identity."),
        ("r_order_8", pk, d, with_r(ORDER_8), "SIG-4", "R has order 8."),
        ("s_plus_l", pk, d, add_l_to_s(&dsig), "SIG-5", "S + L: malleated."),
        ("s_equals_l", pk, d, s_is_l, "SIG-5", "S = L."),
        ("flipped_bit", pk, d, flipped, "SIG-6", "One bit of S flipped."),
        ("key_before_r", h32(IDENTITY), d, with_r(Y_EQUALS_P), "SIG-2",
            "Small-order A and non-canonical R: SIG-2 comes first."),
        ("r_before_s", pk, d, add_l_to_s(&with_r(ORDER_8)), "SIG-4",
            "Small-order R and S ≥ L: SIG-4 comes first."),
    ];
    let all = "SIG-1 SIG-2 SIG-3 SIG-4 SIG-5 SIG-6";
    let rows = rows
        .into_iter()
        .map(|(name, key, msg, sig, expect, comment)| {
            let listed = if expect == "accept" { all } else { "" };
            row(vec![
                ("comment", s(comment)),
                ("covers", covers_of(expect, listed)),
                ("expect", s(expect)),
                ("key_hex", s(&hex(&key))),
                ("msg_hex", s(&hex(msg))),
                ("name", s(name)),
                ("sig_hex", s(&hex(&sig))),
            ])
        })
        .collect();
    table(
        "signatures",
        "Ed25519 under the pinned rule set (spec chapter 4). `key_hex` (32 bytes), `msg_hex`, \
         `sig_hex` (64 bytes); `expect` is `accept` or the first rule (SIG-1..SIG-6, in that \
         order). Messages are real document and checkpoint signing messages. See also \
         test-vectors/ed25519/cctv-verdicts.json and the external vectors.",
        rows,
    )
}

/// The verdict on a document: envelope, then each signature.
fn document_verdict(text: &[u8]) -> Result<Document, String> {
    let v = canonical::parse_canonical(text).map_err(|e| e.rule.code().to_string())?;
    let d = Document::from_value(&v).map_err(|e| e.rule.code().to_string())?;
    if let Some(Err(e)) = d.verify_signatures().into_iter().find(Result::is_err) {
        return Err(e.rule().code().to_string());
    }
    Ok(d)
}

/// `base` (a canonical object, with `lf` after it or not) with its object
/// edited, re-encoded the same way.
fn edit_object(base: &[u8], lf: bool, edit: &dyn Fn(&mut Object)) -> Vec<u8> {
    let text = if lf { &base[..base.len() - 1] } else { base };
    let mut v = canonical::parse(text).expect("parses");
    let Value::Object(o) = &mut v else {
        unreachable!("an object")
    };
    edit(o);
    let mut out = canonical::encode(&v);
    if lf {
        out.push(b'\n');
    }
    out
}

/// Sets member `m` of an object (a row's edit).
fn set(o: &mut Object, m: &str, v: Value) {
    o.insert(m, v);
}

/// documents.json: the envelope, the document hash and signing message.
fn documents_table(f: &Fixture) -> Value {
    let doc_row = |name: &str, text: &[u8], expect: &str, listed: &str| {
        let text = s(std::str::from_utf8(text).expect("utf-8"));
        vec![
            ("covers", covers_of(expect, listed)),
            ("document_text", text),
            ("expect", s(expect)),
            ("name", s(name)),
        ]
    };
    let mut rows = Vec::new();
    let text = |d: &Document| canonical::encode(&d.to_value());
    let all = "DOC-1 DOC-2 DOC-3 DOC-4 ENC-9 ENC-10 LIM-3";
    for (i, d) in f.docs.iter().enumerate() {
        let name = format!("valid_small_commune_entry_{i}");
        let mut m = doc_row(&name, &text(d), "accept", all);
        m.push(("hash_hex", s(&hex(&d.hash().0))));
        m.push(("signing_message_hex", s(&hex(&d.signing_message()))));
        rows.push(row(m));
    }
    let base = text(&f.docs[1]);
    let edit = |g: &dyn Fn(&mut Object)| edit_object(&base, false, g);
    let sigs = |g: &dyn Fn(&mut Vec<Value>)| edit(&|o| edit_array(o, "sigs", g));
    let sig = |i: usize, g: &dyn Fn(&mut Object)| {
        sigs(&|v| {
            if let Value::Object(o) = &mut v[i] {
                g(o)
            }
        })
    };
    let forged = |o: &mut Object| {
        let old = o.get("sig").and_then(Value::as_str).unwrap_or("");
        let mut raw = b64::decode::<64>(old).unwrap_or([0; 64]);
        raw[40] ^= 1;
        o.insert("sig", s(&b64::encode(&raw)));
    };
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not_an_object", b"[]".to_vec(), "DOC-1"),
        ("unknown_member", edit(&|o| set(o, "extra", Value::Null)), "DOC-1"),
        ("missing_body", edit(&|o| drop(o.remove("body"))), "DOC-1"),
        ("unknown_before_missing", edit(&|o| { o.remove("body"); set(o, "zzz", Value::Null) }), "DOC-1"),
        ("commune_not_string", edit(&|o| set(o, "commune", Value::Int(1))), "DOC-1"),
        ("v_not_integer", edit(&|o| set(o, "v", s("1"))), "DOC-1"),
        ("type_before_version", edit(&|o| { set(o, "v", Value::Int(2)); set(o, "sigs", Value::Null) }), "DOC-1"),
        ("signature_not_object", sigs(&|v| v[0] = s("x")), "DOC-1"),
        ("signature_missing_sig", sig(0, &|o| drop(o.remove("sig"))), "DOC-1"),
        ("version_0", edit(&|o| set(o, "v", Value::Int(0))), "DOC-2"),
        ("version_before_kind", edit(&|o| { set(o, "v", Value::Int(3)); set(o, "kind", s("x")) }), "DOC-2"),
        ("unknown_kind", edit(&|o| set(o, "kind", s("Payment"))), "DOC-3"),
        ("kind_before_commune", edit(&|o| { set(o, "kind", s("x")); set(o, "commune", s("A")) }), "DOC-3"),
        ("commune_short", edit(&|o| set(o, "commune", s("AAAA"))), "ENC-9"),
        ("commune_standard_base64", edit(&|o| set(o, "commune", s(&"+".repeat(43)))), "ENC-9"),
        ("commune_before_date",
            edit(&|o| { set(o, "commune", s("AAAA")); set(o, "date", s("2024-13-01")) }), "ENC-9"),
        ("date_month_13", edit(&|o| set(o, "date", s("2024-13-01"))), "ENC-10"),
        ("date_1900_02_29", edit(&|o| set(o, "date", s("1900-02-29"))), "ENC-10"),
        ("date_year_0", edit(&|o| set(o, "date", s("0000-01-01"))), "ENC-10"),
        ("date_short", edit(&|o| set(o, "date", s("2024-3-1"))), "ENC-10"),
        ("key_padded", sig(0, &|o| map_str(o, "key", |k| format!("{k}="))), "ENC-9"),
        ("no_signature", edit(&|o| set(o, "sigs", Value::Array(Vec::new()))), "DOC-4"),
        ("unsorted", sigs(&|v| v.swap(0, 1)), "DOC-4"),
        ("same_key_twice", sigs(&|v| v[1] = v[0].clone()), "DOC-4"),
        ("forged", sig(1, &forged), "SIG-6"),
        // entry 1 has three signatures: keep two, spoil the second
        ("bad_second_of_two", sigs(&|v| {
            v.truncate(2);
            if let Value::Object(o) = &mut v[1] {
                o.insert("key", s(&b64::encode(&h32(Y_EQUALS_P))));
            }
        }), "SIG-1"),
    ];
    for (name, t, expect) in cases {
        rows.push(row(doc_row(name, &t, expect, "")));
    }
    table(
        "documents",
        "The document envelope (spec chapter 5). `document_text` is a document as canonical JSON. \
         `expect` is `accept` or the first rule broken, checked in the order of spec 5.1 (DOC-1, \
         DOC-2, DOC-3, ENC-9 on `commune`, ENC-10 on `date`, LIM-3, then each signature: DOC-1, \
         ENC-9, DOC-4), then each signature verified in `sigs` order (SIG-1..SIG-6). For accepted \
         documents, `hash_hex` is the document hash (spec 5.3) and `signing_message_hex` the \
         98-byte message every party signs (spec 5.4).",
        rows,
    )
}

/// The verdict on a checkpoint file: parse (CKP-1, CKP-2, ENC-9, LIM-3),
/// then its signatures.
fn checkpoint_verdict(bytes: &[u8]) -> Result<Checkpoint, String> {
    let cp = Checkpoint::parse(bytes).map_err(|e| e.rule.code().to_string())?;
    cp.verify_signatures()
        .map_err(|e| e.rule.code().to_string())?;
    Ok(cp)
}

/// checkpoints.json.
fn checkpoints_table(f: &Fixture) -> Value {
    let (k1, k2) = (key(1), key(2));
    let good = f.checkpoint(5, &[&k1, &k2]);
    let base = good.to_bytes();
    let edit = |g: &dyn Fn(&mut Object)| edit_object(&base, true, g);
    let sigs = |g: &dyn Fn(&mut Vec<Value>)| edit(&|o| edit_array(o, "sigs", g));
    let mut forged = good.clone();
    forged.sigs[1].sig[40] ^= 1;
    let mut doc_sig = good.clone();
    doc_sig.sigs = vec![f.docs[3].sigs[0]];
    let spaced = String::from_utf8(base.clone())
        .expect("utf-8")
        .replacen(':', ": ", 1);
    // (name, file, expected verdict, covers if not the verdict)
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("size_5_two_cosigners", base.clone(), "accept", "CKP-1 CKP-2 SIG-6"),
        ("size_1", f.checkpoint(1, &[&key(3)]).to_bytes(), "accept", "CKP-1 CKP-2"),
        ("no_final_lf", base[..base.len() - 1].to_vec(), "ENC-2", ""),
        ("not_canonical", spaced.into_bytes(), "ENC-8", ""),
        ("not_an_object", b"[]\n".to_vec(), "CKP-1", ""),
        ("unknown_member", edit(&|o| set(o, "time", Value::Int(0))), "CKP-1", ""),
        ("missing_head", edit(&|o| drop(o.remove("head"))), "CKP-1", ""),
        ("size_not_integer", edit(&|o| set(o, "size", s("5"))), "CKP-1", ""),
        ("version_2", edit(&|o| set(o, "v", Value::Int(2))), "CKP-1", ""),
        ("size_0", edit(&|o| set(o, "size", Value::Int(0))), "CKP-1", ""),
        ("signature_not_object", edit(&|o| set(o, "sigs", Value::Array(vec![Value::Int(1)]))), "CKP-1", ""),
        ("head_padded", edit(&|o| map_str(o, "head", |h| format!("{h}="))), "ENC-9", ""),
        ("no_signature", edit(&|o| set(o, "sigs", Value::Array(Vec::new()))), "CKP-2", ""),
        ("unsorted", sigs(&|v| v.swap(0, 1)), "CKP-2", ""),
        ("same_key_twice", sigs(&|v| v[1] = v[0].clone()), "CKP-2", ""),
        ("forged_second", forged.to_bytes(), "SIG-6", ""),
        ("document_signature", doc_sig.to_bytes(), "SIG-6", ""),
    ];
    let rows = cases
        .into_iter()
        .map(|(name, b, expect, listed)| {
            let text = s(std::str::from_utf8(&b).expect("utf-8"));
            let mut m = vec![
                ("checkpoint_text", text),
                ("covers", covers_of(expect, listed)),
                ("expect", s(expect)),
                ("name", s(name)),
            ];
            if expect == "accept" {
                let cp = Checkpoint::parse(&b).expect("accepted");
                m.push(("signing_message_hex", s(&hex(&cp.signing_message()))));
            }
            row(m)
        })
        .collect();
    table(
        "checkpoints",
        "Checkpoint files (spec 7.1, 7.2). `checkpoint_text` is the file's exact content (one \
         line and LF). `expect` is `accept` or the first rule broken: the line's encoding (as a \
         chain line: ENC-2 for a missing LF, ENC-1..ENC-8, LIM-2), then CKP-1 in the order of \
         spec 7.1, ENC-9 on `commune` and `head`, LIM-3 and CKP-2 on `sigs`, then each \
         cosignature in order (SIG-1..SIG-6). `signing_message_hex` is the 108-byte message a \
         cosigner signs. Agreement with a chain (CKP-3) is tested by chain cases with a \
         `checkpoint:` header.",
        rows,
    )
}

fn fork_verdict(bytes: &[u8]) -> Result<(), String> {
    let p = ForkProof::parse(bytes).map_err(|e| e.rule.code().to_string())?;
    p.verify().map_err(|e| e.rule.code().to_string())
}

/// fork-proofs.json.
fn fork_table(f: &Fixture) -> Value {
    let (k1, k2) = (key(1), key(2));
    // another history of the same commune after entry 2
    let mut alt = Builder::new();
    for d in &f.docs[..3] {
        alt.push(d);
    }
    let other_story = income("p4", 1, "the other story");
    alt.push(&signed(
        f.commune,
        Kind::Payment,
        "2024-12-31",
        other_story,
        &[&k1],
    ));
    let a = f.checkpoint(5, &[&k1]);
    let mut b = Checkpoint::new(f.commune, 4, alt.head());
    b.sign(&k2).expect("sign");
    let proof = |a: &Checkpoint, b: &Checkpoint, position: u64, ea: &[Vec<u8>], eb: &[Vec<u8>]| {
        let (a, b, entries_a, entries_b) = (a.clone(), b.clone(), ea.to_vec(), eb.to_vec());
        let p = ForkProof {
            a,
            b,
            position,
            entries_a,
            entries_b,
        };
        p.to_bytes().expect("entries are JSON")
    };
    let (la, lb) = (f.lines(), alt.lines().to_vec());
    let runs = proof(&a, &b, 3, &la[3..5], &lb[3..4]);
    let mut b_same_size = Checkpoint::new(f.commune, 5, hash::entry(b"a different entry 4"));
    b_same_size.sign(&k2).expect("sign");
    let edit = |g: &dyn Fn(&mut Object)| edit_object(&runs, true, g);
    let mut forged_b = b.clone();
    forged_b.sigs[0].sig[40] ^= 1;
    let b_other = Fixture::named("Another commune").checkpoint(4, &[&k2]);
    // another history whose entry 3 carries a forged signature: the runs'
    // documents are not verified (spec 7.4), so the proof holds
    let mut forged_story = Builder::new();
    for d in &f.docs[..3] {
        forged_story.push(d);
    }
    let mut forged_doc = signed(
        f.commune,
        Kind::Payment,
        "2024-12-31",
        income("p4", 2, "a forged story"),
        &[&k1],
    );
    forged_doc.sigs[0].sig[40] ^= 1;
    forged_story.push(&forged_doc);
    let mut b_forged_run = Checkpoint::new(f.commune, 4, forged_story.head());
    b_forged_run.sign(&k2).expect("sign");
    let forged_run = proof(&a, &b_forged_run, 3, &la[3..5], &forged_story.lines()[3..4]);
    let mut broken = la[4].clone();
    edit_doc(&mut broken, |d| set(d, "kind", s("gift")));
    let none: &[Vec<u8>] = &[];
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("runs_from_position_3", runs.clone(), "accept"),
        ("same_size_different_heads", proof(&a, &b_same_size, 0, none, none), "accept"),
        ("run_document_signature_not_verified", forged_run, "accept"),
        ("not_an_object", b"[]\n".to_vec(), "FRK-1"),
        ("missing_position", edit(&|o| drop(o.remove("position"))), "FRK-1"),
        ("unknown_member", edit(&|o| set(o, "note", Value::Null)), "FRK-1"),
        ("version_2", edit(&|o| set(o, "v", Value::Int(2))), "FRK-1"),
        ("negative_position", edit(&|o| set(o, "position", Value::Int(-1))), "FRK-1"),
        ("entries_not_array", edit(&|o| set(o, "entries_a", Value::Null)), "FRK-1"),
        ("entry_not_object", edit(&|o| set(o, "entries_b", Value::Array(vec![Value::Int(3)]))), "FRK-1"),
        ("checkpoint_a_malformed", edit(&|o| {
            if let Some(Value::Object(mut a)) = o.remove("a") {
                a.insert("size", Value::Int(0));
                o.insert("a", Value::Object(a));
            }
        }), "CKP-1"),
        ("forged_cosignature_b", proof(&a, &forged_b, 3, &la[3..5], &lb[3..4]), "SIG-6"),
        ("two_communes", proof(&a, &b_other, 0, none, none), "FRK-2"),
        ("agreeing_heads", proof(&a, &a, 0, none, none), "FRK-2"),
        ("sizes_differ_without_entries", proof(&a, &b, 0, none, none), "FRK-2"),
        ("run_too_short", proof(&a, &b, 3, &la[3..4], &lb[3..4]), "FRK-2"),
        ("run_not_linked", proof(&a, &b, 2, &[la[2].clone(), la[4].clone(), la[4].clone()], &lb[2..4]),
            "FRK-2"),
        ("runs_agree_at_position", proof(&a, &b, 2, &la[2..5], &lb[2..4]), "FRK-2"),
        ("run_entry_broken", proof(&a, &b, 3, &[la[3].clone(), broken], &lb[3..4]), "DOC-3"),
    ];
    let rows = cases
        .into_iter()
        .map(|(name, b, expect)| {
            let listed = if expect == "accept" {
                "FRK-1 FRK-2"
            } else {
                ""
            };
            row(vec![
                ("covers", covers_of(expect, listed)),
                ("expect", s(expect)),
                ("name", s(name)),
                ("proof_text", s(&String::from_utf8(b).expect("utf-8"))),
            ])
        })
        .collect();
    table(
        "fork-proofs",
        "Fork proof files (spec 7.4). `proof_text` is the file's exact content (one line and LF). \
         `expect` is `accept` when the file is a valid fork proof, else the first rule broken: \
         the line's encoding, FRK-1 (members, `v`, `position`, then `a` and `b` as checkpoints \
         with their own rules CKP-1, CKP-2, ENC-9, then the entry arrays), then FRK-2 in the \
         order of spec 7.4 (signatures of `a` then `b` with SIG-1..SIG-6, one commune, then the \
         runs, whose entries report their own rules).",
        rows,
    )
}

/// Checks one table row against the library: the verdict and every
/// computed value. `Err` says what differs.
pub fn check_row(table: &str, r: &Object) -> Result<(), String> {
    let get = |k: &str| {
        r.get(k)
            .and_then(Value::as_str)
            .ok_or(format!("row without {k}"))
    };
    let bytes = |k: &str| get(k).and_then(|h| unhex(h).ok_or(format!("{k} is not hex")));
    let expect = |got: String| -> Result<(), String> {
        let want = get("expect")?;
        if got == want {
            Ok(())
        } else {
            Err(format!("expected {want}, library says {got}"))
        }
    };
    let same = |k: &str, got: String| -> Result<(), String> {
        match r.get(k).and_then(Value::as_str) {
            Some(want) if want != got => {
                Err(format!("{k}: row has {want}, library computes {got}"))
            }
            _ => Ok(()),
        }
    };
    match table {
        "dividends" => dividends::check_row(r),
        "canonical" => {
            let input = bytes("input_hex")?;
            if let Some(t) = r.get("input_text").and_then(Value::as_str)
                && t.as_bytes() != input
            {
                return Err("input_text differs from input_hex".into());
            }
            expect(canonical_verdict(&input))?;
            match canonical::parse(&input) {
                Ok(v) => same("canonical_hex", hex(&canonical::encode(&v))),
                Err(_) if r.get("canonical_hex").is_some() => {
                    Err("canonical_hex for an input that does not parse".into())
                }
                Err(_) => Ok(()),
            }
        }
        "hashing" => {
            let input = bytes("input_hex")?;
            let context = get("context")?;
            let h = hash_fn(context).ok_or(format!("unknown context {context}"))?(&input);
            if h.0 != blake3::derive_key(get("context")?, &input) {
                return Err("hash module differs from BLAKE3 derive_key".into());
            }
            same("hash_hex", hex(&h.0))?;
            same("hash_b64", h.to_b64())
        }
        "signatures" => {
            let key: [u8; 32] = bytes("key_hex")?
                .try_into()
                .map_err(|_| "key is not 32 bytes")?;
            let sg: [u8; 64] = bytes("sig_hex")?
                .try_into()
                .map_err(|_| "sig is not 64 bytes")?;
            let (msg, sig) = (bytes("msg_hex")?, &sg);
            expect(sig_verdict(&key, &msg, &sg))?;
            let batch = sig::verify_batch(&[sig::Item {
                key: &key,
                msg: &msg,
                sig,
            }]);
            if batch[0] != sig::verify(&key, &msg, &sg) {
                return Err("batch and single verdicts differ".into());
            }
            Ok(())
        }
        "documents" => {
            let text = get("document_text")?;
            match document_verdict(text.as_bytes()) {
                Ok(d) => {
                    expect("accept".into())?;
                    same("hash_hex", hex(&d.hash().0))?;
                    same("signing_message_hex", hex(&d.signing_message()))
                }
                Err(rule) => expect(rule),
            }
        }
        "checkpoints" => match checkpoint_verdict(get("checkpoint_text")?.as_bytes()) {
            Ok(cp) => {
                expect("accept".into())?;
                same("signing_message_hex", hex(&cp.signing_message()))
            }
            Err(rule) => expect(rule),
        },
        "fork-proofs" => expect(match fork_verdict(get("proof_text")?.as_bytes()) {
            Ok(()) => "accept".into(),
            Err(rule) => rule,
        }),
        t => Err(format!("unknown table {t}")),
    }
}
