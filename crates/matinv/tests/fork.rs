//! A child made by `fork` inherits rayon's pools but not their threads: handing it parallel
//! work would wait forever. matinv must notice the fork and run on the calling thread, also
//! when the pool is rayon's global one started by the program itself and matinv's only
//! call before the fork was too small to ask for threads. The test reruns itself in a
//! child process of its own, so the fork happens in a process whose threads it knows.

#![cfg(unix)]

use matinv::{InvOptions, Request, StackView};
use std::time::{Duration, Instant};

const CHILD: &str = "MATINV_FORK_TEST_CHILD";
const NAME: &str = "a_child_forked_after_a_small_call_does_not_wait_for_lost_threads";

/// `count` diagonally dominant matrices of order `n`.
fn matrices(count: usize, n: usize) -> Vec<f64> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..count * n * n)
        .map(|k| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let diagonal = (k / n) % n == k % n;
            (state >> 11) as f64 / (1u64 << 53) as f64 + if diagonal { n as f64 } else { 0.0 }
        })
        .collect()
}

fn invert(a: &[f64], count: usize, n: usize, threads: usize) -> Vec<f64> {
    let view = StackView::c_contiguous(a, &[count, n, n]).unwrap();
    let mut out = vec![0.0; a.len()];
    matinv::invert(
        Request::new(&view, &mut out).with_options(InvOptions::default().with_num_threads(threads)),
    )
    .unwrap();
    out
}

/// Runs test `name` again in a child process of its own (with `RAYON_NUM_THREADS=2`), so
/// the fork happens in a process whose threads it knows; true in that child.
fn in_own_process(name: &str) -> bool {
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--test-threads=1", "--nocapture"])
        .env(CHILD, "1")
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("forked child inverted"),
        "{stdout}\n{stderr}"
    );
    false
}

/// Forks; the child inverts `a` (`count` matrices of order `n`) on the default threads and
/// must give `expected` within 60 s.
fn fork_and_invert(a: &[f64], count: usize, n: usize, expected: &[f64]) {
    // SAFETY: fork in a process whose other threads are rayon's idle workers; the child
    // calls only matinv (which must not wait for those threads) and `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let same = invert(a, count, n, 0) == expected;
        // SAFETY: ends the child at once, without running the parent's exit handlers.
        unsafe { libc::_exit(if same { 0 } else { 3 }) };
    }
    wait_for(pid);
}

/// Waits for child `pid` (at most 60 s, then kills it and fails); it must exit with 0.
fn wait_for(pid: libc::pid_t) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child, writing its status into `status`.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            break;
        }
        if Instant::now() > deadline {
            // SAFETY: ends our own child, which hung.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the forked child waited for the threads it lost");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(libc::WIFEXITED(status), "child status {status}");
    assert_eq!(libc::WEXITSTATUS(status), 0, "the child's inverses differ");
    println!("forked child inverted");
}

#[test]
fn a_child_forked_after_a_small_call_does_not_wait_for_lost_threads() {
    if !in_own_process(NAME) {
        return;
    }
    // The program's own global pool, threads running.
    rayon::ThreadPoolBuilder::new().build_global().unwrap();
    rayon::join(|| (), || ());
    // matinv's only call before the fork: one 2x2, on the calling thread.
    assert_eq!(
        invert(&[4.0, 0.0, 0.0, 2.0], 1, 2, 0),
        [0.25, 0.0, 0.0, 0.5]
    );
    // Parallel work on the default (global) pool: 4000 8x8 matrices are split into tasks.
    let (count, n) = (4000, 8);
    let a = matrices(count, n);
    let expected = invert(&a, count, n, 1);
    fork_and_invert(&a, count, n, &expected);
}
