//! Fan-out over every core: the crate's one way of spreading independent work (decoding,
//! signature batches) over threads. Work is cut into pieces that whichever thread is free
//! takes, the calling one included, so that a thread slowed down by another (a replay, on a
//! machine with few cores) does not leave the others waiting for its share, as equal shares
//! fixed in advance did. `store::pipeline` shares pieces the same way across chunks.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads to run on: the cores this process may use (1 when the OS does not say).
pub(crate) fn threads() -> usize {
    // Asking the OS costs a read of cgroup files on Linux; the answer does not change.
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Maps `f` over `items` on all cores, keeping order, 64 items at a time.
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    // Items taken at a time: small enough to even out, large enough that taking is rare.
    const PIECE_ITEMS: usize = 64;
    parallel_pieces(items, PIECE_ITEMS, |piece| piece.iter().map(&f).collect())
}

/// `f` on pieces of `piece` items of `items` on all cores, and its results in the order of the
/// pieces (`f` gives any number of results per piece). Fewer than two pieces run on this
/// thread.
pub(crate) fn parallel_pieces<T: Sync, R: Send>(
    items: &[T],
    piece: usize,
    f: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    let pieces: Vec<&[T]> = items.chunks(piece.max(1)).collect();
    let threads = threads().min(pieces.len());
    if threads < 2 {
        return pieces.into_iter().flat_map(&f).collect();
    }
    let taken = AtomicUsize::new(0);
    let work = || {
        let mut done: Vec<(usize, Vec<R>)> = Vec::new();
        loop {
            let i = taken.fetch_add(1, Ordering::Relaxed);
            let Some(piece) = pieces.get(i) else {
                return done;
            };
            done.push((i, f(piece)));
        }
    };
    let mut done = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut done = work();
        for h in helpers {
            match h.join() {
                Ok(part) => done.extend(part),
                // A panicking worker is a bug; re-raise it on this thread.
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        done
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    let mut out = Vec::with_capacity(items.len());
    for (_, part) in done {
        out.extend(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_map_keeps_the_order_of_its_items() {
        for n in [0, 1, 63, 64, 65, 1000, 4097] {
            let items: Vec<usize> = (0..n).collect();
            let out = parallel_map(&items, |i| i * 3);
            assert_eq!(out, items.iter().map(|i| i * 3).collect::<Vec<_>>(), "{n}");
        }
        // Slow items, so that every thread takes pieces (quick ones may all be taken by the
        // calling thread before another starts), and their pieces interleave.
        let items: Vec<usize> = (0..2000).collect();
        let out = parallel_map(&items, |i| {
            std::thread::sleep(std::time::Duration::from_micros(20));
            i * 3
        });
        assert_eq!(out, items.iter().map(|i| i * 3).collect::<Vec<_>>());
    }

    #[test]
    fn parallel_pieces_keeps_the_order_of_its_pieces_on_every_thread() {
        let caller = std::thread::current().id();
        let items: Vec<usize> = (0..1000).collect();
        for piece in [0, 1, 7, 512, 1000, 5000] {
            // The threads of this call (each call has its own helpers).
            let ran = std::sync::Mutex::new(std::collections::HashSet::new());
            // Each piece gives its first item, then its length.
            let out = parallel_pieces(&items, piece, |p| {
                std::thread::sleep(std::time::Duration::from_micros(50));
                if let Ok(mut ran) = ran.lock() {
                    ran.insert(std::thread::current().id());
                }
                vec![p.first().copied().unwrap_or(usize::MAX), p.len()]
            });
            let want: Vec<usize> = items
                .chunks(piece.max(1))
                .flat_map(|p| [p[0], p.len()])
                .collect();
            assert_eq!(out, want, "{piece}");
            let ran = ran.into_inner().unwrap();
            assert!(
                ran.contains(&caller),
                "the calling thread takes pieces ({piece})"
            );
            let pieces = items.len().div_ceil(piece.max(1));
            // A thousand pieces of 50 µs (50 ms): time enough for every helper to start and
            // take some even on a loaded machine.
            if pieces >= 1000 {
                assert_eq!(ran.len(), threads(), "every thread took pieces ({piece})");
            } else if pieces == 1 {
                assert_eq!(ran.len(), 1, "one piece runs on the calling thread");
            }
        }
    }
}
