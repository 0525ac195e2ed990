//! The integrity chain cases (`test-vectors/chains/`, spec chapters 2 to 8:
//! encoding, signatures, documents, the chain, checkpoints and limits):
//! the valid small commune, then for each rule chains whose first finding
//! is that rule. Most cases are one row of a table: a line of [`Fixture`]
//! and an edit, or a signature of an appended document and an edit.

use super::build::{
    Fixture, Gen, IDENTITY, LineEdit, ORDER_8, X_NEG_ZERO, Y_EQUALS_P, Y_P_PLUS_3,
    add_l_to_s, charter_body, date, edit_doc, edit_entry, edit_sig, edit_sigs, h32, income, join,
    key, map_str, obj, off_curve, replace, s, set_doc, set_entry, signed, torsioned_signature,
};
use super::case::Expand;
use crate::protocol::b64;
use crate::protocol::canonical::Value;
use crate::protocol::chain::{self, Builder};
use crate::protocol::checkpoint::Checkpoint;
use crate::protocol::document::{Document, Kind, Signature};
use crate::protocol::hash::{self, Hash};
use crate::protocol::rule::Rule;
use crate::protocol::sig::SecretKey;

/// Cases that edit one line of [`Fixture`]: the first finding is the rule
/// at that line. (rule, name, line, edit, comment.)
#[rustfmt::skip]
const LINE_EDITS: &[(Rule, &str, usize, LineEdit, &str)] = &[
    (Rule::Enc1, "invalid_byte", 2, |l| replace(l, b"lathe", b"l\xFFthe"),
        "A 0xFF byte inside a string of entry 2."),
    (Rule::Enc1, "encoded_surrogate", 3, |l| replace(l, b"largest", b"\xED\xA0\x80largest"),
        "UTF-8-encoded surrogate U+D800 (ED A0 80) in a string: not UTF-8."),
    (Rule::Enc1, "overlong", 1,
        |l| { replace(l, b"{\"doc\"", b"{\"doc\"]"); replace(l, b"\"zoe\"", b"\"zoe\xC0\xAF\""); },
        "An overlong two-byte encoding of '/' (C0 AF) in the member id. ENC-1 is checked over \
         the whole line before parsing, so it wins over the grammar error earlier in the line."),
    (Rule::Enc3, "trailing_data", 2, |l| l.push(b'x'), "Entry 2 is followed by `x` on its line."),
    (Rule::Enc3, "truncated", 3, |l| l.truncate(l.len() / 2), "Entry 3 is cut in the middle."),
    (Rule::Enc3, "leading_zero", 2, |l| replace(l, b"1250", b"01250"),
        "The amount `01250`: a leading zero."),
    (Rule::Enc3, "bad_escape", 4, |l| replace(l, b"end", b"\\x41end"),
        "The escape `\\x41` does not exist in JSON."),
    (Rule::Enc4, "duplicate_member", 2,
        |l| replace(l, b"\"amount\":1250,", b"\"amount\":1250,\"amount\":1250,"),
        "Entry 2's body has `amount` twice."),
    (Rule::Enc4, "duplicate_escaped_name", 1,
        |l| replace(l, b"\"member\":", b"\"\\u006dember\":\"x\",\"member\":"),
        "`member` and `\\u006dember` are the same name after unescaping."),
    (Rule::Enc5, "fraction", 2, |l| replace(l, b"1250", b"1250.0"),
        "The amount `1250.0` has a fraction."),
    (Rule::Enc5, "exponent", 4, |l| replace(l, b"\"amount\":1", b"\"amount\":1e0"),
        "The amount `1e0` has an exponent."),
    (Rule::Enc6, "too_large", 3, |l| replace(l, b"9007199254740991", b"9007199254740992"),
        "9007199254740992 = 2^53 is outside the profile."),
    (Rule::Enc7, "lone_surrogate", 2, |l| replace(l, b"lathe", b"\\ud800lathe"),
        "The escape `\\ud800` is a lone high surrogate."),
    (Rule::Enc8, "whitespace", 2, |l| replace(l, b"\":", b"\": "), "A space after the first colon."),
    (Rule::Enc8, "escaped_non_ascii", 2, |l| replace(l, "Zoë".as_bytes(), b"Zo\\u00eb"),
        "`Zo\\u00eb` instead of `Zoë`: escaping non-ASCII is not canonical."),
    (Rule::Enc8, "member_order", 2, seq_before_prev, "`seq` before `prev`."),
    (Rule::Enc8, "minus_zero", 4, |l| replace(l, b"\"amount\":1", b"\"amount\":-0"),
        "The amount `-0`: in the profile, not canonical."),
    (Rule::Enc9, "padded_prev", 3, |l| edit_entry(l, |e| map_str(e, "prev", |p| format!("{p}="))),
        "`prev` with `=` padding."),
    (Rule::Enc9, "key_nonzero_bits", 4, |l| edit_sig(l, 0, |s| map_str(s, "key", bump_last_b64)),
        "The last character of entry 4's first key has non-zero unused bits: the same bytes \
         spelt a second way."),
    (Rule::Enc9, "short_signature", 2, |l| edit_sig(l, 0, |s| map_str(s, "sig", |v| v[..85].into())),
        "A signature of 85 characters (63 bytes and a bit)."),
    (Rule::Enc10, "not_a_leap_year", 3, |l| set_doc(l, "date", s("2023-02-29")),
        "2023-02-29 does not exist."),
    (Rule::Enc10, "time_of_day", 2, |l| set_doc(l, "date", s("2024-03-01T00:00")),
        "A date with a time: `2024-03-01T00:00`."),
    (Rule::Doc1, "unknown_member", 2, |l| set_doc(l, "note", s("x")),
        "The document has a `note` member."),
    (Rule::Doc1, "missing_sigs", 1, |l| edit_doc(l, |d| { d.remove("sigs"); }),
        "The document has no `sigs` member."),
    (Rule::Doc1, "body_not_object", 3, |l| set_doc(l, "body", Value::Array(Vec::new())),
        "The body is an array."),
    (Rule::Doc1, "signature_extra_member", 4, |l| edit_sig(l, 1, |s| { s.insert("by", Value::from("me")); }),
        "A signature object with a `by` member."),
    (Rule::Doc2, "version_3", 2, |l| set_doc(l, "v", Value::Int(3)), "`v` is 3: this protocol has versions 1 and 2."),
    (Rule::Doc3, "unknown_kind", 3, |l| set_doc(l, "kind", s("dividend")),
        "The kind `dividend` is not defined."),
    (Rule::Doc4, "unsorted", 1, |l| edit_sigs(l, |v| v.swap(0, 1)),
        "The two signatures of entry 1 in descending key order."),
    (Rule::Doc4, "same_key_twice", 2, |l| edit_sigs(l, |v| v.insert(1, v[0].clone())),
        "Entry 2's first signature, listed twice in a row."),
    (Rule::Doc4, "no_signature", 3, |l| set_doc(l, "sigs", Value::Array(Vec::new())),
        "`sigs` is empty."),
    (Rule::Chn1, "extra_member", 2, |l| set_entry(l, "time", Value::Int(0)),
        "The entry has a `time` member."),
    (Rule::Chn1, "negative_seq", 1, |l| set_entry(l, "seq", Value::Int(-1)), "`seq` is −1."),
    (Rule::Chn1, "not_an_object", 3, |l| *l = b"[1,2,3]".to_vec(), "The line is an array."),
    (Rule::Chn2, "wrong_seq", 3, |l| set_entry(l, "seq", Value::Int(4)), "Entry 3 says seq 4."),
    (Rule::Chn3, "wrong_prev", 4,
        |l| set_entry(l, "prev", s(&hash::entry(&Fixture::new().lines()[2]).to_b64())),
        "Entry 4's prev is entry 2's hash."),
    (Rule::Chn3, "genesis_prev", 0, |l| set_entry(l, "prev", s(&hash::entry(b"").to_b64())),
        "The genesis entry's prev is not zero."),
    // ordering across layers within one entry
    (Rule::Chn1, "before_document", 2,
        |l| { set_doc(l, "kind", s("gift")); set_entry(l, "zzz", Value::Null); },
        "The entry has an unknown member and its document an unknown kind: the entry's members \
         are checked before the document."),
    (Rule::Doc3, "before_link", 4,
        |l| { set_doc(l, "kind", s("gift")); set_entry(l, "prev", s(&Hash::ZERO.to_b64())); },
        "Unknown kind and wrong prev: the envelope is checked before the links."),
];

