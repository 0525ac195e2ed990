//! The rule registry: every normative rule of the specification, by its
//! stable id.
//!
//! Each `MUST` in `spec/` that a verifier can check carries an id such as
//! `ENC-4` or `SIG-6`. The id is the error code the verifier reports, the key
//! the conformance suite's manifest uses, and the anchor in the spec. This
//! module is the one place where the ids live in code; `tests/rules.rs`
//! checks that the spec, this table and the test vectors agree.
//!
//! Ids are never reused or renumbered: a withdrawn rule keeps its number.

use std::fmt;

macro_rules! rules {
    ($( $(#[$doc:meta])* $var:ident = $code:literal, $section:literal, $summary:literal; )*) => {
        /// A normative rule of the specification.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $( $(#[$doc])* #[doc = $summary] $var, )*
        }

        impl Rule {
            /// Every rule, in spec order.
            pub const ALL: &'static [Rule] = &[$(Rule::$var),*];

            /// The stable id, e.g. `"ENC-4"`.
            pub fn code(self) -> &'static str {
                match self { $(Rule::$var => $code,)* }
            }

            /// The spec file that states the rule.
            pub fn section(self) -> &'static str {
                match self { $(Rule::$var => $section,)* }
            }

            /// One line saying what the rule requires.
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$var => $summary,)* }
            }

            /// Looks a rule up by its id.
            pub fn from_code(code: &str) -> Option<Rule> {
                match code { $($code => Some(Rule::$var),)* _ => None }
            }
        }
    };
}

