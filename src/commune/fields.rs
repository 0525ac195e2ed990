//! The members of each kind's body and their types, as the tables of
//! spec/10-commune.md §10.3, spec/11-dividends.md §11.4 and
//! spec/14-collateral.md (version 2: [`version_2_members`] and the kinds it
//! adds) list them: what
//! `commonstock help draft KIND` prints, and how tools know which integers
//! are amounts of money.
//!
//! This table describes; [`crate::commune::check_body`] decides. A test
//! checks that the two agree on every kind's top-level members.

use crate::protocol::document::Kind;

/// A member's type, as §10.3's table of common value types names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// An *id*: 1–64 of `a`–`z`, `0`–`9`, `-`.
    Id,
    /// A key: 32 bytes, base64url.
    Key,
    /// A text hash (`@FILE` when drafting).
    Hash,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// A month, `YYYY-MM`.
    Month,
    /// An amount: minor units of the charter's currency, 0 or more.
    Amount,
    /// An amount at least 1.
    PositiveAmount,
    /// A figure in minor units that may be negative (a carry, a net).
    Figure,
    /// An integer, its range in the note.
    Integer,
    /// Basis points, 0 … 10,000 unless the note says otherwise.
    Bps,
    /// 1–1,200.
    Count,
    /// 1–1,000 characters.
    Text,
    Boolean,
    /// One of the words in the note.
    Word,
    /// A string (a currency code).
    Str,
}

impl Type {
    /// How `help draft` names the type.
    pub fn name(self) -> &'static str {
        match self {
            Type::Id => "id",
            Type::Key => "key (base64url; `@FILE` reads a public key file)",
            Type::Hash => "text hash (`@FILE` hashes the file)",
            Type::Date => "date YYYY-MM-DD",
            Type::Month => "month YYYY-MM",
            Type::Amount => "amount ('EUR 12.34', or minor units)",
            Type::PositiveAmount => "amount ≥ 0.01 ('EUR 12.34', or minor units)",
            Type::Figure => "figure in minor units, may be negative",
            Type::Integer => "integer",
            Type::Bps => "basis points",
            Type::Count => "count 1 … 1,200",
            Type::Text => "text, 1 … 1,000 characters",
            Type::Boolean => "true or false",
            Type::Word => "word",
            Type::Str => "string",
        }
    }

    /// Whether the integer is money (shown with its currency).
    pub fn is_money(self) -> bool {
        matches!(self, Type::Amount | Type::PositiveAmount | Type::Figure)
    }
}

/// One member of a body: its path (`ref.agreement`, `rent[].amount`), its
/// type and a note (a range, the words allowed, what it means).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub path: &'static str,
    pub ty: Type,
    pub note: &'static str,
}

const fn f(path: &'static str, ty: Type, note: &'static str) -> Field {
    Field { path, ty, note }
}

use Type::*;

const THRESHOLDS: [Field; 9] = [
    f("thresholds.admission", Bps, "1 … 10,000"),
    f("thresholds.amendment", Bps, "1 … 10,000"),
    f("thresholds.asset", Bps, "1 … 10,000"),
    f("thresholds.bond", Bps, "1 … 10,000"),
    f("thresholds.close", Bps, "1 … 10,000"),
    f("thresholds.expense", Bps, "1 … 10,000"),
    f("thresholds.expulsion", Bps, "1 … 10,000"),
    f("thresholds.key_recovery", Bps, "1 … 10,000"),
    f("thresholds.rental", Bps, "1 … 10,000"),
];