/// An edit of one signature.
type SignatureEdit = fn(&mut Signature);

/// Cases that append entry 5, an income signed by key 4, with its signature
/// edited. (rule, name, edit, comment.)
#[rustfmt::skip]
const SIGNATURE_EDITS: &[(Rule, &str, SignatureEdit, &str)] = &[
    (Rule::Sig1, "key_y_equals_p", |s| s.key = h32(Y_EQUALS_P),
        "The key encodes y = p (non-canonical)."),
    (Rule::Sig1, "key_y_p_plus_3", |s| s.key = h32(Y_P_PLUS_3),
        "The key encodes y = p + 3: lenient decoders read a point of large order."),
    (Rule::Sig1, "key_x_minus_zero", |s| s.key = h32(X_NEG_ZERO),
        "The key is y = 1 with the sign bit set (\"x = −0\")."),
    (Rule::Sig1, "key_off_curve", |s| s.key = off_curve(), "The key's y gives no x on the curve."),
    (Rule::Sig2, "key_identity", |s| s.key = h32(IDENTITY), "The key is the identity point (order 1)."),
    (Rule::Sig2, "key_order_8", |s| s.key = h32(ORDER_8), "The key is a point of order 8."),
    (Rule::Sig3, "r_y_equals_p", |s| s.sig[..32].copy_from_slice(&h32(Y_EQUALS_P)),
        "The signature's R encodes y = p."),
    (Rule::Sig3, "r_x_minus_zero", |s| s.sig[..32].copy_from_slice(&h32(X_NEG_ZERO)),
        "R is \"x = −0\" (Wycheproof tc 151's case)."),
    (Rule::Sig4, "r_order_8", |s| s.sig[..32].copy_from_slice(&h32(ORDER_8)),
        "R is a point of order 8."),
    (Rule::Sig5, "s_plus_l", |s| s.sig = add_l_to_s(&s.sig),
        "S + L: the same signature malleated; S is not reduced."),
    (Rule::Sig6, "flipped_bit", |s| s.sig[40] ^= 1, "One bit of S flipped (S stays below L)."),
];

