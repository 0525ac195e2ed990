//! The audit without threads and the HTML report (issue 13): the
//! single-threaded audit (the web build's) decides exactly what the
//! pipeline decides on every conformance case; progress is told in order
//! and ends at the file's size; the HTML report of the example has its
//! verdict, tables and charts, makes no request, and escapes every text the
//! chain holds; `commonstock audit --html` writes the library's page.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use commonstock::audit::{self, Options, Outcome, Progress, Report, Run};
use commonstock::canonical::{self, Value};
use commonstock::checkpoint::Checkpoint;
use commonstock::conformance::{Case, Expect};
use commonstock::document::Kind;
use commonstock::report::html::{Html, escape};
use commonstock::{dividend, statement};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/commune.jsonl");

/// Every committed chain case, with its checkpoints as audit options.
fn cases() -> Vec<(Case, Options)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-vectors/chains");
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for p in paths {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let case = Case::parse(&name, &std::fs::read(&p).unwrap()).unwrap();
        let mut options = Options::default();
        for cp in &case.checkpoints {
            let mut b = cp.clone();
            b.push(b'\n');
            options.checkpoints.push(Checkpoint::parse(&b).unwrap());
        }
        out.push((case, options));
    }
    assert!(out.len() >= 100, "test-vectors/chains not found");
    out
}

fn run(bytes: &[u8], options: &Options, threads: usize) -> Outcome {
    audit::run(
        bytes,
        options,
        Run {
            threads,
            ..Run::default()
        },
    )
    .unwrap()
}

/// The cash after each date.
type Cash = Vec<(commonstock::date::Date, i128)>;

/// Everything an audit decides and the report shows.
fn decided(o: &Outcome) -> (Report, Vec<u8>, Vec<u8>, Cash) {
    (
        o.report.clone(),
        canonical::encode(&statement::to_value(&o.state)),
        canonical::encode(&dividend::table_value(&o.state)),
        o.cash.clone(),
    )
}

#[test]
fn single_threaded_audit_equals_the_pipeline_on_every_case() {
    let mut checked = 0;
    for (case, options) in cases() {
        let chain = case.chain();
        let one = run(&chain, &options, 1);
        for threads in [2, 3] {
            let many = run(&chain, &options, threads);
            assert!(
                decided(&one) == decided(&many),
                "{}: 1 thread and {threads} threads differ",
                case.name
            );
        }
        // and the verdict is the case's (its name starts with the rule)
        let first = one.report.findings.first().map(|f| f.rule.code());
        let want = (case.expect != Expect::Valid).then(|| case.name.split('_').next().unwrap());
        assert_eq!(first, want, "{}", case.name);
        checked += 1;
    }
    assert!(checked >= 100);
}

#[test]
fn progress_is_told_in_order_and_ends_at_the_file_size() {
    let bytes = std::fs::read(EXAMPLE).unwrap();
    for threads in [1, 2] {
        let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
        let sink = Arc::clone(&seen);
        let o = audit::run(
            &bytes[..],
            &Options::default(),
            Run {
                threads,
                progress: Some(Box::new(move |p| sink.lock().unwrap().push(p))),
                ..Run::default()
            },
        )
        .unwrap();
        let seen = seen.lock().unwrap();
        assert!(seen.len() >= 3, "{threads} threads: {seen:?}");
        assert!(
            seen.windows(2)
                .all(|w| w[0].lines <= w[1].lines && w[0].bytes <= w[1].bytes)
        );
        let last = seen.last().unwrap();
        assert_eq!(last.bytes, bytes.len() as u64);
        assert_eq!(last.lines, o.report.entries);
    }
}

fn page(o: &Outcome, source: &str) -> String {
    Html {
        report: &o.report,
        state: &o.state,
        cash: &o.cash,
        source,
        spec_base: "spec/",
    }
    .page()
}

/// The value of attribute `name` on the element whose opening tag holds
/// `marker`.
fn attr<'a>(html: &'a str, marker: &str, name: &str) -> &'a str {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let tag = &html[at..at + html[at..].find('>').unwrap()];
    let key = format!("{name}=\"");
    let v = &tag[tag
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + key.len()..];
    &v[..v.find('"').unwrap()]
}

/// What in a page could run or make a request: a tag the report does not
/// use, an event handler, a `src`, a link or a style that loads something
/// from elsewhere. Text between tags cannot hold a `<` (it is escaped), so
/// every `<` opens a tag.
fn requests(html: &str) -> Vec<String> {
    const TAGS: &[&str] = &[
        "!doctype",
        "html",
        "head",
        "meta",
        "title",
        "body",
        "style",
        "div",
        "section",
        "span",
        "b",
        "i",
        "h1",
        "h2",
        "h3",
        "p",
        "br",
        "code",
        "strong",
        "blockquote",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "a",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "svg",
        "line",
        "text",
        "path",
        "rect",
        "pre",
    ];
    let mut bad = Vec::new();
    let lower = html.to_ascii_lowercase();
    for (at, _) in lower.match_indices('<') {
        let tag = &lower[at + 1..at + lower[at..].find('>').unwrap()];
        let tag = tag.trim_start_matches('/');
        let name: String = tag
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/')
            .collect();
        if !TAGS.contains(&name.as_str()) {
            bad.push(format!("<{name}>"));
        }
        for attribute in tag.split_whitespace().skip(1) {
            let key = attribute.split('=').next().unwrap();
            if key.starts_with("on") || key == "src" || key == "srcset" {
                bad.push(format!("{key}= in <{name}>"));
            }
            if attribute.contains("http:")
                || attribute.contains("https:")
                || attribute.contains("javascript:")
            {
                bad.push(format!("{attribute} in <{name}>"));
            }
        }
    }
    for p in ["url(", "@import"] {
        if lower.contains(p) {
            bad.push(p.to_string());
        }
    }
    bad
}

