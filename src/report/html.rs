//! The audit report as one self-contained HTML page: the verdict and every
//! finding (each rule with the spec text that states it), the statement of
//! spec/09-audit.md §9.4, the dividend table of spec/11-dividends.md §11.7,
//! and charts drawn as inline SVG. `commonstock audit --html` writes it; the
//! web auditor (`web/`) shows the same [`Html::fragment`].
//!
//! The page makes no request of any kind: no script, no font, no image, no
//! style sheet from elsewhere, and a Content-Security-Policy that forbids
//! them. Every text that comes from the chain (names, ids, descriptions, a
//! finding's detail) is hostile input and is escaped ([`escape`]); numbers
//! are drawn with integer arithmetic only, so the same audit gives the same
//! bytes.
//!
//! The statement is drawn from [`statement::to_value`], the same value as the
//! JSON report's `statement`: every member it gains shows up here as a
//! column or a line without a change to this module (amounts in minor units
//! unless [`MONEY`] names the member).

use std::fmt::Write;

use crate::audit::Report;
use crate::commune::State;
use crate::commune::dividend::Figures;
use crate::protocol::canonical::{Object, Value};
use crate::protocol::date::{Date, month_name};
use crate::protocol::rule::Rule;
use crate::report::dividends::member_totals;
use crate::report::statement::{self, format_money};

/// What a report page is drawn from.
pub struct Html<'a> {
    /// The audit's report.
    pub report: &'a Report,
    /// The commune's state after the audit (its statement is shown only
    /// when the integrity layers passed, as `--report` does).
    pub state: &'a State,
    /// The cash after each date ([`crate::audit::Outcome::cash`]).
    pub cash: &'a [(Date, i128)],
    /// What was audited, as the user named it (a file name or a URL).
    pub source: &'a str,
    /// Where the spec's files are, for the links of the rules: a URL or a
    /// path ending in `/` (`spec/` from the repository's root).
    pub spec_base: &'a str,
}

/// Members of the statement that are amounts (minor units), shown in the
/// commune's currency.
pub const MONEY: &[&str] = &[
    "cash",
    "coupon",
    "dividends_payable",
    "face",
    "outstanding_principal",
    "owed",
    "price",
    "principal",
    "purchased",
    "rent_paid",
];

/// Text for HTML: `&`, `<`, `>`, `"` and `'` as character references, so it
/// is safe both between tags and inside a quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The spec's files, as built into the crate, by the names
/// [`Rule::section`] gives.
fn spec_file(name: &str) -> Option<&'static str> {
    Some(match name {
        "02-encoding.md" => include_str!("../../spec/02-encoding.md"),
        "04-signatures.md" => include_str!("../../spec/04-signatures.md"),
        "05-documents.md" => include_str!("../../spec/05-documents.md"),
        "06-chain.md" => include_str!("../../spec/06-chain.md"),
        "07-checkpoints.md" => include_str!("../../spec/07-checkpoints.md"),
        "08-limits.md" => include_str!("../../spec/08-limits.md"),
        "10-commune.md" => include_str!("../../spec/10-commune.md"),
        "11-dividends.md" => include_str!("../../spec/11-dividends.md"),
        "14-collateral.md" => include_str!("../../spec/14-collateral.md"),
        _ => return None,
    })
}

