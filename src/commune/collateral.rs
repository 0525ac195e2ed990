//! What the collateral rules determine, as pure functions
//! (spec/14-collateral.md): how an asset sale's price is split among the
//! bondholders' claims (LIQ-2), the price of a call (CAL-2), and the
//! clearing rate and allocation of a bond auction (AUC-3, AUC-4).
//!
//! The commune layer gathers the inputs from the state and compares the
//! results with what a document declares; `draft` computes them so that
//! nobody has to. Every product is in `i128`, every division has
//! non-negative operands and rounds down, and every remainder is placed by
//! a stated order, so the results are the same everywhere.

/// One holder's share of an asset sale's price (spec 14.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    pub holder: [u8; 32],
    /// What the holder was owed: principal outstanding on their units plus
    /// coupon and principal due and unpaid.
    pub claim: i128,
    /// What the price pays them.
    pub amount: i128,
}

impl Share {
    /// The part of the claim the price did not pay: the holder's loss.
    pub fn written_down(&self) -> i128 {
        self.claim - self.amount
    }
}

/// How an asset sale's price is split (spec 14.2, LIQ-2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Split {
    /// Every holder with a claim, by key (byte order).
    pub shares: Vec<Share>,
    /// What is left of the price once every claim is paid in full.
    pub surplus: i128,
    /// Σ claims − Σ amounts: the bondholders' loss.
    pub written_down: i128,
}

/// Splits `price` among `claims` (key, claim > 0, sorted by key, keys
/// distinct): every claim in full when the price covers them all, the rest
/// being the surplus; otherwise pro rata by claim, each share rounded down,
/// and the units rounding leaves given one each to the holders with the
/// largest remainders (`price × claim mod total`), ties to the lower key.
/// Nothing is lost or created: Σ amounts + surplus = price.
pub fn split(price: i128, claims: &[([u8; 32], i128)]) -> Split {
    debug_assert!(claims.windows(2).all(|w| w[0].0 < w[1].0));
    debug_assert!(claims.iter().all(|c| c.1 > 0) && price >= 0);
    let total: i128 = claims.iter().map(|c| c.1).sum();
    if price >= total {
        return Split {
            shares: claims
                .iter()
                .map(|&(holder, claim)| Share {
                    holder,
                    claim,
                    amount: claim,
                })
                .collect(),
            surplus: price - total,
            written_down: 0,
        };
    }
    // price < total, so every product price × claim < total × claim, and
    // total ≤ 100,000 holders × (2^53 + 2^53 × 10^9): well inside i128.
    let mut shares: Vec<Share> = claims
        .iter()
        .map(|&(holder, claim)| Share {
            holder,
            claim,
            amount: price * claim / total,
        })
        .collect();
    let given: i128 = shares.iter().map(|s| s.amount).sum();
    let left = (price - given) as usize; // < number of holders
    let mut order: Vec<usize> = (0..shares.len()).collect();
    // largest remainder first; the sort is stable, so equal remainders keep
    // key order
    order.sort_by_key(|&i| std::cmp::Reverse(price * shares[i].claim % total));
    for &i in order.iter().take(left) {
        shares[i].amount += 1;
    }
    Split {
        shares,
        surplus: 0,
        written_down: total - price,
    }
}

/// The price per unit of a call (spec 14.3, CAL-2): the principal still
/// outstanding per unit plus the series' call premium on it, rounded down.
pub fn call_price(outstanding_per_unit: i64, premium_bps: i64) -> i128 {
    let o = outstanding_per_unit as i128;
    o + o * premium_bps as i128 / 10_000
}

/// A bid as the clearing sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    pub rate_bps: i64,
    pub units: i64,
}

/// The outcome of an auction (spec 14.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clearing {
    /// The rate every allocated unit bears: that of the highest-rate bid
    /// that gets units.
    pub rate_bps: i64,
    /// Units allocated to each bid, by its index in `bids` (chain order);
    /// 0 for a bid that gets none.
    pub units: Vec<i64>,
}

impl Clearing {
    /// Units allocated in all.
    pub fn total(&self) -> i64 {
        self.units.iter().sum()
    }
}

