//! The global allocator: mimalloc, called directly.
//!
//! - Allocations with the alignment every mimalloc block has (a word)
//!   call `mi_malloc`/`mi_realloc`/`mi_zalloc`; only larger alignments
//!   take the `_aligned` entry points, which cost about twice as many
//!   instructions (the `mimalloc` crate sends every allocation there:
//!   6 % of a scan's instructions).
//! - Options are set before mimalloc initializes (`.preinit_array`, which
//!   the dynamic loader runs before any constructor of the executable;
//!   Rust's runtime allocates during start-up, before `main`).

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

/// The alignment of every mimalloc block: blocks are whole words, and
/// pages start word-aligned (16 bytes, in fact).
const WORD: usize = std::mem::size_of::<usize>();

pub struct MiMalloc;

// SAFETY: each method forwards to the mimalloc function with the same
// contract; the unaligned entry points are used only when `layout`'s
// alignment is at most a word, which every mimalloc block has.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if layout.align() <= WORD {
                mi_malloc(layout.size()) as *mut u8
            } else {
                mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if layout.align() <= WORD {
                mi_zalloc(layout.size()) as *mut u8
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        unsafe { mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe {
            if layout.align() <= WORD {
                mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

/// Options for a short-lived command-line process, set before mimalloc
/// initializes (docs/performance.md, "Scan", third pass):
///
/// - `arena_eager_commit = 2`: commit each arena when it is reserved
///   (memory the kernel backs only when touched) instead of 64 KiB at a
///   time, one `mprotect` each: 40 system calls less in a scan. `2` means
///   only where the kernel overcommits (Linux's default); with strict
///   accounting (`vm.overcommit_memory = 2`) a committed arena would count
///   in full, so mimalloc commits on demand there.
/// - `allow_thp = 0`: no transparent huge pages for this process
///   (`PR_SET_THP_DISABLE`, inherited by the package managers it runs).
///   With eagerly committed arenas and THP in `madvise` mode, every arena
///   touched cost a 2 MiB page: a scan of a 1,000-crate Cargo.lock peaked
///   at 32 MB instead of 16 MB.
/// - `purge_delay = -1`: freed memory is kept for reuse, never returned to
///   the kernel: no `madvise` at all, where a scan made 40 of them at
///   exit, to give back memory the kernel frees at exit anyway. Peak
///   memory, what users see, is unchanged (a 50,000-package scan: 98.6 MB
///   either way).
/// - `arena_reserve = 32 MiB` (mimalloc's smallest arena) instead of 1 GiB:
///   an arena's bitmaps (which slices are free, committed, abandoned per
///   size class) are sized for the arena and written when it is reserved,
///   ~40 fresh pages for 1 GiB, a few for 32 MiB. Larger needs get more
///   arenas, which mimalloc doubles in size every eighth one.
/// - glibc's `malloc` (SQLite's allocator) uses one arena for all threads.
///
/// The options' numbers are read from the `mimalloc.h` the library was
/// built from (`build.rs`), so a mimalloc update cannot silently set the
/// wrong option.
#[cfg(target_os = "linux")]
mod options {
    use std::ffi::{c_char, c_int, c_long};

    include!(concat!(env!("OUT_DIR"), "/mi_options.rs"));

    unsafe extern "C" {
        /// `mi_option_set` from the mimalloc library linked by `libmimalloc-sys`.
        fn mi_option_set(option: c_int, value: c_long);
    }

    #[cfg(target_env = "gnu")]
    unsafe extern "C" {
        /// glibc's `mallopt` (`malloc.h`).
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }

    /// `M_ARENA_MAX` in glibc's `malloc.h`.
    #[cfg(target_env = "gnu")]
    const M_ARENA_MAX: c_int = -8;

    /// The first arena's size, in KiB (mimalloc's `MI_ARENA_MIN_SIZE`).
    const ARENA_RESERVE_KIB: c_long = 32 * 1024;

    /// Called by the dynamic loader with `(argc, argv, envp)`.
    extern "C" fn set_options(_: c_int, _: *const *const c_char, _: *const *const c_char) {
        // SAFETY: mi_option_set only stores the value in mimalloc's static
        // option table; it allocates nothing and is valid before mimalloc's
        // own initialization, which keeps options already set (the
        // `MIMALLOC_*` environment variables no longer change these).
        unsafe {
            mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 2);
            mi_option_set(MI_OPTION_ALLOW_THP, 0);
            mi_option_set(MI_OPTION_PURGE_DELAY, -1);
            mi_option_set(MI_OPTION_ARENA_RESERVE, ARENA_RESERVE_KIB);
        }
        // SQLite (bundled, linked by rusqlite) allocates with the C
        // library's malloc. glibc gives every thread that calls it its own
        // arena, grown a page at a time with `mprotect`: a scan that opens
        // its stores on a second thread made ~25 such calls. One arena,
        // grown by `brk` in 128 KiB steps, serves the few threads here.
        // SAFETY: mallopt only sets a tunable of glibc's allocator; no
        // thread exists yet.
        #[cfg(target_env = "gnu")]
        unsafe {
            mallopt(M_ARENA_MAX, 1);
        }
    }

    #[used]
    #[unsafe(link_section = ".preinit_array")]
    static SET_OPTIONS: extern "C" fn(c_int, *const *const c_char, *const *const c_char) =
        set_options;
}