const CHARTER: &[Field] = &[
    f(
        "bonds_transferable",
        Boolean,
        "whether bond units may change hands",
    ),
    f("bylaws", Hash, "the bylaws"),
    f("currency.code", Str, "ISO 4217: 3 letters A-Z"),
    f(
        "currency.exponent",
        Integer,
        "0 … 4: minor units per major unit = 10^exponent",
    ),
    f(
        "founders[].key",
        Key,
        "list sorted by member; every founder signs",
    ),
    f("founders[].member", Id, ""),
    f("name", Text, "the commune's name"),
    f("reserve_bps", Bps, "share of each dividend pool kept"),
    THRESHOLDS[0],
    THRESHOLDS[1],
    THRESHOLDS[2],
    THRESHOLDS[3],
    THRESHOLDS[4],
    THRESHOLDS[5],
    THRESHOLDS[6],
    THRESHOLDS[7],
    THRESHOLDS[8],
    f(
        "treasurers[]",
        Id,
        "sorted list of founders who sign for the commune",
    ),
];

const CHARTER_AMENDMENT: &[Field] = &[
    f("bonds_transferable", Boolean, ""),
    f("bylaws", Hash, ""),
    f("reserve_bps", Bps, ""),
    THRESHOLDS[0],
    THRESHOLDS[1],
    THRESHOLDS[2],
    THRESHOLDS[3],
    THRESHOLDS[4],
    THRESHOLDS[5],
    THRESHOLDS[6],
    THRESHOLDS[7],
    THRESHOLDS[8],
    f("treasurers[]", Id, "sorted list of current members"),
];

const ADMISSION: &[Field] = &[
    f("key", Key, "the new member's key (who signs too)"),
    f("member", Id, "the new member's id, never used before"),
];

const EXIT: &[Field] = &[
    f("member", Id, "a current member"),
    f("reason", Word, "voluntary or expulsion"),
];

const KEY_CHANGE: &[Field] = &[
    f("member", Id, "a current member"),
    f("new_key", Key, "never registered; signs too"),
];

const ASSET_ACQUISITION: &[Field] = &[
    f("asset", Id, "new"),
    f("description", Text, ""),
    f("price", PositiveAmount, "the most the commune will pay"),
    f("text", Hash, "the purchase agreement"),
];

const BOND_SERIES: &[Field] = &[
    f("amortisation", Word, "bullet or linear"),
    f("asset", Id, "the collateral"),
    f("face", PositiveAmount, "face value of one unit"),
    f(
        "first_due",
        Date,
        "day 1 … 28, not before the document's date",
    ),
    f("payments", Count, "monthly payments"),
    f("rate_bps", Bps, "0 … 100,000: yearly coupon rate"),
    f(
        "schedule[].coupon",
        Amount,
        "per unit; computed by draft when not given",
    ),
    f("schedule[].due", Date, ""),
    f("schedule[].principal", Amount, "per unit"),
    f("series", Id, "new"),
    f("text", Hash, "the series' terms"),
    f("units", Integer, "1 … 1,000,000,000: units issued"),
];

const BOND_SALE: &[Field] = &[
    f("holder", Key, "the buyer (who signs too)"),
    f("price", Amount, "price paid per unit"),
    f("series", Id, "a series"),
    f("units", Integer, "1 … 1,000,000,000"),
];

const BOND_TRANSFER: &[Field] = &[
    f("from", Key, "a holder of the series (signs)"),
    f("series", Id, "a series"),
    f("to", Key, "the new holder (signs); not from"),
    f("units", Integer, "1 … 1,000,000,000"),
];

const RENTAL_AGREEMENT: &[Field] = &[
    f("agreement", Id, "new"),
    f("asset", Id, "an asset with no active agreement"),
    f(
        "guarantees[]",
        Id,
        "sorted list of series of this asset, possibly empty",
    ),
    f("instalments", Count, "monthly rent instalments"),
    f(
        "rent[].amount",
        Amount,
        "list of steps sorted by from; the first from is 1",
    ),
    f(
        "rent[].from",
        Integer,
        "1 … instalments: first instalment of the step",
    ),
    f("renters[]", Id, "sorted list of current members (who sign)"),
    f(
        "start",
        Date,
        "day 1 … 28, not before the document's date: instalment 1 is due then",
    ),
    f("text", Hash, "the agreement"),
];