/// Clears a uniform-price auction of `offered` units: bids in ascending
/// rate, equal rates in chain order (the order of `bids`), each filled in
/// full while units remain, the one that reaches `offered` filled in part,
/// later ones not at all. The clearing rate is the rate of the last bid
/// filled. `None` when there is no bid.
pub fn clear(offered: i64, bids: &[Offer]) -> Option<Clearing> {
    if bids.is_empty() {
        return None;
    }
    let mut order: Vec<usize> = (0..bids.len()).collect();
    order.sort_by_key(|&i| bids[i].rate_bps); // stable: chain order on ties
    let mut units = vec![0; bids.len()];
    let mut left = offered;
    let mut rate_bps = 0;
    for i in order {
        if left == 0 {
            break;
        }
        let take = bids[i].units.min(left);
        units[i] = take;
        left -= take;
        rate_bps = bids[i].rate_bps;
    }
    Some(Clearing { rate_bps, units })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn a_price_that_covers_every_claim_leaves_a_surplus() {
        let s = split(1_000, &[(k(1), 300), (k(2), 500)]);
        let amounts: Vec<i128> = s.shares.iter().map(|x| x.amount).collect();
        assert_eq!(amounts, [300, 500]);
        assert_eq!((s.surplus, s.written_down), (200, 0));
    }

    #[test]
    fn a_shortfall_is_shared_pro_rata_with_the_largest_remainders() {
        // price 100 against claims of 100 each (total 300): floor(10,000 /
        // 300) = 33 each, one unit left; the remainders are equal (10,000
        // mod 300 = 100), so the lowest key gets it
        let s = split(100, &[(k(1), 100), (k(2), 100), (k(3), 100)]);
        let amounts: Vec<i128> = s.shares.iter().map(|x| x.amount).collect();
        assert_eq!(amounts, [34, 33, 33]);
        assert_eq!((s.surplus, s.written_down), (0, 200));
    }

    /// spec 14.2, the worked example.
    #[test]
    fn spec_worked_example() {
        let s = split(1_000, &[(k(1), 1_514), (k(2), 757)]);
        let amounts: Vec<i128> = s.shares.iter().map(|x| x.amount).collect();
        assert_eq!(amounts, [667, 333]);
        assert_eq!((s.surplus, s.written_down), (0, 1_271));
        // spec 14.3
        assert_eq!(call_price(10_000 - 2 * 1_428, 150), 7_251);
    }

    #[test]
    fn remainders_decide_before_keys() {
        // price 10, claims 3 (k1), 4 (k2), 7 (k3), total 14: 30/14 = 2 r 2,
        // 40/14 = 2 r 12, 70/14 = 5 r 0; 9 given, 1 left: to k2
        let s = split(10, &[(k(1), 3), (k(2), 4), (k(3), 7)]);
        let amounts: Vec<i128> = s.shares.iter().map(|x| x.amount).collect();
        assert_eq!(amounts, [2, 3, 5]);
        assert_eq!(s.written_down, 4);
        assert_eq!(s.shares[1].written_down(), 1);
    }

    #[test]
    fn nothing_is_lost_or_created() {
        let claims: Vec<([u8; 32], i128)> =
            (1..=7u8).map(|i| (k(i), i128::from(i) * 97 + 13)).collect();
        let total: i128 = claims.iter().map(|c| c.1).sum();
        for price in [0, 1, 6, 7, 500, total - 1, total, total + 5] {
            let s = split(price, &claims);
            let paid: i128 = s.shares.iter().map(|x| x.amount).sum();
            assert_eq!(paid + s.surplus, price, "price {price}");
            assert_eq!(paid + s.written_down, total, "price {price}");
            assert!(s.shares.iter().all(|x| x.amount <= x.claim));
            assert_eq!(
                s.written_down,
                s.shares.iter().map(Share::written_down).sum::<i128>()
            );
        }
    }

    #[test]
    fn no_claims_make_the_whole_price_surplus() {
        let s = split(5_000, &[]);
        assert_eq!((s.surplus, s.written_down, s.shares.len()), (5_000, 0, 0));
    }

    #[test]
    fn call_price_is_outstanding_plus_the_premium_rounded_down() {
        assert_eq!(call_price(10_000, 200), 10_200);
        assert_eq!(call_price(7_142, 150), 7_142 + 107); // 1,071,300 / 10,000
        assert_eq!(call_price(0, 500), 0);
    }

    #[test]
    fn the_auction_fills_the_lowest_rates_first_and_the_marginal_bid_in_part() {
        let bids = [
            Offer {
                rate_bps: 700,
                units: 40,
            },
            Offer {
                rate_bps: 500,
                units: 30,
            },
            Offer {
                rate_bps: 600,
                units: 50,
            },
            Offer {
                rate_bps: 600,
                units: 10,
            },
        ];
        // 500: 30, 600 (chain order): 50 of which 50, then 10 → 20 left
        // after 80: the 600×10 gets 10, then 700×40 gets 10 of 40 → rate 700
        let c = clear(100, &bids).unwrap();
        assert_eq!(c.units, [10, 30, 50, 10]);
        assert_eq!((c.rate_bps, c.total()), (700, 100));
        // 70 offered: 30 + 40 of the first 600 bid; the second 600 bid (later
        // in the chain) gets none
        let c = clear(70, &bids).unwrap();
        assert_eq!(c.units, [0, 30, 40, 0]);
        assert_eq!(c.rate_bps, 600);
    }

    #[test]
    fn an_undersubscribed_auction_allocates_every_bid() {
        let bids = [
            Offer {
                rate_bps: 450,
                units: 5,
            },
            Offer {
                rate_bps: 300,
                units: 2,
            },
        ];
        let c = clear(100, &bids).unwrap();
        assert_eq!(
            (c.units.clone(), c.rate_bps, c.total()),
            (vec![5, 2], 450, 7)
        );
        assert_eq!(clear(100, &[]), None);
    }
}
