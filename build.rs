//! Embeds every rule and runbook file found under `rules/` at build time, so adding a provider
//! is adding files: `rules/<provider>.toml`, `rules/runbooks/<id>.toml`, and the published
//! example digests in `rules/published-examples.toml`.

use std::fmt::Write as _;
use std::path::Path;

fn toml_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    names
}

fn list(out: &mut String, name: &str, dir: &Path, files: &[String]) {
    let _ = writeln!(out, "/// Embedded files: (file name, text).");
    let _ = writeln!(out, "pub const {name}: &[(&str, &str)] = &[");
    for f in files {
        let path = dir.join(f);
        let _ = writeln!(
            out,
            "    ({f:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    let _ = writeln!(out, "];");
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = root.join("rules");
    let runbooks = rules.join("runbooks");
    println!("cargo:rerun-if-changed=rules");
    let published = "published-examples.toml";
    let rule_files: Vec<String> = toml_files(&rules)
        .into_iter()
        .filter(|f| f != published)
        .collect();
    let mut out = String::new();
    list(&mut out, "RULE_FILES", &rules, &rule_files);
    list(&mut out, "RUNBOOK_FILES", &runbooks, &toml_files(&runbooks));
    list(
        &mut out,
        "PUBLISHED_FILES",
        &rules,
        &[published.to_string()],
    );
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin.rs");
    std::fs::write(dest, out).expect("write builtin.rs");
}
