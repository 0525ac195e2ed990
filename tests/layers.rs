//! The crate's architecture, checked: every file of `src/` imports only
//! from its own layer or the layers below it, and no files import each
//! other round a circle (README "Layout", the crate docs).
//!
//! Imports are read from the source text: every `crate::…` and `super::…`
//! path outside comments, resolved to the file that defines the module it
//! names. The binary (`src/cli/`) reaches the library as `commonstock::…`,
//! which is the top layer importing everything below, so only its own
//! files are checked for circles.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom up. A file of layer `i` may import layers `0..=i`.
const LAYERS: &[&str] = &[
    "protocol",
    "commune",
    "audit",
    "report",
    "tools",
    "conformance",
];

/// Leaf modules outside the layers: they import nothing of the crate, and
/// every layer may use them.
const LEAVES: &[&str] = &["atomic.rs"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The file's path relative to `src/`, with `/` separators.
fn rel(p: &Path) -> String {
    p.strip_prefix(src())
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

/// The module path of a file: `protocol/chain.rs` → `[protocol, chain]`,
/// `commune/mod.rs` → `[commune]`, `lib.rs` → `[]`.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The source without comments (line comments, doc comments, block
/// comments) and without string literals, so prose and messages that name
/// a module are not imports.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') {
            // a char literal such as '"' or '\n' (not a lifetime)
            let end = b[i + 1..]
                .iter()
                .position(|&c| c == b'\'')
                .map_or(b.len(), |p| i + 2 + p);
            i = end.max(i + 3);
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The code without its `#[cfg(test)]` modules: tests may import anything,
/// and an inline module would change what `super` means.
fn without_test_modules(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find('{') else {
            rest = "";
            break;
        };
        let is_mod = after[..open].contains("mod ");
        if !is_mod {
            out.push_str("#[cfg(test)]");
            rest = &after["#[cfg(test)]".len()..];
            continue;
        }
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every module path the code names through `crate::` or `super::`, braces
/// expanded (`crate::protocol::{b64, sig}` → two paths).
fn imported_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (start, prefix) in [("crate::", None), ("super::", Some(()))] {
        let mut from = 0;
        while let Some(pos) = code[from..].find(start) {
            let at = from + pos;
            from = at + start.len();
            // `$crate::` in a macro is the crate too; skip identifiers that
            // merely end in "crate" or "super".
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let base: Vec<String> = if prefix.is_some() {
                // `super` is the parent module: of `a/b.rs` (module a::b)
                // it is `a`, of `a/mod.rs` (module a) the crate root.
                let mut m = module.to_vec();
                m.pop();
                m
            } else {
                Vec::new()
            };
            for tail in expand(&code[from..]) {
                let mut p = base.clone();
                p.extend(tail);
                out.push(p);
            }
        }
    }
    out
}

/// The path segments after a `crate::`, with one level of braces expanded.
fn expand(rest: &str) -> Vec<Vec<String>> {
    let ident = |s: &str| -> (String, usize) {
        let n = s
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(s.len(), |(i, _)| i);
        (s[..n].to_string(), n)
    };
    let mut segs = Vec::new();
    let mut s = rest;
    loop {
        if let Some(inner) = s.strip_prefix('{') {
            let end = inner.find('}').unwrap_or(inner.len());
            return inner[..end]
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|item| {
                    let mut p = segs.clone();
                    for part in item.split("::") {
                        let (id, _) = ident(part.trim());
                        if !id.is_empty() && id != "self" && id != "*" {
                            p.push(id);
                        }
                    }
                    p
                })
                .collect();
        }
        let (id, n) = ident(s);
        if id.is_empty() {
            break;
        }
        segs.push(id);
        s = &s[n..];
        match s.strip_prefix("::") {
            Some(r) => s = r,
            None => break,
        }
    }
    vec![segs]
}

/// The modules a file declares with `mod NAME;` (any visibility).
fn declared_children(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_suffix(';')?;
            let name = rest.rsplit("mod ").next()?;
            (rest.ends_with(&format!("mod {name}"))
                && name.chars().all(|c| c.is_alphanumeric() || c == '_'))
            .then(|| name.to_string())
        })
        .collect()
}

/// Whether the code uses a path through its child module `name`
/// (`name::item`, not `other::name::item`).
fn names_child(code: &str, name: &str) -> bool {
    let pat = format!("{name}::");
    code.match_indices(&pat).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
    })
}

/// The file that defines the longest prefix of `path` that is a module.
fn resolve(path: &[String], files: &BTreeMap<Vec<String>, String>) -> Option<String> {
    (0..=path.len())
        .rev()
        .find_map(|n| files.get(&path[..n].to_vec()).cloned())
}

/// The layer index of a file, or `None` for the crate root, leaves and the
/// binary.
fn layer(rel: &str) -> Option<usize> {
    let top = rel.split('/').next().unwrap();
    LAYERS.iter().position(|l| *l == top)
}

struct Graph {
    /// file → files it imports (other than itself)
    edges: BTreeMap<String, BTreeSet<String>>,
}

