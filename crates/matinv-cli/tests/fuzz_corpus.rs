//! Replays the fuzz corpus (`fuzz/corpus/TARGET/`) and the inputs that once crashed a
//! reader (`tests/fuzz_regressions/TARGET/`) through the same checks as the fuzz targets,
//! so the normal (stable) test run keeps them fixed without cargo-fuzz or nightly.

use matinv_cli::formats::{read, Format};
use matinv_cli::output::serialize;
use std::fs;
use std::path::Path;

fn formats(target: &str) -> &'static [Format] {
    match target {
        "npy" => &[Format::Npy],
        "npz" => &[Format::Npz],
        "mtx" => &[Format::Mtx],
        "text" => &[Format::Csv, Format::Txt],
        other => panic!("unknown fuzz target directory {other}"),
    }
}

/// What every fuzz target checks: Ok or Err, no panic; text reads back what it wrote.
fn check(target: &str, data: &[u8]) {
    for &f in formats(target) {
        if let Ok(arrays) = read(data, f) {
            let out = serialize(
                &arrays,
                if target == "text" { f } else { Format::Npz },
                None,
            )
            .expect("serialize");
            if target == "text" {
                assert_eq!(read(&out, f).expect("read back"), arrays);
            }
        }
    }
}

fn replay(dir: &Path) -> usize {
    let mut n = 0;
    let Ok(targets) = fs::read_dir(dir) else {
        return 0;
    };
    for t in targets {
        let t = t.unwrap();
        let target = t.file_name().into_string().unwrap();
        for f in fs::read_dir(t.path()).unwrap() {
            let path = f.unwrap().path();
            let data = fs::read(&path).unwrap();
            let r = std::panic::catch_unwind(|| check(&target, &data));
            assert!(r.is_ok(), "{} panicked", path.display());
            n += 1;
        }
    }
    n
}

#[test]
fn corpus_and_regressions_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = replay(&root.join("fuzz/corpus"));
    let regressions = replay(&root.join("tests/fuzz_regressions"));
    assert!(corpus > 50, "the corpus is missing ({corpus} files)");
    eprintln!("replayed {corpus} corpus files and {regressions} regression inputs");
}