/// The text of the spec that states `rule`, as Markdown: the paragraph or
/// list item of its spec file that opens with the rule's id in bold (else
/// the first that has it in bold, from the id on), with the list or the
/// formula that follows when it ends with a colon.
pub fn rule_text(rule: Rule) -> Option<String> {
    let text = spec_file(rule.section())?;
    let bold = format!("**{}", rule.code());
    // The id in bold, not the start of a longer id (ENC-1 in ENC-10).
    let id_at = |block: &str| {
        block.match_indices(&bold).map(|(i, _)| i).find(|i| {
            !block[i + bold.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
    };
    let opens_with_id = |block: &str| {
        let b = block.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
        let b = b.strip_prefix(". ").or(b.strip_prefix("- ")).unwrap_or(b);
        id_at(b) == Some(0)
    };
    let blocks = blocks(text);
    let (first, from) = match blocks.iter().position(|b| opens_with_id(b)) {
        Some(i) => (i, 0),
        None => blocks
            .iter()
            .enumerate()
            .find_map(|(i, b)| Some((i, id_at(b)?)))?,
    };
    let mut out = blocks[first][from..].trim_end().to_string();
    let mut rest = blocks[first + 1..].iter();
    if out.ends_with(':') {
        // the list or formula it introduces, and a sentence that goes on
        // after a formula
        let mut after_code = false;
        for next in rest.by_ref() {
            let listed = next.starts_with("```")
                || next.starts_with("- ")
                || next.starts_with(|c: char| c.is_ascii_digit());
            let continues = after_code && next.starts_with(|c: char| c.is_lowercase());
            if !listed && !continues {
                break;
            }
            after_code = next.starts_with("```");
            out.push_str("\n\n");
            out.push_str(next.trim_end());
            if continues {
                break;
            }
        }
    }
    Some(out)
}

/// The paragraphs and list items of a Markdown text, as slices of it.
fn blocks(text: &str) -> Vec<&str> {
    let item = |line: &str| {
        let t = line.trim_start_matches(|c: char| c.is_ascii_digit());
        (t.len() < line.len() && t.starts_with(". ")) || line.starts_with("- ")
    };
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let blank = line.trim().is_empty();
        if let Some(s) = start
            && (blank || item(line) || line.starts_with('#'))
        {
            out.push(&text[s..at]);
            start = None;
        }
        if !blank && start.is_none() {
            start = Some(at);
        }
        at += line.len();
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// Markdown's `**bold**` and `` `code` `` of an escaped text as HTML (the
/// spec's own text: the only Markdown the report renders).
fn inline_markdown(escaped: &str) -> String {
    let mut out = String::new();
    let mut bold = false;
    let mut code = false;
    let mut rest = escaped;
    while let Some(c) = rest.chars().next() {
        if !code && rest.starts_with("**") {
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = &rest[2..];
        } else if c == '`' {
            out.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
            rest = &rest[1..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if code {
        out.push_str("</code>");
    }
    if bold {
        out.push_str("</strong>");
    }
    out
}

/// A rule's text from the spec as HTML: its paragraphs and list items as
/// paragraphs (the Markdown's line breaks are only wrapping), a formula as
/// preformatted text.
fn spec_html(markdown: &str) -> String {
    let mut out = String::new();
    for block in markdown.split("\n\n") {
        if let Some(code) = block.strip_prefix("```") {
            let code = code.split_once('\n').map_or("", |c| c.1);
            let code = code.trim_end().trim_end_matches("```").trim_end();
            let _ = write!(out, "<pre>{}</pre>", escape(code));
        } else {
            let text: Vec<&str> = block.lines().map(str::trim).collect();
            let _ = write!(out, "<p>{}</p>", inline_markdown(&escape(&text.join(" "))));
        }
    }
    out
}

/// The style of the report, every selector under `.cs-report` so that the
/// fragment can sit inside another page.
const STYLE: &str = r#"
.cs-report{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232b;max-width:1100px;margin:0 auto;padding:0 16px 48px}
.cs-report h1{font-size:1.6em;margin:.6em 0 .1em}
.cs-report h2{font-size:1.25em;margin:1.6em 0 .5em;border-bottom:1px solid #d5dbe2;padding-bottom:.2em}
.cs-report h3{font-size:1.05em;margin:1.2em 0 .4em}
.cs-report .cs-meta{color:#5a6573;font-size:.9em;margin:0 0 1em}
.cs-report .cs-meta code{word-break:break-all}
.cs-report .cs-verdict{display:flex;flex-wrap:wrap;gap:12px 28px;align-items:center;padding:14px 18px;border-radius:8px;border:1px solid}
.cs-report .cs-valid{background:#ecf8ef;border-color:#9fd5ab}
.cs-report .cs-invalid{background:#fdeeee;border-color:#eaa5a5}
.cs-report .cs-badge{font-weight:700;font-size:1.5em;letter-spacing:.04em}
.cs-report .cs-valid .cs-badge{color:#17692c}
.cs-report .cs-invalid .cs-badge{color:#a11d1d}
.cs-report .cs-count{display:flex;flex-direction:column}
.cs-report .cs-count b{font-size:1.3em;font-variant-numeric:tabular-nums}
.cs-report .cs-count span{color:#5a6573;font-size:.85em}
.cs-report table{border-collapse:collapse;width:100%;font-size:.9em;margin:.3em 0 1em}
.cs-report th,.cs-report td{border-bottom:1px solid #e3e7ec;padding:4px 8px;text-align:left;vertical-align:top}
.cs-report th{background:#f3f5f8;font-weight:600}
.cs-report td.n,.cs-report th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.cs-report tbody tr:nth-child(even){background:#fafbfc}
.cs-report code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
.cs-report td code{word-break:break-all}
.cs-report .cs-scroll{max-height:32em;overflow:auto;border:1px solid #e3e7ec;border-radius:4px}
.cs-report .cs-scroll table{margin:0}
.cs-report .cs-scroll th{position:sticky;top:0}
.cs-report blockquote{margin:.3em 0 1em;padding:.1em 1em;border-left:4px solid #c4ccd6;background:#f7f8fa;font-size:.9em}
.cs-report blockquote p{margin:.5em 0}
.cs-report blockquote pre{margin:.5em 0;overflow-x:auto;font-size:.95em}
.cs-report dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:.3em 0 1em}
.cs-report dt{color:#5a6573}
.cs-report dd{margin:0;font-variant-numeric:tabular-nums}
.cs-report figure{margin:.5em 0 1.5em}
.cs-report figcaption{font-weight:600;margin-bottom:.3em}
.cs-report svg{display:block;width:100%;height:auto;max-width:900px;background:#fff}
.cs-report svg text{font:11px system-ui,sans-serif;fill:#3c4651}
.cs-report .cs-legend{font-size:.85em;color:#3c4651}
.cs-report .cs-legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;vertical-align:-1px}
.cs-report .cs-note{color:#5a6573;font-size:.88em}
"#;

/// Colours of the charts' three series.
const RENT: &str = "#2f7ebc";
const SERVICE: &str = "#d9822b";
const POOL: &str = "#3a9d5d";

impl Html<'_> {
    /// The whole page: a complete HTML document with nothing outside it.
    pub fn page(&self) -> String {
        let title = match self.name() {
            Some(n) => format!("{} — audit report", escape(n)),
            None => "Commonstock audit report".to_string(),
        };
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n</head>\n<body>\n{}</body>\n</html>\n",
            self.fragment()
        )
    }

    /// The report as one element (with its style) for another page.
    pub fn fragment(&self) -> String {
        let mut o = String::with_capacity(64 * 1024);
        o.push_str("<div class=\"cs-report\">\n<style>");
        o.push_str(STYLE);
        o.push_str("</style>\n");
        self.header(&mut o);
        self.verdict(&mut o);
        self.findings(&mut o);
        if self.shows_statement() {
            self.charts(&mut o);
            self.statement(&mut o);
            self.dividends(&mut o);
        } else {
            o.push_str(
                "<p class=\"cs-note\" id=\"cs-no-statement\">No statement: the chain fails its \
                 integrity checks, so nothing after the failure can be trusted.</p>\n",
            );
        }
        self.rules(&mut o);
        o.push_str("</div>\n");
        o
    }

    /// The statement means something only when the integrity holds.
    fn shows_statement(&self) -> bool {
        self.report.integrity && self.state.as_of.is_some()
    }

    fn name(&self) -> Option<&str> {
        (!self.state.name.is_empty()).then_some(self.state.name.as_str())
    }

    fn money(&self, n: i128) -> String {
        format_money(&self.state.currency, self.state.exponent, n)
    }

    fn header(&self, o: &mut String) {
        let _ = writeln!(
            o,
            "<h1>{}</h1>",
            self.name().map_or_else(|| "Audit report".into(), escape)
        );
        let _ = write!(
            o,
            "<p class=\"cs-meta\">Audit of <code>{}</code>",
            escape(self.source)
        );
        if let Some(d) = self.state.as_of {
            let _ = write!(o, ", as of {d}");
        }
        if let Some(c) = self.report.commune {
            let _ = write!(o, "<br>commune <code>{c}</code>");
        }
        if let Some(h) = self.report.head {
            let _ = write!(o, "<br>head <code>{h}</code>");
        }
        o.push_str("</p>\n");
    }

    fn verdict(&self, o: &mut String) {
        let r = self.report;
        let (class, badge) = if r.is_valid() {
            ("cs-valid", "VALID")
        } else {
            ("cs-invalid", "INVALID")
        };
        let _ = writeln!(
            o,
            "<section id=\"cs-verdict\" class=\"cs-verdict {class}\" data-valid=\"{}\" \
             data-integrity=\"{}\" data-entries=\"{}\" data-signatures=\"{}\" data-findings=\"{}\">",
            r.is_valid(),
            r.integrity,
            r.entries,
            r.signatures,
            r.findings.len()
        );
        let _ = writeln!(o, "<span class=\"cs-badge\">{badge}</span>");
        let checked = if r.integrity {
            ""
        } else {
            " checked before the first failure"
        };
        for (n, what) in [
            (r.entries, format!("entries{checked}")),
            (r.signatures, "signatures verified".into()),
            (r.findings.len() as u64, "findings".into()),
        ] {
            let _ = writeln!(
                o,
                "<span class=\"cs-count\"><b>{n}</b><span>{what}</span></span>"
            );
        }
        let integrity = if r.integrity {
            "integrity: every entry is sound"
        } else {
            "integrity: failed (the audit stopped)"
        };
        let _ = writeln!(
            o,
            "<span class=\"cs-count\"><b>{}</b><span>{integrity}</span></span>",
            if r.integrity { "✓" } else { "✗" }
        );
        o.push_str("</section>\n");
    }

    fn findings(&self, o: &mut String) {
        let r = self.report;
        o.push_str("<h2 id=\"cs-findings\">Findings</h2>\n");
        if r.findings.is_empty() {
            o.push_str("<p>None: every check of the specification passed.</p>\n");
            return;
        }
        o.push_str(
            "<p class=\"cs-note\">In the order found; an integrity failure ends the list. \
             Expected and found are the chain's integers (amounts in minor units); \
             difference = found − expected.</p>\n",
        );
        o.push_str(
            "<div class=\"cs-scroll\"><table id=\"cs-findings-table\"><thead><tr><th>rule</th>\
             <th class=\"n\">entry</th><th class=\"n\">line</th><th>kind</th><th>field</th>\
             <th>detail</th><th class=\"n\">expected</th><th class=\"n\">found</th>\
             <th class=\"n\">difference</th></tr></thead><tbody>\n",
        );
        let opt = |n: Option<u64>| n.map_or(String::new(), |n| n.to_string());
        let int = |n: Option<i128>| n.map_or(String::new(), |n| n.to_string());
        for f in &r.findings {
            let code = f.rule.code();
            let _ = writeln!(
                o,
                "<tr data-rule=\"{code}\" data-entry=\"{}\"><td><a href=\"#rule-{code}\" \
                 title=\"{}\"><b>{code}</b></a></td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                opt(f.entry),
                escape(f.rule.summary()),
                opt(f.entry),
                opt(f.line),
                f.kind.map_or("", |k| k.name()),
                escape(f.field.as_deref().unwrap_or("")),
                escape(&f.detail),
                int(f.expected),
                int(f.found),
                f.difference().map_or(String::new(), |d| format!("{d:+}")),
            );
        }
        o.push_str("</tbody></table></div>\n");
    }

    /// Each rule a finding cites, with the text of the spec that states it.
    fn rules(&self, o: &mut String) {
        let mut cited: Vec<Rule> = self.report.findings.iter().map(|f| f.rule).collect();
        cited.sort();
        cited.dedup();
        if cited.is_empty() {
            return;
        }
        o.push_str("<h2 id=\"cs-rules\">The rules cited</h2>\n");
        for rule in cited {
            let code = rule.code();
            let file = rule.section();
            let _ = writeln!(
                o,
                "<h3 id=\"rule-{code}\">{code}: {}</h3>\n<p class=\"cs-note\">Stated in \
                 <a href=\"{}{file}\">spec/{file}</a>:</p>",
                escape(rule.summary()),
                escape(self.spec_base),
            );
            if let Some(t) = rule_text(rule) {
                let _ = writeln!(o, "<blockquote>{}</blockquote>", spec_html(&t));
            }
        }
    }

    fn charts(&self, o: &mut String) {
        o.push_str("<h2 id=\"cs-charts\">Charts</h2>\n");
        self.cash_chart(o);
        self.period_chart(o);
        self.member_chart(o);
    }

    /// The cash after each date, as a step line.
    fn cash_chart(&self, o: &mut String) {
        let points = sample(self.cash, 1500);
        if points.is_empty() {
            return;
        }
        let (w, h, left, top, bottom) = (900i128, 260i128, 130i128, 14i128, 28i128);
        let (pw, ph) = (w - left - 16, h - top - bottom);
        let first = points[0].0.to_days() as i128;
        let last = points[points.len() - 1].0.to_days() as i128;
        let span = (last - first).max(1);
        let max = points.iter().map(|p| p.1).max().unwrap_or(0).max(1);
        let min = points.iter().map(|p| p.1).min().unwrap_or(0).min(0);
        let x = |d: Date| left + (d.to_days() as i128 - first) * pw / span;
        let y = |v: i128| top + (max - v) * ph / (max - min);
        let _ = writeln!(
            o,
            "<figure id=\"cs-chart-cash\"><figcaption>Cash over time</figcaption>\n\
             <svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"The commune's cash after each date\">"
        );
        self.y_axis(o, left, w - 16, &[min, 0, max / 2, max], &y);
        let mut d = format!("M{} {}", x(points[0].0), y(points[0].1));
        for p in &points[1..] {
            let _ = write!(d, "H{}V{}", x(p.0), y(p.1));
        }
        let _ = writeln!(
            o,
            "<path d=\"{d}\" fill=\"none\" stroke=\"{RENT}\" stroke-width=\"2\"/>"
        );
        let base = h - bottom + 16;
        let _ = writeln!(
            o,
            "<text x=\"{left}\" y=\"{base}\">{}</text><text x=\"{}\" y=\"{base}\" \
             text-anchor=\"end\">{}</text>",
            points[0].0,
            left + pw,
            points[points.len() - 1].0
        );
        let _ = writeln!(
            o,
            "<title>Cash from {} ({}) to {} ({})</title></svg></figure>",
            points[0].0,
            self.money(points[0].1),
            points[points.len() - 1].0,
            self.money(points[points.len() - 1].1)
        );
    }

    /// Horizontal grid lines with their amounts.
    fn y_axis(
        &self,
        o: &mut String,
        left: i128,
        right: i128,
        at: &[i128],
        y: &dyn Fn(i128) -> i128,
    ) {
        let mut seen = Vec::new();
        for &v in at {
            if seen.contains(&v) {
                continue;
            }
            seen.push(v);
            let yy = y(v);
            let stroke = if v == 0 { "#9aa5b1" } else { "#e3e7ec" };
            let _ = writeln!(
                o,
                "<line x1=\"{left}\" x2=\"{right}\" y1=\"{yy}\" y2=\"{yy}\" stroke=\"{stroke}\"/>\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                left - 6,
                yy + 4,
                escape(&self.money(v))
            );
        }
    }

    /// Per period: rent and income, bond service, and the dividend pool.
    fn period_chart(&self, o: &mut String) {
        let closes = &self.state.periods.closes;
        if closes.is_empty() {
            return;
        }
        let n = closes.len() as i128;
        let (left, top, bottom) = (130i128, 14i128, 28i128);
        // 900 wide, or wider (then drawn smaller) for many periods
        let group = ((900 - left - 16) / n).clamp(9, 60);
        let w = left + 16 + n * group;
        let h = 260i128;
        let ph = h - top - bottom;
        let values = |f: &Figures| [f.rent + f.income, f.service, f.pool];
        let max = closes
            .values()
            .flat_map(|f| values(f))
            .max()
            .unwrap_or(0)
            .max(1);
        let min = closes
            .values()
            .flat_map(|f| values(f))
            .min()
            .unwrap_or(0)
            .min(0);
        let y = |v: i128| top + (max - v) * ph / (max - min);
        let _ = writeln!(
            o,
            "<figure id=\"cs-chart-periods\"><figcaption>Rent, bond service and dividend pool per \
             period</figcaption>\n<div class=\"cs-legend\"><i style=\"background:{RENT}\"></i>rent \
             and income<i style=\"background:{SERVICE}\"></i>bond service<i style=\"background:{POOL}\">\
             </i>dividend pool</div>\n<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Rent, \
             bond service and dividend pool per period\">"
        );
        self.y_axis(o, left, w - 16, &[min, 0, max / 2, max], &y);
        let bar = (group - 4) / 3;
        let label_every = (n / 12).max(1);
        for (i, (p, f)) in closes.iter().enumerate() {
            let gx = left + i as i128 * group + 2;
            for (k, (v, colour)) in values(f).into_iter().zip([RENT, SERVICE, POOL]).enumerate() {
                let (y0, y1) = (y(v.max(0)), y(v.min(0)));
                let _ = writeln!(
                    o,
                    "<rect x=\"{}\" y=\"{y0}\" width=\"{bar}\" height=\"{}\" fill=\"{colour}\">\
                     <title>{} {}: {}</title></rect>",
                    gx + k as i128 * bar,
                    y1 - y0,
                    month_name(*p),
                    ["rent and income", "bond service", "pool"][k],
                    escape(&self.money(v))
                );
            }
            // (a label is about 56 wide: none that the edge would cut)
            if i as i128 % label_every == 0 && gx + 56 <= w {
                let _ = writeln!(
                    o,
                    "<text x=\"{gx}\" y=\"{}\">{}</text>",
                    h - bottom + 16,
                    month_name(*p)
                );
            }
        }
        o.push_str("</svg></figure>\n");
    }

    /// Each member's dividends declared over all periods: named bars for a
    /// small commune, the amounts in decreasing order for a large one.
    fn member_chart(&self, o: &mut String) {
        let totals = member_totals(self.state);
        if totals.is_empty() {
            return;
        }
        let max = totals.iter().map(|t| t.1).max().unwrap_or(0).max(1);
        let _ = writeln!(
            o,
            "<figure id=\"cs-chart-members\"><figcaption>Each member's dividends (declared, all \
             periods)</figcaption>"
        );
        if totals.len() <= 40 {
            let (left, row, w) = (110i128, 20i128, 900i128);
            let h = row * totals.len() as i128 + 8;
            let pw = w - left - 150;
            let _ = writeln!(
                o,
                "<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Dividends per member\">"
            );
            for (i, (m, d, _)) in totals.iter().enumerate() {
                let yy = 4 + i as i128 * row;
                let bw = (*d).max(0) * pw / max;
                let _ = writeln!(
                    o,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{left}\" \
                     y=\"{yy}\" width=\"{bw}\" height=\"{}\" fill=\"{POOL}\"><title>{}: {}</title>\
                     </rect><text x=\"{}\" y=\"{}\">{}</text>",
                    left - 6,
                    yy + 13,
                    escape(m),
                    row - 6,
                    escape(m),
                    escape(&self.money(*d)),
                    left + bw + 6,
                    yy + 13,
                    escape(&self.money(*d))
                );
            }
        } else {
            let mut amounts: Vec<i128> = totals.iter().map(|t| t.1).collect();
            amounts.sort_by(|a, b| b.cmp(a));
            let (w, h, left, top, bottom) = (900i128, 220i128, 130i128, 14i128, 28i128);
            let (pw, ph) = (w - left - 16, h - top - bottom);
            let min = amounts.iter().copied().min().unwrap_or(0).min(0);
            let y = |v: i128| top + (max - v) * ph / (max - min);
            let _ = writeln!(
                o,
                "<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Dividends per member, \
                 largest first\">"
            );
            self.y_axis(o, left, w - 16, &[min, 0, max / 2, max], &y);
            let n = amounts.len() as i128;
            let mut d = format!("M{left} {}", y(0));
            for (i, v) in amounts.iter().enumerate() {
                let _ = write!(d, "V{}H{}", y(*v), left + (i as i128 + 1) * pw / n);
            }
            let _ = write!(d, "V{}Z", y(0));
            let _ = writeln!(o, "<path d=\"{d}\" fill=\"{POOL}\"/>");
            let _ = writeln!(
                o,
                "<text x=\"{left}\" y=\"{}\">{} members, largest first: {} to {}</text>",
                h - bottom + 16,
                amounts.len(),
                escape(&self.money(amounts[0])),
                escape(&self.money(amounts[amounts.len() - 1]))
            );
        }
        o.push_str("</svg></figure>\n");
    }

    fn statement(&self, o: &mut String) {
        let v = statement::to_value(self.state);
        let Some(s) = v.as_object() else { return };
        o.push_str("<h2 id=\"cs-statement\">Statement</h2>\n<dl id=\"cs-summary\">\n");
        for (k, v) in s.iter().filter(|(_, v)| v.as_array().is_none()) {
            let _ = writeln!(
                o,
                "<dt>{}</dt><dd data-key=\"{}\">{}</dd>",
                escape(&k.replace('_', " ")),
                escape(k),
                self.cell(k, v)
            );
        }
        o.push_str("</dl>\n");
        // The lists in the order people read a statement; any other list
        // after them.
        let order = ["members", "assets", "series", "agreements", "arrears"];
        let mut lists: Vec<(&str, &[Value])> = s
            .iter()
            .filter_map(|(k, v)| Some((k, v.as_array()?)))
            .collect();
        lists.sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(order.len()));
        for (k, rows) in lists {
            self.list(o, k, rows);
        }
    }

    /// A list of the statement as a table: a column per member of its
    /// objects, the list's own id first.
    fn list(&self, o: &mut String, name: &str, rows: &[Value]) {
        let title = match name {
            "series" => "Bond series".to_string(),
            "agreements" => "Rental agreements".to_string(),
            n => {
                let mut t = n.replace('_', " ");
                if let Some(c) = t.get(..1) {
                    t = c.to_uppercase() + &t[1..];
                }
                t
            }
        };
        let _ = writeln!(
            o,
            "<h3 id=\"cs-{}\">{} <span class=\"cs-note\">({})</span></h3>",
            escape(name),
            escape(&title),
            rows.len()
        );
        if rows.is_empty() {
            o.push_str("<p class=\"cs-note\">None.</p>\n");
            return;
        }
        let id = match name {
            "arrears" => "type",
            "series" => "series",
            n => n.strip_suffix('s').unwrap_or(n),
        };
        let mut columns: Vec<&str> = Vec::new();
        for r in rows {
            if let Some(r) = r.as_object() {
                for k in r.keys() {
                    if !columns.contains(&k) {
                        columns.push(k);
                    }
                }
            }
        }
        columns.sort_by_key(|c| *c != id);
        let _ = write!(
            o,
            "<div class=\"cs-scroll\"><table id=\"cs-table-{}\"><thead><tr>",
            escape(name)
        );
        for c in &columns {
            let _ = write!(
                o,
                "<th{}>{}</th>",
                if self.numeric(c, rows) {
                    " class=\"n\""
                } else {
                    ""
                },
                escape(&c.replace('_', " "))
            );
        }
        o.push_str("</tr></thead><tbody>\n");
        for r in rows {
            let empty = Object::new();
            let r = r.as_object().unwrap_or(&empty);
            o.push_str("<tr>");
            for c in &columns {
                let v = r.get(c).unwrap_or(&Value::Null);
                let _ = write!(
                    o,
                    "<td{}>{}</td>",
                    if self.numeric(c, rows) {
                        " class=\"n\""
                    } else {
                        ""
                    },
                    self.cell(c, v)
                );
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody></table></div>\n");
    }

    /// Whether a column holds numbers (right-aligned).
    fn numeric(&self, column: &str, rows: &[Value]) -> bool {
        MONEY.contains(&column)
            || rows.iter().all(|r| {
                matches!(
                    r.as_object().and_then(|r| r.get(column)),
                    Some(Value::Int(_)) | Some(Value::Null) | None
                )
            })
    }

    /// A statement value as HTML: amounts in the currency, keys and hashes
    /// as code, lists joined.
    fn cell(&self, key: &str, v: &Value) -> String {
        let amount = match v {
            Value::Int(n) => Some(i128::from(*n)),
            Value::Str(s) => s.parse::<i128>().ok(),
            _ => None,
        };
        match (MONEY.contains(&key), amount, v) {
            (true, Some(n), _) => {
                format!("<span data-minor=\"{n}\">{}</span>", escape(&self.money(n)))
            }
            (_, _, Value::Null) => "—".into(),
            (_, _, Value::Bool(b)) => b.to_string(),
            (_, _, Value::Int(n)) => n.to_string(),
            (_, _, Value::Str(s)) if key == "key" || key == "holder" => {
                format!("<code>{}</code>", escape(s))
            }
            (_, _, Value::Str(s)) => escape(s),
            (_, _, Value::Array(a)) => a
                .iter()
                .map(|x| self.cell(key, x))
                .collect::<Vec<_>>()
                .join(", "),
            (_, _, Value::Object(_)) => {
                format!(
                    "<code>{}</code>",
                    escape(&String::from_utf8_lossy(
                        &crate::protocol::canonical::encode(v)
                    ))
                )
            }
        }
    }

    fn dividends(&self, o: &mut String) {
        let st = self.state;
        o.push_str("<h2 id=\"cs-dividends\">Dividends</h2>\n");
        if st.periods.closes.is_empty() {
            o.push_str("<p class=\"cs-note\">No period has been closed.</p>\n");
            return;
        }
        o.push_str(
            "<p class=\"cs-note\">Recomputed from the chain (spec chapter 11) for every period \
             close; “per member” is the amount of a member for the whole period.</p>\n",
        );
        o.push_str(
            "<div class=\"cs-scroll\"><table id=\"cs-periods\"><thead><tr><th>period</th>\
             <th class=\"n\">rent and income</th><th class=\"n\">bond service</th>\
             <th class=\"n\">expenses</th><th class=\"n\">carry in</th><th class=\"n\">reserve</th>\
             <th class=\"n\">pool</th><th class=\"n\">eligible</th><th class=\"n\">per member</th>\
             <th class=\"n\">carry out</th></tr></thead><tbody>\n",
        );
        for (p, f) in &st.periods.closes {
            let _ = writeln!(
                o,
                "<tr data-period=\"{}\" data-pool=\"{}\" data-dividend=\"{}\"><td>{}</td>{}{}{}{}{}{}\
                 <td class=\"n\">{}</td>{}{}</tr>",
                month_name(*p),
                f.pool,
                f.dividend,
                month_name(*p),
                self.money_cell(f.rent + f.income),
                self.money_cell(f.service),
                self.money_cell(f.expenses),
                self.money_cell(f.carry_in),
                self.money_cell(f.reserve),
                self.money_cell(f.pool),
                f.eligible(),
                self.money_cell(f.dividend),
                self.money_cell(f.carry_out),
            );
        }
        o.push_str("</tbody></table></div>\n");
        o.push_str(
            "<h3>Per member</h3>\n<div class=\"cs-scroll\"><table id=\"cs-member-dividends\">\
             <thead><tr><th>member</th><th class=\"n\">declared</th><th class=\"n\">paid</th>\
             <th class=\"n\">payable</th></tr></thead><tbody>\n",
        );
        for (m, d, p) in member_totals(st) {
            let _ = writeln!(
                o,
                "<tr data-member=\"{}\" data-declared=\"{d}\" data-paid=\"{p}\"><td>{}</td>{}{}{}</tr>",
                escape(&m),
                escape(&m),
                self.money_cell(d),
                self.money_cell(p),
                self.money_cell(d - p)
            );
        }
        o.push_str("</tbody></table></div>\n");
    }

    fn money_cell(&self, n: i128) -> String {
        format!("<td class=\"n\">{}</td>", escape(&self.money(n)))
    }
}

/// At most about `max` points of `points`, evenly spaced, the last kept.
fn sample(points: &[(Date, i128)], max: usize) -> Vec<(Date, i128)> {
    if points.len() <= max {
        return points.to_vec();
    }
    let step = points.len().div_ceil(max);
    let mut out: Vec<_> = points.iter().step_by(step).copied().collect();
    if let Some(last) = points.last()
        && out.last() != Some(last)
    {
        out.push(*last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_tags_and_attributes() {
        assert_eq!(
            escape("<a href=\"x\" onclick='y'>&</a>"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(escape("ok ü"), "ok ü");
    }

    #[test]
    fn every_rule_has_its_spec_text() {
        for &r in Rule::ALL {
            let t = rule_text(r).unwrap_or_else(|| panic!("no text for {r}"));
            assert!(
                t.starts_with(|c: char| c == '*' || c.is_ascii_digit()),
                "{r}: {t}"
            );
            assert!(t.contains(&format!("**{}", r.code())), "{r}: {t}");
            assert!(t.len() > 20, "{r}: {t}");
        }
        // ENC-1 is not ENC-10's text.
        assert!(!rule_text(Rule::Enc1).unwrap().contains("**ENC-10"));
        // a statement that ends with a colon goes on with its formula or list
        assert!(
            rule_text(Rule::Sch1)
                .unwrap()
                .contains("coupon_k    = floor(")
        );
        assert!(
            rule_text(Rule::Sch3)
                .unwrap()
                .contains("with `units_s` the units")
        );
        assert!(
            rule_text(Rule::Frk2)
                .unwrap()
                .contains("2. `a.commune` = `b.commune`;")
        );
        // a rule stated inside a paragraph starts at its id
        assert!(
            rule_text(Rule::Pay2)
                .unwrap()
                .starts_with("**PAY-2.** A payment MUST NOT")
        );
    }

    #[test]
    fn markdown_is_only_bold_and_code() {
        assert_eq!(
            inline_markdown("**SIG-6** uses `R_bytes` &lt;x&gt;"),
            "<strong>SIG-6</strong> uses <code>R_bytes</code> &lt;x&gt;"
        );
        assert_eq!(inline_markdown("`**`"), "<code>**</code>");
    }

    #[test]
    fn sample_keeps_the_ends() {
        let d = |n: i64| Date::from_days(20_000 + n).unwrap();
        let pts: Vec<_> = (0..10_000).map(|i| (d(i), i as i128)).collect();
        let s = sample(&pts, 1000);
        assert!(s.len() <= 1001);
        assert_eq!(s[0], pts[0]);
        assert_eq!(s.last(), pts.last());
    }
}
