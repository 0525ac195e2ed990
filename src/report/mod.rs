//! The report layer: what an audit found, written for people and programs.
//! [`statement`] is the commune's statement after a replay (members, assets,
//! bond series, agreements, arrears, cash); [`money`] the one money format
//! every report and tool uses; [`dividends`] is the dividend table (spec 9.3, 11.7).
//!
//! It reads the [`crate::audit`] report and the [`crate::commune`] state and
//! decides nothing: every figure it prints was computed below it.

pub mod dividends;
pub mod money;
pub mod statement;