rules! {
    // spec/02-encoding.md
    Enc1 = "ENC-1", "02-encoding.md", "Text is valid UTF-8.";
    Enc2 = "ENC-2", "02-encoding.md", "A chain file has no BOM, no CR, no empty line, and every line ends with LF.";
    Enc3 = "ENC-3", "02-encoding.md", "Each value is one complete JSON text (RFC 8259) with nothing after it.";
    Enc4 = "ENC-4", "02-encoding.md", "No object has two members with the same name.";
    Enc5 = "ENC-5", "02-encoding.md", "Numbers are integers: no fraction, no exponent.";
    Enc6 = "ENC-6", "02-encoding.md", "Integers lie within -(2^53-1) ..= 2^53-1.";
    Enc7 = "ENC-7", "02-encoding.md", "String escapes denote Unicode scalar values (no lone surrogates).";
    Enc8 = "ENC-8", "02-encoding.md", "Each line is byte-identical to the canonical form of its value.";
    Enc9 = "ENC-9", "02-encoding.md", "Binary fields are canonical unpadded base64url of the exact length.";
    Enc10 = "ENC-10", "02-encoding.md", "Dates are YYYY-MM-DD and name a real Gregorian day.";
    // spec/04-signatures.md
    Sig1 = "SIG-1", "04-signatures.md", "A public key is a canonical point encoding.";
    Sig2 = "SIG-2", "04-signatures.md", "A public key is not a small-order point.";
    Sig3 = "SIG-3", "04-signatures.md", "A signature's R is a canonical point encoding.";
    Sig4 = "SIG-4", "04-signatures.md", "A signature's R is not a small-order point.";
    Sig5 = "SIG-5", "04-signatures.md", "A signature's S is less than the group order L.";
    Sig6 = "SIG-6", "04-signatures.md", "The cofactored verification equation holds.";
    // spec/05-documents.md
    Doc1 = "DOC-1", "05-documents.md", "A document is an object with exactly the envelope members, of the right types.";
    Doc2 = "DOC-2", "05-documents.md", "The document version is 1.";
    Doc3 = "DOC-3", "05-documents.md", "The document kind is one the spec defines.";
    Doc4 = "DOC-4", "05-documents.md", "Signatures are non-empty and sorted strictly ascending by key.";
    // spec/06-chain.md
    Chn1 = "CHN-1", "06-chain.md", "An entry is an object with exactly seq, prev and doc, of the right types.";
    Chn2 = "CHN-2", "06-chain.md", "The entry on line n (counting from 0) has seq n.";
    Chn3 = "CHN-3", "06-chain.md", "prev is the hash of the previous entry (zero for the genesis entry).";
    Chn4 = "CHN-4", "06-chain.md", "The genesis entry holds a charter, and only the genesis entry does.";
    Chn5 = "CHN-5", "06-chain.md", "Every document names the commune id derived from the charter.";
    Chn6 = "CHN-6", "06-chain.md", "Document dates never decrease along the chain.";
    Chn7 = "CHN-7", "06-chain.md", "No document appears twice in a chain.";
    Chn8 = "CHN-8", "06-chain.md", "A chain holds at least one entry.";
    // spec/07-checkpoints.md
    Ckp1 = "CKP-1", "07-checkpoints.md", "A checkpoint is an object with exactly the checkpoint members, of the right types.";
    Ckp2 = "CKP-2", "07-checkpoints.md", "A checkpoint's signatures are non-empty and sorted strictly ascending by key.";
    Ckp3 = "CKP-3", "07-checkpoints.md", "A checkpoint agrees with the chain it is checked against.";
    Frk1 = "FRK-1", "07-checkpoints.md", "A fork proof is an object with exactly the fork-proof members, of the right types.";
    Frk2 = "FRK-2", "07-checkpoints.md", "A fork proof's two runs link to their checkpoints and differ at its position.";
    // spec/08-limits.md
    Lim1 = "LIM-1", "08-limits.md", "A line is at most 16 MiB long, LF included.";
    Lim2 = "LIM-2", "08-limits.md", "JSON values nest at most 32 deep.";
    Lim3 = "LIM-3", "08-limits.md", "A document or checkpoint carries at most 65536 signatures.";
    Lim4 = "LIM-4", "10-commune.md", "A commune has at most 100,000 current members.";
    // spec/10-commune.md
    Com1 = "COM-1", "10-commune.md", "A body has exactly the members its kind defines, of the right types.";
    Com2 = "COM-2", "10-commune.md", "Ids are 1-64 characters of a-z, 0-9 and '-', not starting with '-'.";
    Com3 = "COM-3", "10-commune.md", "Integers and texts lie in their ranges.";
    Com4 = "COM-4", "10-commune.md", "Lists are sorted strictly ascending by their key.";
    Aut1 = "AUT-1", "10-commune.md", "The charter is signed by every founder.";
    Aut2 = "AUT-2", "10-commune.md", "A decision is signed by at least the threshold of current members.";
    Aut3 = "AUT-3", "10-commune.md", "A document carries the signatures of the parties its kind names.";
    Aut4 = "AUT-4", "10-commune.md", "Payments, reversals and bond sales are signed by a current treasurer.";
    Aut5 = "AUT-5", "10-commune.md", "Bond units are transferred only when the charter allows it.";
    Mem1 = "MEM-1", "10-commune.md", "A member id is admitted once; a key becomes a member's key once.";
    Mem2 = "MEM-2", "10-commune.md", "The member a document acts on is current.";
    Mem3 = "MEM-3", "10-commune.md", "The commune never loses its last member.";
    Ref1 = "REF-1", "10-commune.md", "References name something of the right kind created earlier.";
    Ref2 = "REF-2", "10-commune.md", "Ids a document creates are new.";
    Ref3 = "REF-3", "10-commune.md", "References satisfy the state their kind requires.";
    Sch1 = "SCH-1", "10-commune.md", "A bond schedule equals the one computed from its terms.";
    Sch2 = "SCH-2", "10-commune.md", "Units sold never exceed units issued; transfers never exceed holdings.";
    Sch3 = "SCH-3", "10-commune.md", "Rent due covers the guaranteed bond service, month by month.";
    Pay1 = "PAY-1", "10-commune.md", "Every payment has its authority and the right amount.";
    Pay2 = "PAY-2", "10-commune.md", "A payment is reversed at most once.";
    Bal1 = "BAL-1", "10-commune.md", "The commune's cash never goes negative.";
    // spec/11-dividends.md
    Div1 = "DIV-1", "11-dividends.md", "Periods are closed in order, each after it ends.";
    Div2 = "DIV-2", "11-dividends.md", "A close's declared figures equal the recomputed ones.";
    Div3 = "DIV-3", "11-dividends.md", "A close's payouts list every eligible member with the recomputed days and amount.";
    // spec/14-collateral.md (protocol version 2)
    Liq1 = "LIQ-1", "14-collateral.md", "An asset is sold once, and only when no agreement on it is active.";
    Liq2 = "LIQ-2", "14-collateral.md", "An asset sale splits its price among the bondholders' claims as computed.";
    Cal1 = "CAL-1", "14-collateral.md", "A call is of a callable, unsettled series, and of no more units than each holder holds.";
    Cal2 = "CAL-2", "14-collateral.md", "A call's price per unit is the outstanding principal plus the series' call premium.";
    Res1 = "RES-1", "14-collateral.md", "A draw on the reserve never exceeds its balance.";
    Auc1 = "AUC-1", "14-collateral.md", "A bid is for an open auction, by its closing date, within its maximum rate and units.";
    Auc2 = "AUC-2", "14-collateral.md", "An auction is settled once, after it closes and before its first due date, with bids.";
    Auc3 = "AUC-3", "14-collateral.md", "An auction's clearing rate is the one its bids determine.";
    Auc4 = "AUC-4", "14-collateral.md", "An auction's allocation is the one its bids determine.";
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for &r in Rule::ALL {
            assert!(seen.insert(r.code()), "duplicate id {}", r.code());
            assert_eq!(Rule::from_code(r.code()), Some(r));
        }
        assert_eq!(Rule::from_code("ENC-0"), None);
    }
}
