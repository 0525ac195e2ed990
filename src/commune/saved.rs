//! The commune state in the saved-state file of an incremental audit
//! ([`crate::audit::statefile`]): every field of every type the state holds,
//! private ones included, listed once here (this module is a child of
//! `commune`, so it sees them), and the invariants the replay relies on,
//! checked when a state is read.
//!
//! A field added to one of these types and not to its list does not compile.
//! When a list, or a listed field's type, changes, bump
//! [`crate::audit::statefile::FORMAT_VERSION`].

use super::collateral::Share;
use super::{
    Agreement, Approval, Asset, Auction, Bid, Call, Draw, Member, Paid, PaymentRecord, Periods,
    Row, Sale, Series, Settings, State, Terms, Thresholds,
};
use std::sync::Arc;

use super::dividend::RosterCopy;
use crate::protocol::date::Date;
use crate::protocol::persist::{Malformed, Persist, Reader, Writer, persist_struct};

persist_struct!(State {
    name,
    currency,
    exponent,
    settings,
    members,
    roster,
    current,
    by_key,
    member_keys,
    assets,
    series,
    agreements,
    approvals,
    calls,
    auctions,
    bids,
    draws,
    payment_ids,
    payments,
    names,
    holders,
    bond_rows,
    pending_records,
    cash,
    as_of,
    schema_only,
    periods,
});

persist_struct!(Settings {
    bonds_transferable,
    bylaws,
    reserve_bps,
    thresholds,
    treasurers,
    surplus_to_income,
    reserve_covers_deficit,
});

persist_struct!(Thresholds {
    admission,
    amendment,
    asset,
    bond,
    close,
    expense,
    expulsion,
    key_recovery,
    rental,
});

persist_struct!(Member {
    key,
    since,
    until,
    number
});

persist_struct!(Asset {
    description,
    price,
    purchased,
    agreement,
    sale,
});

persist_struct!(Sale {
    date,
    buyer,
    price,
    shares,
    paid,
    surplus,
    written_down,
});

persist_struct!(Share {
    holder,
    claim,
    amount,
});

persist_struct!(Call {
    series,
    date,
    price,
    holders,
});

persist_struct!(Auction {
    asset,
    terms,
    face,
    first_due,
    payments,
    linear,
    max_rate_bps,
    closes,
    units,
    bids,
    settled,
});

persist_struct!(Bid {
    id,
    bidder,
    rate_bps,
    units,
});

persist_struct!(Terms {
    grace_days,
    callable,
    call_premium_bps,
});

persist_struct!(Draw {
    date,
    amount,
    purpose,
});

persist_struct!(Row {
    due,
    coupon,
    principal,
});

persist_struct!(Series {
    asset,
    face,
    units,
    rate_bps,
    rows,
    sold,
    holdings,
    records,
    paid,
    terms,
    called,
    settled,
});

persist_struct!(Agreement {
    asset,
    renters,
    guarantees,
    start,
    instalments,
    steps,
    ended,
    paid,
});

persist_struct!(Approval {
    amount,
    spent,
    payee,
    purpose,
});

/// A payment record as its parts, so small numbers stay short: a byte of
/// kind (bits 0–2), principal (bit 4) and reversed (bit 5), then the amount,
/// `a` and `b` as varints.
impl Persist for PaymentRecord {
    fn write(&self, w: &mut Writer) {
        let flags = (self.word >> PaymentRecord::KIND_SHIFT) as u8;
        flags.write(w);
        (self.word & PaymentRecord::AMOUNT).write(w);
        self.a.write(w);
        self.b.write(w);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let flags = u8::read(r)?;
        let amount = u64::read(r)?;
        if flags & !0b11_0111 != 0 || amount > PaymentRecord::AMOUNT {
            return Err(r.malformed("a payment record out of range"));
        }
        Ok(PaymentRecord {
            word: amount | u64::from(flags) << PaymentRecord::KIND_SHIFT,
            a: u32::read(r)?,
            b: u32::read(r)?,
        })
    }
}

persist_struct!(Periods {
    next,
    carry,
    rent,
    income,
    expenses,
    closes,
    paid,
    called,
    drawn,
    reserve,
});

impl State {
    /// Puts the commune's roster back into every close just read (the file
    /// holds it once, not a copy per close: see `RosterCopy`). The roster
    /// only grows, so the whole of it serves every close. Call before
    /// [`State::consistent`].
    pub(crate) fn restore(&mut self) {
        for f in self.periods.closes.values_mut() {
            Arc::make_mut(f).roster = RosterCopy(self.roster.clone());
        }
    }