/// The integrity cases.
pub(crate) fn cases(g: &mut Gen) {
    let f = Fixture::new();
    let (k1, k2, k3, k4) = (key(1), key(2), key(3), key(4));
    let c = f.commune;
    // income `p4` of `amount` from `source`, dated 2025-01-01
    let p4 = |amount, source: &str, signers: &[&SecretKey]| {
        signed(c, Kind::Payment, "2025-01-01", income("p4", amount, source), signers)
    };
    let chain_of = |docs: &[Document]| {
        let mut b = Builder::new();
        for d in docs {
            b.push(d);
        }
        b.to_bytes()
    };
    // the integrity rules every entry of a valid chain passes
    let mut small_covers: Vec<Rule> = Rule::ALL
        .iter()
        .copied()
        .filter(|r| {
            r.section() != "10-commune.md"
                && r.section() != "11-dividends.md"
                && r.section() != "14-collateral.md"
                && !matches!(
                    r.code(),
                    "CHN-8" | "CKP-1" | "CKP-2" | "CKP-3" | "FRK-1" | "FRK-2"
                )
        })
        .collect();
    small_covers.extend([
        Rule::Com1,
        Rule::Com2,
        Rule::Com3,
        Rule::Com4,
        Rule::Aut1,
        Rule::Aut2,
        Rule::Aut3,
        Rule::Aut4,
        Rule::Mem1,
        Rule::Ref1,
        Rule::Ref2,
    ]);

    // --- valid chains
    g.valid(
        "small_commune",
        &small_covers,
        "A charter signed by its three founders (f1, f2, f3; treasurers f1 and f2), the \
         admission of key 4 as zoe signed by two of the three members and by key 4, three \
         income payments signed by a treasurer (two of them with a second, non-treasurer \
         witness). Non-ASCII and escaped characters, the largest integer, 2024-02-29, two \
         entries on one date.",
        f.bytes(),
    );
    g.valid(
        "charter_only",
        &[Rule::Chn3, Rule::Chn4, Rule::Chn5, Rule::Chn8, Rule::Aut1],
        "The shortest valid chain: the charter alone.",
        chain_of(&f.docs[..1]),
    );
    g.valid(
        "with_checkpoints",
        &[Rule::Ckp1, Rule::Ckp2, Rule::Ckp3],
        "The small commune audited against two checkpoints it agrees with: size 3 cosigned by \
         keys 1 and 4, size 5 (the head) by key 2.",
        f.bytes(),
    )
    .checkpoint(&f.checkpoint(3, &[&k1, &k4]))
    .checkpoint(&f.checkpoint(5, &[&k2]));
    let mut d = Document::new(c, Kind::Payment, date("2025-01-01"), income("p4", 7, "torsion"));
    let sig = torsioned_signature(&k2, &d.signing_message());
    d.add_signature(Signature { key: k2.public_key(), sig }).expect("one signature");
    g.valid(
        "torsioned_r",
        &[Rule::Sig3, Rule::Sig4, Rule::Sig5, Rule::Sig6],
        "Entry 5 (income signed by treasurer f2) has a signature whose R has a small-order component (R = [r]B + T, T of order \
         8). The cofactored equation of SIG-6 accepts it; a cofactorless verifier (RFC 8032's \
         alternative, most libraries' default) wrongly rejects it.",
        f.with(&d),
    );
    // depth: entry 1, doc 2, body 3, then 29 arrays: the innermost is 32
    let nested = |n| (0..n).fold(Value::Array(Vec::new()), |v, _| Value::Array(vec![v]));
    let deep = |n| signed(c, Kind::Payment, "2025-01-01", obj(&[("deep", nested(n))]), &[&k1]);
    g.invalid(
        Rule::Com1,
        "depth_32",
        Some(5),
        "Entry 5 nests 32 deep (entry, doc, body and 29 arrays): the deepest LIM-2 allows, so \
         the integrity layers accept it. No commune body nests that deep, so the payment's \
         body has an unknown member `deep`: COM-1 (a commune finding, after integrity). \
         Formerly valid_depth_32; canonical.json's depth_32 row is LIM-2's passing item.",
        f.with(&deep(28)),
    );
    // --- LIM-1: a one-entry chain whose line is exactly 16 MiB with its LF
    let (data, expand) = big_charter(chain::MAX_LINE);
    g.invalid(
        Rule::Com1,
        "max_line",
        Some(0),
        "One entry whose line is exactly 16,777,216 bytes, LF included: the longest LIM-1 \
         allows, so the integrity layers accept it. The charter body's `pad` member (the \
         expanded run) is not a charter member: COM-1 at entry 0, the only finding (a void \
         charter ends the commune rules). Formerly valid_max_line: no commune body can \
         hold 16 MiB of repeated bytes.",
        data,
    )
    .expand = Some(expand);
    let (data, expand) = big_charter(chain::MAX_LINE + 1);
    g.invalid(
        Rule::Lim1,
        "line_too_long",
        Some(0),
        "The same entry with one more byte of padding: 16,777,217 bytes with its LF. \
         LIM-1 is reported before anything else about the line is looked at.",
        data,
    )
    .expand = Some(expand);

    // --- ENC: framing and the JSON profile
    let good = f.bytes();
    let bom = [b"\xEF\xBB\xBF".as_slice(), &good].concat();
    let comment = "The file starts with a UTF-8 byte order mark.";
    g.invalid(Rule::Enc2, "bom", Some(0), comment, bom);
    let mut crlf = good.clone();
    replace(&mut crlf, b"\n", b"\r\n");
    g.invalid(Rule::Enc2, "crlf", Some(0), "Line 1 ends with CR LF.", crlf);
    let lines = |edit: &dyn Fn(&mut Vec<Vec<u8>>)| {
        let mut lines = f.lines();
        edit(&mut lines);
        join(&lines)
    };
    let comment = "An empty line between entries 1 and 2.";
    g.invalid(Rule::Enc2, "empty_line", Some(2), comment, lines(&|l| l.insert(2, Vec::new())));
    let comment = "The last line does not end with LF.";
    g.invalid(Rule::Enc2, "no_final_lf", Some(4), comment, good[..good.len() - 1].to_vec());
    for (rule, short, at, edit, comment) in LINE_EDITS {
        g.broken(&f, *rule, short, *at, comment, edit);
    }

    // --- CHN: entries and links
    let comment = "Entries 2 and 3 swapped: the first entry out of place is at index 2.";
    g.invalid(Rule::Chn2, "reordered", Some(2), comment, lines(&|l| l.swap(2, 3)));
    let dropped = lines(&|l| drop(l.remove(3)));
    g.invalid(Rule::Chn2, "dropped", Some(3), "Entry 3 dropped.", dropped);
    let twice = lines(&|l| l.insert(3, l[2].clone()));
    g.invalid(Rule::Chn2, "duplicated", Some(3), "Entry 2 appears twice.", twice);
    let comment = "The chain starts with an admission.";
    g.invalid(Rule::Chn4, "genesis_not_charter", Some(0), comment, chain_of(&f.docs[1..3]));
    let second = charter_body("Second", &[&k1]);
    let d = signed(c, Kind::Charter, "2025-01-01", second, &[&k1]);
    let comment = "A charter after the genesis entry.";
    g.invalid(Rule::Chn4, "second_charter", Some(5), comment, f.with(&d));
    let other = Fixture::named("Another commune");
    let foreign = income("p4", 5, "foreign");
    let foreign = signed(other.commune, Kind::Payment, "2025-01-01", foreign, &[&k1]);
    g.invalid(
        Rule::Chn5,
        "foreign_document",
        Some(5),
        "A document of another commune (signed there by key 1, naming that commune) appended.",
        f.with(&foreign),
    );
    let mut d = foreign.clone();
    d.commune = c;
    g.invalid(
        Rule::Sig6,
        "commune_rewritten",
        Some(5),
        "The same foreign document with its `commune` rewritten to this commune: its \
         signatures no longer match.",
        f.with(&d),
    );
    let body = charter_body("Fonderie Café ☕", &[&k1, &k2, &k3]);
    let wrong = chain::commune_id(&charter_body("Fonderie", &[&k1]));
    let d = signed(wrong, Kind::Charter, "2024-02-29", body, &[&k1]);
    let comment = "The charter names a commune id that is not the hash of its body.";
    g.invalid(Rule::Chn5, "charter_wrong_id", Some(0), comment, chain_of(&[d]));
    let d = signed(c, Kind::Payment, "2024-12-31", income("p4", 1, "late"), &[&k1]);
    let comment = "Entry 5 is dated before entry 4.";
    g.invalid(Rule::Chn6, "date_decreases", Some(5), comment, f.with(&d));
    let comment = "Entry 4's document appended again at its right position (seq and prev correct).";
    g.invalid(Rule::Chn7, "replayed_document", Some(5), comment, f.with(&f.docs[4]));
    let comment = "An empty file has no entry.";
    g.invalid(Rule::Chn8, "empty_file", None, comment, Vec::new());

    // --- SIG: signatures on documents
    for (rule, short, edit, comment) in SIGNATURE_EDITS {
        let mut d = p4(1, "tampered", &[&k4]);
        edit(&mut d.sigs[0]);
        g.invalid(*rule, short, Some(5), comment, f.with(&d));
    }
    let mut d = p4(1, "tampered", &[&k4]);
    d.sigs[0].sig = p4(1, "tampered", &[&key(9)]).sigs[0].sig;
    let comment = "Signed by key 9, claimed for key 4.";
    g.invalid(Rule::Sig6, "other_signer", Some(5), comment, f.with(&d));
    g.invalid(
        Rule::Sig6,
        "changed_body",
        Some(2),
        "Entry 2's amount changed after signing. Entry 3's prev still names the original \
         line, but the signature failure at entry 2 comes first.",
        lines(&|l| replace(&mut l[2], b"1250", b"1251")),
    );
    let forged_then_seq = lines(&|l| {
        edit_sig(&mut l[3], 0, |s| {
            let sig = s.get("sig").and_then(Value::as_str).expect("sig");
            let mut raw = b64::decode::<64>(sig).expect("sig");
            raw[33] ^= 1;
            s.insert("sig", Value::from(b64::encode(&raw)));
        });
        set_entry(&mut l[4], "seq", Value::Int(9));
    });
    g.invalid(
        Rule::Sig6,
        "before_later_error",
        Some(3),
        "Entry 3's signature is forged and entry 4's seq is wrong: the earlier entry's error \
         is the one reported, even though signatures are checked after links within an \
         entry and a batch verifier may see entry 4 first.",
        forged_then_seq,
    );
    let mut d = p4(1, "order", &[&k1, &k2]);
    d.sigs[0].sig[40] ^= 1;
    d.sigs[1].key = h32(IDENTITY);
    d.sigs.swap(0, 1); // the identity key sorts first
    g.invalid(
        Rule::Sig2,
        "first_in_sigs_order",
        Some(5),
        "Two bad signatures: the first in `sigs` order (a small-order key) is reported, not \
         the forged one after it.",
        f.with(&d),
    );
    let mut d = p4(1, "order", &[&k1]);
    d.sigs[0].sig = add_l_to_s(&d.sigs[0].sig);
    d.sigs[0].sig[..32].copy_from_slice(&h32(ORDER_8));
    let comment = "R is small-order and S is not reduced: SIG-4 is checked before SIG-5.";
    g.invalid(Rule::Sig4, "before_s", Some(5), comment, f.with(&d));
    // a checkpoint signature reused as a document signature
    let mut d = p4(1, "cross", &[&k1]);
    d.sigs[0].sig = f.checkpoint(5, &[&k1]).sigs[0].sig;
    g.invalid(
        Rule::Sig6,
        "checkpoint_signature_as_document",
        Some(5),
        "The document carries key 1's cosignature of a checkpoint: the two signing messages \
         differ by their tags.",
        f.with(&d),
    );
    let mut d = signed(c, Kind::Payment, "2024-01-01", income("p4", 1, "x"), &[&k1]);
    d.sigs[0].sig[40] ^= 1;
    let comment = "A date in the past and a forged signature: links are checked before signatures.";
    g.invalid(Rule::Chn6, "before_signature", Some(5), comment, f.with(&d));

    // --- CKP-3 and signatures of checkpoints
    let comment = "The checkpoint says 5 entries; the chain shown has 4.";
    g.invalid(Rule::Ckp3, "withheld_entries", None, comment, chain_of(&f.docs[..4]))
        .checkpoint(&f.checkpoint(5, &[&k1, &k2]));
    let mut forked = Checkpoint::new(c, 3, hash::entry(b"another entry 2"));
    forked.sign(&k2).expect("sign");
    let comment = "The checkpoint's head at size 3 is not the hash of entry 2: another chain.";
    g.invalid(Rule::Ckp3, "fork", None, comment, f.bytes()).checkpoint(&forked);
    let comment = "A checkpoint of another commune.";
    g.invalid(Rule::Ckp3, "other_commune", None, comment, f.bytes())
        .checkpoint(&other.checkpoint(2, &[&k1]));
    let mut bad = f.checkpoint(5, &[&k1]);
    bad.sigs[0].sig[40] ^= 1;
    let comment = "A checkpoint that agrees with the chain but whose cosignature is forged.";
    g.invalid(Rule::Sig6, "checkpoint_cosignature", None, comment, f.bytes()).checkpoint(&bad);
    let mut longer = Checkpoint::new(c, 6, hash::entry(b"entry 5"));
    longer.sign(&k3).expect("sign");
    g.invalid(
        Rule::Ckp3,
        "second_checkpoint",
        None,
        "Two checkpoints: the first agrees, the second (size 6) does not; the finding is \
         the second's.",
        f.bytes(),
    )
    .checkpoint(&f.checkpoint(5, &[&k3]))
    .checkpoint(&longer);

    // --- LIM-2, LIM-3
    let comment = "Entry 5 nests 33 deep: one level more than valid_depth_32.";
    g.invalid(Rule::Lim2, "depth_33", Some(5), comment, f.with(&deep(29)));
    let mut data = join(&f.lines()[..1]);
    data.extend_from_slice(b"{\"doc\":");
    data.extend(std::iter::repeat_n(b'[', 100_000));
    data.push(b'\n');
    g.invalid(
        Rule::Lim2,
        "deep_unclosed",
        Some(1),
        "100,000 opening brackets: LIM-2 at the 33rd level (the 32nd `[`), before the \
         missing rest of the text is noticed.",
        data,
    );
    for (count, rule, short, comment) in [
        (
            65_537usize,
            Rule::Lim3,
            "too_many_signatures",
            "Entry 1's document carries 65,537 signature objects (all alike): LIM-3 is reported \
             before any element is read.",
        ),
        (
            65_536,
            Rule::Doc4,
            "65536_signatures_same_key",
            "Entry 1's document carries 65,536 signature objects, all alike: LIM-3 holds at its \
             limit, and the second element breaks DOC-4 (a key twice).",
        ),
    ] {
        let line = String::from_utf8(f.lines()[1].clone()).expect("utf-8");
        let start = line.find("\"sigs\":[").expect("sigs") + "\"sigs\":[".len();
        let end = start + line[start..].find("}]").expect("end of sigs") + 1;
        // entry 1 has three signatures; keep the first only, as the repeated unit
        let first = &line[start..start + line[start..].find('}').expect("}") + 1];
        let mut data = join(&f.lines()[..1]);
        let offset = data.len() + start;
        data.extend_from_slice(format!("{}{first}{}\n", &line[..start], &line[end..]).as_bytes());
        g.invalid(rule, short, Some(1), comment, data).expand = Some(Expand {
            offset,
            count: count - 1,
            unit: format!("{first},").into_bytes(),
        });
    }
}