#[test]
fn the_example_report_has_its_verdict_tables_and_charts() {
    let bytes = std::fs::read(EXAMPLE).unwrap();
    let o = run(&bytes, &Options::default(), 0);
    assert!(o.report.is_valid());
    let html = page(&o, "examples/commune.jsonl");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(requests(&html), Vec::<String>::new());
    assert!(html.contains("Content-Security-Policy"));
    assert_eq!(attr(&html, "id=\"cs-verdict\"", "data-valid"), "true");
    assert_eq!(
        attr(&html, "id=\"cs-verdict\"", "data-entries"),
        o.report.entries.to_string()
    );
    assert_eq!(
        attr(&html, "id=\"cs-verdict\"", "data-signatures"),
        o.report.signatures.to_string()
    );
    for chart in ["cs-chart-cash", "cs-chart-periods", "cs-chart-members"] {
        let at = html.find(&format!("id=\"{chart}\"")).unwrap();
        assert!(html[at..].find("<svg").is_some_and(|i| i < 400), "{chart}");
    }
    // every close's figures and every member's total, as the table has them
    for (p, f) in &o.state.periods.closes {
        let row = format!("data-period=\"{}\"", commonstock::date::month_name(*p));
        assert_eq!(attr(&html, &row, "data-dividend"), f.dividend.to_string());
    }
    for (m, declared, paid) in dividend::member_totals(&o.state) {
        let row = format!("data-member=\"{m}\"");
        assert_eq!(attr(&html, &row, "data-declared"), declared.to_string());
        assert_eq!(attr(&html, &row, "data-paid"), paid.to_string());
    }
    // the statement's lists and amounts in the commune's currency
    for table in ["members", "assets", "series", "agreements", "arrears"] {
        assert!(html.contains(&format!("id=\"cs-{table}\"")), "{table}");
    }
    let cash = statement::format_money(&o.state.currency, o.state.exponent, o.state.cash);
    assert!(html.contains(&format!(">{cash}<")), "{cash}");
    // the same audit, the same bytes
    assert_eq!(
        html,
        page(
            &run(&bytes, &Options::default(), 1),
            "examples/commune.jsonl"
        )
    );
}

#[test]
fn findings_link_to_the_spec_text_of_their_rule() {
    let (case, options) = cases()
        .into_iter()
        .find(|(c, _)| c.name == "DIV-2_pool_one_too_high")
        .unwrap();
    let o = run(&case.chain(), &options, 1);
    let html = page(&o, "div-2.jsonl");
    assert_eq!(attr(&html, "id=\"cs-verdict\"", "data-valid"), "false");
    let f = &o.report.findings[0];
    let row = attr(&html, "data-rule=\"DIV-2\"", "data-entry");
    assert_eq!(row, f.entry.unwrap().to_string());
    assert!(html.contains("href=\"#rule-DIV-2\""));
    assert!(html.contains("id=\"rule-DIV-2\""));
    assert!(html.contains("href=\"spec/11-dividends.md\""));
    assert!(html.contains("<p><strong>DIV-2.</strong> Each declared figure MUST equal the recomputed one. They are compared"));
    let d = f.difference().unwrap();
    assert!(html.contains(&format!(">{d:+}<")), "difference {d:+}");
}

#[test]
fn text_from_the_chain_is_escaped() {
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
    let (mut b, commune) = common::small_chain(hostile, 2);
    // a body with an unknown member named like a tag: a COM-1 finding whose
    // field names it
    let (a, _) = (common::key(1), common::key(2));
    let mut body = common::income("p-x", 5, hostile);
    body.insert("<b onmouseover=alert(3)>", Value::Int(1));
    b.push(&common::doc(
        commune,
        Kind::Payment,
        "2025-12-31",
        body,
        &[&a],
    ));
    let o = run(&b.to_bytes(), &Options::default(), 1);
    assert_eq!(o.report.findings.len(), 1, "{:?}", o.report.findings);
    let html = page(&o, hostile);
    assert_eq!(requests(&html), Vec::<String>::new());
    assert!(!html.contains("<b onmouseover"));
    assert!(html.contains(&escape(hostile)));
    let field = o.report.findings[0].field.as_deref().unwrap();
    assert!(field.contains("<b onmouseover"), "{field}");
    assert!(html.contains("&lt;b onmouseover=alert(3)&gt;"));
}

#[test]
fn cli_writes_the_library_page() {
    let out = std::env::temp_dir().join(format!("commonstock-html-{}.html", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_commonstock"))
        .args(["audit", "--html"])
        .arg(&out)
        .args(["--spec-base", "https://example.org/spec/", EXAMPLE])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0));
    let written = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    let o = run(&std::fs::read(EXAMPLE).unwrap(), &Options::default(), 0);
    let want = Html {
        report: &o.report,
        state: &o.state,
        cash: &o.cash,
        source: EXAMPLE,
        spec_base: "https://example.org/spec/",
    }
    .page();
    assert!(written == want, "the CLI's page differs from the library's");
    // the summary is still printed
    assert!(String::from_utf8_lossy(&status.stdout).starts_with("valid: "));
}

#[test]
fn cli_progress_ends_at_the_whole_file() {
    let out = Command::new(env!("CARGO_BIN_EXE_commonstock"))
        .args(["audit", "--progress", EXAMPLE])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    let size = std::fs::metadata(EXAMPLE).unwrap().len();
    let o = run(&std::fs::read(EXAMPLE).unwrap(), &Options::default(), 0);
    let last = format!(
        "{} entries, {size} of {size} bytes (100%)\n",
        o.report.entries
    );
    assert!(err.ends_with(&last), "{err:?}");
}
