//! A scratch directory for command-line transcripts: the built
//! `commonstock` run in it with a clean environment (no fault injection,
//! colour rules as on a terminal-less run, the cache of audit states kept
//! inside the directory), and the checks every transcript makes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

pub const BIN: &str = env!("CARGO_BIN_EXE_commonstock");

/// A fresh directory, removed when dropped.
pub struct Dir {
    pub path: PathBuf,
}

/// What a command did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub out: String,
    pub err: String,
}

pub fn run_output(o: Output) -> Run {
    Run {
        code: o.status.code(),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

impl Dir {
    /// A new empty directory named after the test `suite` and `name`.
    pub fn new(suite: &str, name: &str) -> Dir {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "cs-{suite}-{}-{name}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Dir { path }
    }

    /// The cache of audit states the commands use.
    pub fn cache(&self) -> PathBuf {
        self.path.join(".cache")
    }

    /// `program` to run in the directory, with the test environment.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.current_dir(&self.path)
            .env_remove("COMMONSTOCK_FAULT")
            .env_remove("NO_COLOR")
            .env_remove("XDG_CACHE_HOME")
            .env("COMMONSTOCK_CACHE", self.cache())
            .stdin(Stdio::null());
        c
    }

    /// `commonstock ARGS…`, not yet run.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.command(BIN);
        c.args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run_output(self.cmd(args).output().unwrap())
    }

    /// `sh ARGS…` with `commonstock` first on PATH.
    pub fn shell(&self, args: &[&str]) -> Run {
        let bin_dir = Path::new(BIN).parent().unwrap();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut c = self.command("sh");
        c.args(args).env("PATH", path);
        run_output(c.output().unwrap())
    }

    /// Runs a step that must succeed; returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, Some(0), "{args:?} failed:\n{}\n{}", r.out, r.err);
        r.out
    }

    /// Runs a step that must fail with `code`, saying `needle` on stderr.
    pub fn fails(&self, args: &[&str], code: i32, needle: &str) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, Some(code), "{args:?}:\n{}\n{}", r.out, r.err);
        assert!(
            r.err.contains(needle),
            "{args:?}: expected {needle:?} in stderr:\n{}",
            r.err
        );
        r
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) {
        fs::write(self.file(name), bytes).unwrap();
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.file(name)).unwrap()
    }

    pub fn text(&self, name: &str) -> String {
        String::from_utf8(self.read(name)).unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}
