//! The report layer: what an audit found, written for people and programs.
//! [`statement`] is the commune's statement after a replay (members, assets,
//! bond series, agreements, arrears, cash); [`dividends`] is the dividend
//! table (spec 9.3, 11.7); [`money`] is the one format of amounts that every
//! report prints and every tool reads back; [`html`] is the whole report as
//! one self-contained HTML page.
//!
//! It reads the [`crate::audit`] report and the [`crate::commune`] state and
//! decides nothing: every figure it prints was computed below it.

pub mod checkpoints;
pub mod dividends;
pub mod html;
pub mod money;
pub mod statement;