/// ENC-8's `member_order`: `seq` moved before `prev` in an entry line.
fn seq_before_prev(l: &mut Vec<u8>) {
    let s = String::from_utf8(l.clone()).expect("utf-8");
    let i = s.find(",\"prev\":").expect("prev");
    let j = s.find(",\"seq\":").expect("seq");
    let (prev, seq) = (&s[i..j], &s[j..s.len() - 1]);
    *l = format!("{}{seq}{prev}}}", &s[..i]).into_bytes();
}

/// `s` with its last base64url character moved up by one (same decoded
/// bytes when the unused bits were zero: a second spelling).
fn bump_last_b64(s: &str) -> String {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = s.chars().last().expect("non-empty");
    let i = ALPHABET.find(last).expect("base64url");
    let mut out = s[..s.len() - 1].to_string();
    out.push(ALPHABET.as_bytes()[(i + 1) % 64] as char);
    out
}

/// A one-entry chain whose charter body has a `pad` string of `a`s, so that
/// the line with its LF is `line_len` bytes long: the data without the pad's
/// characters and the [`Expand`] that puts them back.
fn big_charter(line_len: usize) -> (Vec<u8>, Expand) {
    let k1 = key(1);
    let build = |n: usize| {
        let mut body = charter_body("Long", &[&k1]);
        body.insert("pad", Value::from("a".repeat(n)));
        let commune = chain::commune_id(&body);
        let mut b = Builder::new();
        b.push(&signed(commune, Kind::Charter, "2024-01-01", body, &[&k1]));
        b.to_bytes()
    };
    // the line's length without padding; the signature's length is fixed
    let n = line_len - build(0).len();
    let full = build(n);
    assert_eq!(full.len(), line_len);
    let marker = b"\"pad\":\"";
    let offset = full.windows(marker.len()).position(|w| w == marker).expect("pad") + marker.len();
    let data = [&full[..offset], &full[offset + n..]].concat();
    let unit = b"a".to_vec();
    (data, Expand { offset, count: n, unit })
}