const RENTAL_END: &[Field] = &[
    f("agreement", Id, "an active agreement"),
    f("reason", Word, "notice, default or liquidation"),
];

const EXPENSE_APPROVAL: &[Field] = &[
    f(
        "amount",
        PositiveAmount,
        "the most that may be paid against it",
    ),
    f("approval", Id, "new"),
    f("payee", Text, ""),
    f("purpose", Text, ""),
];

const PAYMENT: &[Field] = &[
    f("amount", PositiveAmount, ""),
    f("id", Id, "new"),
    f(
        "purpose",
        Word,
        "rent, income, coupon, principal, asset_purchase, expense, refund or dividend; version 2: proceeds, redemption",
    ),
    f("ref.agreement", Id, "purpose rent"),
    f("ref.instalment", Integer, "purpose rent: 1 … instalments"),
    f("ref.source", Text, "purpose income"),
    f(
        "ref.holder",
        Key,
        "purpose coupon or principal: a holder of record",
    ),
    f(
        "ref.row",
        Integer,
        "purpose coupon or principal: 1 … payments",
    ),
    f("ref.series", Id, "purpose coupon or principal"),
    f("ref.asset", Id, "purpose asset_purchase"),
    f("ref.approval", Id, "purpose expense or refund"),
    f("ref.member", Id, "purpose dividend"),
    f("ref.period", Month, "purpose dividend"),
];

const REVERSAL: &[Field] = &[
    f("payment", Id, "a payment not reversed yet"),
    f("reason", Text, ""),
];

const PERIOD_CLOSE: &[Field] = &[
    f(
        "carry_in",
        Figure,
        "filled in by draft when the body is empty",
    ),
    f("carry_out", Figure, ""),
    f("dividend", Amount, "what a whole-month member receives"),
    f("expenses", Figure, ""),
    f("income", Figure, ""),
    f("member_days", Integer, "0 or more"),
    f("net", Figure, ""),
    f(
        "payouts[].amount",
        Amount,
        "list sorted by member: every eligible member",
    ),
    f("payouts[].days", Integer, "1 … 31"),
    f("payouts[].member", Id, ""),
    f("period", Month, "the period closed"),
    f("pool", Amount, ""),
    f("rent", Figure, ""),
    f("reserve", Amount, ""),
    f("service", Amount, ""),
];

const ASSET_SALE: &[Field] = &[
    f(
        "asset",
        Id,
        "an asset with no active agreement, not sold before",
    ),
    f("buyer", Text, "who buys it"),
    f(
        "distribution[].amount",
        Amount,
        "list sorted by holder: every holder's share of the price; computed by draft",
    ),
    f(
        "distribution[].claim",
        Amount,
        "principal outstanding plus service due and unpaid",
    ),
    f(
        "distribution[].holder",
        Key,
        "a bondholder of the asset's series",
    ),
    f("price", Amount, "what the buyer pays"),
    f(
        "surplus",
        Amount,
        "what is left once every claim is paid; computed by draft",
    ),
    f("text", Hash, "the sale agreement"),
    f(
        "written_down",
        Amount,
        "the claims the price does not pay; computed by draft",
    ),
];

const BOND_CALL: &[Field] = &[
    f("call", Id, "new"),
    f(
        "holders[].holder",
        Key,
        "list sorted by holder: whose units are called",
    ),
    f("holders[].units", Integer, "1 … the units the holder holds"),
    f(
        "price",
        Amount,
        "per unit: principal outstanding plus the series' premium; computed by draft",
    ),
    f("series", Id, "a callable series"),
];

const RESERVE_DRAW: &[Field] = &[
    f("amount", PositiveAmount, "at most the reserve's balance"),
    f("draw", Id, "new"),
    f("purpose", Text, ""),
];