fn graph(dir: &Path, library: bool) -> Graph {
    let mut paths = Vec::new();
    rust_files(dir, &mut paths);
    let rels: Vec<String> = paths.iter().map(|p| rel(p)).collect();
    // The binary's modules are rooted at src/cli/main.rs.
    let module = |r: &str| -> Vec<String> {
        if library {
            module_of(r)
        } else {
            let inner = r.strip_prefix("cli/").unwrap();
            if inner == "main.rs" {
                Vec::new()
            } else {
                module_of(inner)
            }
        }
    };
    let files: BTreeMap<Vec<String>, String> =
        rels.iter().map(|r| (module(r), r.clone())).collect();
    let mut edges = BTreeMap::new();
    for (p, r) in paths.iter().zip(&rels) {
        let code = without_test_modules(&code_only(&fs::read_to_string(p).unwrap()));
        let m = module(r);
        let mut to = BTreeSet::new();
        // A parent names its child modules without `crate::`: `child::item`.
        for child in declared_children(&code) {
            let mut path = m.clone();
            path.push(child.clone());
            if let Some(f) = files.get(&path)
                && names_child(&code, &child)
            {
                to.insert(f.clone());
            }
        }
        for path in imported_paths(&code, &m) {
            if let Some(f) = resolve(&path, &files)
                && &f != r
            {
                to.insert(f);
            }
        }
        edges.insert(r.clone(), to);
    }
    Graph { edges }
}

/// The library's files (the crate root, a facade of re-exports, is left
/// out: `every_import_points_down` refuses imports through it).
fn library_graph() -> Graph {
    let g = graph(&src(), true);
    Graph {
        edges: g
            .edges
            .into_iter()
            .filter(|(f, _)| !f.starts_with("cli/") && f != "lib.rs")
            .map(|(f, tos)| (f, tos.into_iter().filter(|t| t != "lib.rs").collect()))
            .collect(),
    }
}

/// A circle of imports, if there is one (depth-first search in file order).
fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(
        f: &str,
        g: &Graph,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(f.to_string(), 1);
        stack.push(f.to_string());
        for t in g.edges.get(f).into_iter().flatten() {
            match state.get(t.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|s| s == t).unwrap();
                    let mut c = stack[at..].to_vec();
                    c.push(t.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(t, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(f.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for f in g.edges.keys() {
        if state.get(f.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(f, g, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

/// The imports of `g` that point up a layer, or go through the crate
/// root's flat re-exports, or leave a leaf.
fn upward(g: &Graph) -> Vec<String> {
    let mut wrong = Vec::new();
    for (from, tos) in &g.edges {
        if LEAVES.contains(&from.as_str()) {
            for t in tos {
                wrong.push(format!(
                    "{from} → {t} (a leaf imports nothing of the crate)"
                ));
            }
            continue;
        }
        let Some(l) = layer(from) else { continue };
        for t in tos {
            if LEAVES.contains(&t.as_str()) {
                continue;
            }
            if t == "lib.rs" {
                wrong.push(format!(
                    "{from} → a flat re-export of lib.rs: import by layer"
                ));
                continue;
            }
            match layer(t) {
                Some(m) if m <= l => {}
                _ => wrong.push(format!("{from} → {t}")),
            }
        }
    }
    wrong
}

#[test]
fn every_import_points_down() {
    let all = graph(&src(), true);
    let g = Graph {
        edges: all
            .edges
            .into_iter()
            .filter(|(f, _)| !f.starts_with("cli/") && f != "lib.rs")
            .collect(),
    };
    let wrong = upward(&g);
    assert!(
        wrong.is_empty(),
        "imports pointing up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_import_circles_between_files() {
    let lib = library_graph();
    if let Some(c) = find_cycle(&lib) {
        panic!("import circle: {}", c.join(" → "));
    }
    let bin = graph(&src().join("cli"), false);
    if let Some(c) = find_cycle(&bin) {
        panic!("import circle in the binary: {}", c.join(" → "));
    }
}

#[test]
fn no_import_circles_between_folders() {
    let lib = library_graph();
    let folder = |f: &str| f.split('/').next().unwrap().to_string();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in &lib.edges {
        let e = edges.entry(folder(from)).or_default();
        for t in tos {
            if folder(t) != folder(from) {
                e.insert(folder(t));
            }
        }
    }
    if let Some(c) = find_cycle(&Graph { edges }) {
        panic!("folders importing each other: {}", c.join(" → "));
    }
}

/// The checker itself must see imports: a file known to import another is
/// found to, so the tests above cannot pass by seeing nothing.
#[test]
fn the_checker_sees_known_imports() {
    let g = library_graph();
    let chain = &g.edges["protocol/chain.rs"];
    assert!(chain.contains("protocol/document.rs"), "{chain:?}");
    assert!(chain.contains("protocol/persist.rs"), "{chain:?}");
    let commune = &g.edges["commune/mod.rs"];
    assert!(commune.contains("commune/dividend.rs"), "{commune:?}");
    let audit = &g.edges["audit/mod.rs"];
    assert!(audit.contains("protocol/sig.rs"), "{audit:?}");
    let saved = &g.edges["commune/saved.rs"];
    assert!(saved.contains("commune/mod.rs"), "{saved:?}");
    // An upward import and a circle are caught.
    let mut bad = Graph {
        edges: BTreeMap::new(),
    };
    bad.edges.insert("a.rs".into(), ["b.rs".to_string()].into());
    bad.edges.insert("b.rs".into(), ["a.rs".to_string()].into());
    assert!(find_cycle(&bad).is_some());
    let mut up = Graph {
        edges: BTreeMap::new(),
    };
    up.edges.insert(
        "protocol/chain.rs".into(),
        ["audit/mod.rs".to_string()].into(),
    );
    up.edges.insert(
        "audit/mod.rs".into(),
        ["lib.rs".to_string(), "protocol/chain.rs".to_string()].into(),
    );
    assert_eq!(upward(&up).len(), 2, "{:?}", upward(&up));
    assert_eq!(
        expand("protocol::{b64, sig::Key};"),
        vec![
            vec!["protocol".to_string(), "b64".into()],
            vec!["protocol".to_string(), "sig".into(), "Key".into()]
        ]
    );
}
