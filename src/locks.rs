//! The crate's locks, with the GIL rules in their types: no Rust lock is
//! waited on with the GIL attached, and no Python runs while one is held
//! (the deadlock of a thread holding the GIL waiting for a lock whose holder
//! waits for the GIL). Every lock in the crate is one of these two:
//!
//! - `WaitLock<T>`: may be held across a libssh2 call, so others may wait for
//!   it. `lock()` is refused (an error, never a hang) on a thread that has
//!   the GIL: only code inside `shutdown::detach`, or threads we start with
//!   `spawn`/`spawn_scoped`, may wait for it. `try_lock()` never waits (for
//!   `Drop`, which may run with the GIL).
//! - `Brief<T>`: a few words of state, reached only through `with(f)`. The
//!   guard never escapes `f`, and `f` is `Ungil`: it cannot hold a `Python`
//!   token or a `Bound` object, so it cannot call into Python.
//!
//! "Has the GIL" is tracked per thread by our own marks (the limited API has
//! no `PyGILState_Check`): a thread is detached inside `shutdown::detach`
//! and in threads we start; `attach` lifts the mark while it runs Python.

use std::cell::Cell;
use std::sync::{Mutex, MutexGuard, PoisonError};

use pyo3::marker::Ungil;
use pyo3::Python;

use crate::error::{Error, Result};

thread_local! {
    /// > 0 while this thread runs without the GIL under our control.
    static DETACHED: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f` marked as detached. Call only where the GIL is not held (inside
/// `py.detach`, or at the top of a thread we started).
pub fn detached<R>(f: impl FnOnce() -> R) -> R {
    struct Unmark;
    impl Drop for Unmark {
        fn drop(&mut self) {
            DETACHED.with(|d| d.set(d.get() - 1));
        }
    }
    DETACHED.with(|d| d.set(d.get() + 1));
    let _unmark = Unmark;
    f()
}

/// Python from detached code (signal checks): the mark is lifted meanwhile.
pub fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    let saved = DETACHED.with(|d| d.replace(0));
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            DETACHED.with(|d| d.set(self.0));
        }
    }
    let _restore = Restore(saved);
    Python::attach(f)
}

fn is_detached() -> bool {
    DETACHED.with(|d| d.get() > 0)
}

fn gil_held() -> Error {
    Error::Ssh("internal error: a ferrosftp lock was waited for with the GIL held".into())
}

/// A thread of ours (never attached unless through `attach`).
pub fn spawn<F, T>(name: &str, f: F) -> std::io::Result<std::thread::JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    std::thread::Builder::new().name(name.into()).spawn(move || detached(f))
}

/// A scoped thread of ours.
pub fn spawn_scoped<'scope, 'env, F, T>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: F,
) -> std::thread::ScopedJoinHandle<'scope, T>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    scope.spawn(move || detached(f))
}

/// A lock that may be held across a libssh2 call (see the module comment).
pub struct WaitLock<T>(Mutex<T>);

impl<T> WaitLock<T> {
    pub const fn new(value: T) -> WaitLock<T> {
        WaitLock(Mutex::new(value))
    }

    /// Wait for the lock; refused on a thread that may hold the GIL.
    pub fn lock(&self) -> Result<MutexGuard<'_, T>> {
        if !is_detached() {
            return Err(gil_held());
        }
        Ok(self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The lock if it is free now; never waits.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// The value, when nobody else can hold the lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A lock on a few words of state (see the module comment).
pub struct Brief<T>(Mutex<T>);

impl<T> Brief<T> {
    pub const fn new(value: T) -> Brief<T> {
        Brief(Mutex::new(value))
    }

    /// `f` on the value, under the lock: no waiting and no Python inside.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R + Ungil) -> R {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The guard itself, for a wait on a condition variable (which lets the
    /// lock go while it sleeps); refused on a thread that may hold the GIL.
    pub fn lock_detached(&self) -> Result<MutexGuard<'_, T>> {
        if !is_detached() {
            return Err(gil_held());
        }
        Ok(self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The value, when nobody else can hold the lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn into_inner(self) -> T {
        self.0.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Send + Sync> Brief<Option<T>> {
    /// Replace the value.
    pub fn set_value(&self, value: T) {
        self.with(|v| *v = Some(value));
    }
}

impl<T: Copy + Send + Sync> Brief<T> {
    pub fn get(&self) -> T {
        self.with(|v| *v)
    }

    pub fn set(&self, value: T) {
        self.with(|v| *v = value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_lock_is_refused_unless_detached() {
        let lock = WaitLock::new(1);
        assert!(lock.lock().is_err(), "a thread not marked may hold the GIL");
        assert_eq!(detached(|| *lock.lock().unwrap()), 1);
        assert!(lock.lock().is_err(), "the mark ends with detached()");
        // never waits, so allowed anywhere
        assert!(lock.try_lock().is_some());
    }

    #[test]
    fn threads_of_ours_are_detached_and_attach_lifts_the_mark() {
        let lock = std::sync::Arc::new(WaitLock::new(()));
        let inner = lock.clone();
        let ok = spawn("test", move || inner.lock().is_ok()).unwrap().join().unwrap();
        assert!(ok);
        std::thread::scope(|scope| {
            assert!(spawn_scoped(scope, || lock.lock().is_ok()).join().unwrap());
        });
        detached(|| {
            let saved = DETACHED.with(|d| d.replace(0)); // as attach() does
            assert!(lock.lock().is_err());
            DETACHED.with(|d| d.set(saved));
            assert!(lock.lock().is_ok());
        });
    }

    #[test]
    fn a_brief_lock_works_anywhere_but_its_guard_only_detached() {
        let brief = Brief::new(Some(2));
        assert_eq!(brief.with(|v| v.take()), Some(2));
        brief.set_value(3);
        assert_eq!(brief.get(), Some(3));
        assert!(brief.lock_detached().is_err());
        assert!(detached(|| brief.lock_detached().is_ok()));
    }
}