const AUCTION: &[Field] = &[
    f("amortisation", Word, "bullet or linear"),
    f("asset", Id, "the collateral, not sold"),
    f(
        "call_premium_bps",
        Bps,
        "what a call pays above the principal outstanding",
    ),
    f("callable", Boolean, "whether units may be called"),
    f("closes", Date, "the last day bids are taken"),
    f("face", PositiveAmount, "face value of one unit"),
    f("first_due", Date, "day 1 … 28, after closes"),
    f(
        "grace_days",
        Integer,
        "0 … 366: days before unpaid service is a default",
    ),
    f(
        "max_rate_bps",
        Bps,
        "0 … 100,000: the highest rate accepted",
    ),
    f("payments", Count, "monthly payments"),
    f("series", Id, "new: the series offered"),
    f("text", Hash, "the series' terms"),
    f("units", Integer, "1 … 1,000,000,000: units offered"),
];

const BID: &[Field] = &[
    f("auction", Id, "an open auction (its series)"),
    f("bid", Id, "new"),
    f("bidder", Key, "the bidder (who signs)"),
    f("rate_bps", Bps, "0 … 100,000: the lowest rate accepted"),
    f("units", Integer, "1 … the units offered"),
];

const AUCTION_RESULT: &[Field] = &[
    f(
        "allocations[].bid",
        Id,
        "list sorted by bid: every bid that gets units; computed by draft",
    ),
    f("allocations[].units", Integer, ""),
    f("auction", Id, "an auction that has closed"),
    f("rate_bps", Bps, "the clearing rate; computed by draft"),
    f(
        "schedule[].coupon",
        Amount,
        "per unit, at the clearing rate; computed by draft",
    ),
    f("schedule[].due", Date, ""),
    f("schedule[].principal", Amount, "per unit"),
];

const CHARTER_V2: &[Field] = &[
    f(
        "reserve_covers_deficit",
        Boolean,
        "version 2: a deficit is covered from the reserve",
    ),
    f("sale_surplus", Word, "version 2: income or reserve"),
];

const BOND_SERIES_V2: &[Field] = &[
    f(
        "call_premium_bps",
        Bps,
        "version 2: what a call pays above the principal outstanding",
    ),
    f(
        "callable",
        Boolean,
        "version 2: whether units may be called",
    ),
    f(
        "grace_days",
        Integer,
        "version 2: 0 … 366 days before unpaid service is a default",
    ),
];

const PERIOD_CLOSE_V2: &[Field] = &[
    f("covered", Amount, "version 2: covered from the reserve"),
    f(
        "drawn",
        Amount,
        "version 2: drawn from the reserve by decision",
    ),
    f(
        "reserve_balance",
        Amount,
        "version 2: the reserve's balance after the close",
    ),
];

const PAYMENT_V2: &[Field] = &[f(
    "ref.call",
    Id,
    "version 2, purpose redemption (with ref.holder); proceeds takes ref.asset and ref.holder",
)];

/// The members a version-2 document of a version-1 kind has besides
/// [`fields`] (spec 14.1).
pub fn version_2_members(kind: Kind) -> &'static [Field] {
    match kind {
        Kind::Charter | Kind::CharterAmendment => CHARTER_V2,
        Kind::BondSeries => BOND_SERIES_V2,
        Kind::PeriodClose => PERIOD_CLOSE_V2,
        Kind::Payment => PAYMENT_V2,
        _ => &[],
    }
}

/// The members of `kind`'s body (version 1's for the kinds of version 1),
/// in canonical order of their paths' first names.
pub fn fields(kind: Kind) -> &'static [Field] {
    match kind {
        Kind::Charter => CHARTER,
        Kind::CharterAmendment => CHARTER_AMENDMENT,
        Kind::Admission => ADMISSION,
        Kind::Exit => EXIT,
        Kind::KeyRotation | Kind::KeyRecovery => KEY_CHANGE,
        Kind::AssetAcquisition => ASSET_ACQUISITION,
        Kind::BondSeries => BOND_SERIES,
        Kind::BondSale => BOND_SALE,
        Kind::BondTransfer => BOND_TRANSFER,
        Kind::RentalAgreement => RENTAL_AGREEMENT,
        Kind::RentalEnd => RENTAL_END,
        Kind::ExpenseApproval => EXPENSE_APPROVAL,
        Kind::Payment => PAYMENT,
        Kind::Reversal => REVERSAL,
        Kind::PeriodClose => PERIOD_CLOSE,
        Kind::AssetSale => ASSET_SALE,
        Kind::BondCall => BOND_CALL,
        Kind::ReserveDraw => RESERVE_DRAW,
        Kind::Auction => AUCTION,
        Kind::Bid => BID,
        Kind::AuctionResult => AUCTION_RESULT,
    }
}