    /// Whether the state holds together the way the replay relies on (its
    /// `expect`s and indexing): keys and current members agree, every
    /// reference names something that exists, pending holders of record
    /// follow the rows taken, dates stay in range. A state the replay built
    /// always passes; this only keeps a state file crafted with a valid
    /// checksum from making a resumed audit panic.
    pub(crate) fn consistent(&self) -> Result<(), String> {
        let fail = |what: String| Err(format!("inconsistent commune state: {what}"));
        if self.schema_only {
            return fail("schema-only state".into());
        }
        if self.settings.is_some() && self.as_of.is_none() {
            return fail("chartered but undated".into());
        }
        if let Some(s) = &self.settings
            && let Some(t) = s
                .treasurers
                .iter()
                .find(|t| !self.members.contains_key(t.as_str()))
        {
            return fail(format!("treasurer {t} is not a member"));
        }
        let current = self.members.values().filter(|m| m.until.is_none()).count();
        if current != self.current || self.by_key.len() != current {
            return fail("current members and their keys disagree".into());
        }
        // the roster numbers every member once, in some order of admission
        let numbered = self.roster.len() == self.members.len()
            && self.members.iter().all(|(id, m)| {
                (m.number as usize) < self.roster.len() && self.roster.get(m.number) == id
            });
        if !numbered {
            return fail("the roster and the members disagree".into());
        }
        if let Some((period, _)) = self
            .periods
            .closes
            .iter()
            .find(|(_, f)| !f.holds_together())
        {
            return fail(format!("the payouts of close {period}"));
        }
        for (key, id) in &self.by_key {
            let ok = self
                .members
                .get(id)
                .is_some_and(|m| m.until.is_none() && m.key == *key);
            if !ok || !self.member_keys.contains(key) {
                return fail(format!("the key of {id}"));
            }
        }
        for (id, a) in &self.assets {
            if let Some(g) = &a.agreement
                && !self.agreements.contains_key(g)
            {
                return fail(format!("asset {id} is rented under no agreement {g}"));
            }
        }
        for (id, s) in &self.series {
            if !self.assets.contains_key(&s.asset) || s.records.len() > s.rows.len() {
                return fail(format!("series {id}"));
            }
        }
        for (id, a) in &self.assets {
            if a.sale
                .as_ref()
                .is_some_and(|s| s.paid.len() != s.shares.len())
            {
                return fail(format!("the sale of {id}"));
            }
        }
        for (id, c) in &self.calls {
            if !self.series.contains_key(&c.series) {
                return fail(format!("call {id}"));
            }
        }
        for (id, a) in &self.auctions {
            let bids_known = a
                .bids
                .iter()
                .all(|b| self.bids.get(&b.id).is_some_and(|x| x == id));
            if !self.assets.contains_key(&a.asset) || !bids_known || a.first_due.day() > 28 {
                return fail(format!("auction {id}"));
            }
        }
        for (id, a) in &self.agreements {
            let last = Date::from_month_index(a.start.month_index() + a.instalments - 1, 1);
            let ok = self.assets.contains_key(&a.asset)
                && a.guarantees.iter().all(|g| self.series.contains_key(g))
                && a.start.day() <= 28
                && (1..=super::MAX_COUNT).contains(&a.instalments)
                && last.is_some();
            if !ok {
                return fail(format!("agreement {id}"));
            }
        }
        let mut next_row: std::collections::BTreeMap<&str, usize> = self
            .series
            .iter()
            .map(|(id, s)| (id.as_str(), s.records.len()))
            .collect();
        let mut by_series: Vec<&(Date, String, usize)> = self.pending_records.iter().collect();
        by_series.sort_by_key(|(_, s, row)| (s, *row));
        for (due, series, row) in by_series {
            let ok = match (next_row.get_mut(series.as_str()), self.series.get(series)) {
                (Some(next), Some(s))
                    if *next == *row && s.rows.get(*row).is_some_and(|r| r.due == *due) =>
                {
                    *next += 1;
                    true
                }
                _ => false,
            };
            if !ok {
                return fail(format!("pending holders of record of {series} row {row}"));
            }
        }
        if self.payments.len() != self.payment_ids.len() {
            return fail("payment records and payment ids disagree".into());
        }
        let name = |id: u32| (id as usize) < self.names.len();
        for (number, p) in self.payments.iter().enumerate() {
            let Some(paid) = p.paid(&self.bond_rows) else {
                return fail(format!(
                    "payment {} is not a record",
                    self.payment_ids.resolve(number as u32)
                ));
            };
            let ok = match paid {
                Paid::Rent { agreement, .. } => {
                    name(agreement) && self.agreements.contains_key(self.names.resolve(agreement))
                }
                Paid::Bond { series, holder, .. } => {
                    name(series)
                        && (holder as usize) < self.holders.len()
                        && self.series.contains_key(self.names.resolve(series))
                }
                Paid::Purchase { asset } => {
                    name(asset) && self.assets.contains_key(self.names.resolve(asset))
                }
                Paid::Approval { approval } => {
                    name(approval) && self.approvals.contains_key(self.names.resolve(approval))
                }
                Paid::Dividend { period, payout } => self
                    .periods
                    .paid
                    .get(&i64::from(period))
                    .is_some_and(|paid| (payout as usize) < paid.len()),
                Paid::Proceeds { asset, share } => {
                    name(asset)
                        && self
                            .assets
                            .get(self.names.resolve(asset))
                            .and_then(|a| a.sale.as_ref())
                            .is_some_and(|s| (share as usize) < s.paid.len())
                }
                Paid::Redemption { call, holder } => {
                    name(call)
                        && self
                            .calls
                            .get(self.names.resolve(call))
                            .is_some_and(|c| (holder as usize) < c.holders.len())
                }
                Paid::Income => true,
            };
            if !ok {
                return fail(format!(
                    "payment {} names nothing",
                    self.payment_ids.resolve(number as u32)
                ));
            }
        }
        let p = &self.periods;
        let paid_fits = p.paid.len() == p.closes.len()
            && p.closes.iter().all(|(period, f)| {
                p.paid.get(period).is_some_and(|paid| {
                    paid.len() == f.eligible()
                        && paid
                            .iter()
                            .zip(f.payouts())
                            .all(|(paid, p)| !paid || p.amount > 0)
                })
            });
        if !paid_fits {
            return fail("dividends paid and the closes disagree".into());
        }
        if self.settings.is_some() && Date::from_month_index(self.periods.next, 1).is_none() {
            return fail("the next period".into());
        }
        Ok(())
    }
}
