//! Removing the temporary output file when SIGINT, SIGTERM or SIGHUP ends the run.
//!
//! A signal kills the process without running destructors, so `tempfile`'s
//! delete-on-drop cannot clean up. While an output is being written, its temporary path is
//! registered here; the handler unlinks it (`unlink` is async-signal-safe), then lets the
//! signal end the process as it would have (`SA_RESETHAND` restored the default action,
//! `raise` delivers the signal again once the handler returns), so the exit status is the
//! usual "killed by signal" (128 + the signal number in a shell). Signals the parent had
//! set to be ignored (`nohup`, background jobs) stay ignored.

#[cfg(unix)]
mod imp {
    use std::ffi::{c_char, c_int, CString};
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    use std::sync::atomic::{AtomicPtr, Ordering};
    use std::sync::Once;

    /// The registered path as a C string, or null. Strings are never freed (a handler in
    /// another thread may be reading one): one small leak per output file.
    static TEMP: AtomicPtr<c_char> = AtomicPtr::new(std::ptr::null_mut());

    const SIGNALS: [c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    extern "C" fn on_signal(sig: c_int) {
        let p = TEMP.load(Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: `p` came from `CString::into_raw` and is never freed, so it is a valid
            // NUL-terminated string; `unlink` is async-signal-safe.
            unsafe {
                libc::unlink(p);
            }
        }
        // SAFETY: `raise` is async-signal-safe. SA_RESETHAND reset the action to the
        // default on entry and the signal is blocked while this handler runs, so it is
        // delivered, with its default action (ending the process), once we return.
        unsafe {
            libc::raise(sig);
        }
    }

    pub fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            for sig in SIGNALS {
                // SAFETY: `sigaction` is given valid pointers to zero-initialised structs
                // (all-zero is a valid `sigaction` value), and the handler installed only
                // calls async-signal-safe functions.
                unsafe {
                    let mut old: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(sig, std::ptr::null(), &mut old) != 0
                        || old.sa_sigaction == libc::SIG_IGN
                    {
                        continue;
                    }
                    let mut new: libc::sigaction = std::mem::zeroed();
                    new.sa_sigaction = on_signal as extern "C" fn(c_int) as libc::sighandler_t;
                    new.sa_flags = libc::SA_RESETHAND;
                    libc::sigemptyset(&mut new.sa_mask);
                    libc::sigaction(sig, &new, std::ptr::null_mut());
                }
            }
        });
    }

    pub fn register(path: &Path) {
        if let Ok(c) = CString::new(path.as_os_str().as_bytes()) {
            TEMP.store(c.into_raw(), Ordering::SeqCst);
        }
    }

    pub fn unregister() {
        TEMP.store(std::ptr::null_mut(), Ordering::SeqCst);
    }
}

#[cfg(not(unix))]
mod imp {
    use std::path::Path;
    pub fn install() {}
    pub fn register(_: &Path) {}
    pub fn unregister() {}
}

/// Installs the handlers (once per process).
pub fn install() {
    imp::install()
}

/// Registers the temporary file `path`, to be removed if a signal ends the run.
pub fn register(path: &std::path::Path) {
    imp::register(path)
}

/// Forgets the registered path (renamed or deleted: nothing to clean up).
pub fn unregister() {
    imp::unregister()
}

/// Calls [`unregister`] when dropped.
pub struct Registered;

impl Drop for Registered {
    fn drop(&mut self) {
        unregister();
    }
}