/// The type of the member at `path` (`founders[].key`, `ref.holder`), in
/// either version.
pub fn type_of(kind: Kind, path: &str) -> Option<Type> {
    fields(kind)
        .iter()
        .chain(version_2_members(kind))
        .find(|f| f.path == path)
        .map(|f| f.ty)
}

/// Whether the integer at member `name` of a `kind`'s body (at any depth:
/// `amount` in `rent[]`) is money. Decided by the last name of the path.
pub fn is_money(kind: Kind, name: &str) -> bool {
    fields(kind)
        .iter()
        .chain(version_2_members(kind))
        .any(|f| f.ty.is_money() && f.path.rsplit(['.', ']']).next().is_some_and(|l| l == name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commune::check_body;
    use crate::protocol::canonical::{Object, Value};
    use crate::protocol::date::Date;
    use crate::protocol::document::Document;
    use crate::protocol::hash::Hash;

    fn top(kind: Kind, v: i64) -> Vec<&'static str> {
        let extra: &[Field] = if v >= 2 { version_2_members(kind) } else { &[] };
        let mut names: Vec<&str> = fields(kind)
            .iter()
            .chain(extra)
            .map(|f| f.path.split(['.', '[']).next().unwrap())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn check(kind: Kind, names: &[&str], v: i64) -> crate::commune::Finding {
        let mut body = Object::new();
        for n in names {
            body.insert(*n, Value::Null);
        }
        let date = Date::new(2025, 1, 1).unwrap();
        check_body(&Document::new(Hash::ZERO, kind, date, body).version(v)).unwrap_err()
    }

    /// Every name the table lists is a member the body check knows, and
    /// none is missing: with all of them present (as nulls) the check gets
    /// past the names to the first member's type; with one left out it
    /// reports exactly that one missing.
    #[test]
    fn the_table_lists_exactly_the_members_the_body_check_requires() {
        for (&kind, v) in Kind::ALL.iter().flat_map(|k| [(k, k.since()), (k, 2)]) {
            let names = top(kind, v);
            let listed: Vec<&str> = fields(kind)
                .iter()
                .map(|f| f.path.split(['.', '[']).next().unwrap())
                .collect();
            assert!(listed.is_sorted(), "{kind}: listed in canonical order");
            let f = check(kind, &names, v);
            assert!(
                f.detail != "unknown member" && f.detail != "missing member",
                "{kind}: {f}"
            );
            for (i, n) in names.iter().enumerate() {
                let mut fewer = names.clone();
                fewer.remove(i);
                let f = check(kind, &fewer, v);
                assert_eq!(
                    (f.field.as_str(), f.detail.as_str()),
                    (format!("body.{n}").as_str(), "missing member"),
                    "{kind}"
                );
            }
        }
    }

    #[test]
    fn money_is_known_by_kind() {
        assert!(is_money(Kind::PeriodClose, "rent"));
        assert!(is_money(Kind::PeriodClose, "net"));
        assert!(!is_money(Kind::PeriodClose, "member_days"));
        assert!(is_money(Kind::RentalAgreement, "amount"));
        assert!(!is_money(Kind::RentalAgreement, "from"));
        assert!(!is_money(Kind::RentalAgreement, "rent"));
        assert!(is_money(Kind::BondSeries, "coupon"));
        assert!(!is_money(Kind::BondSeries, "units"));
        assert!(!is_money(Kind::Payment, "instalment"));
    }
}
