//! Work shared among threads: a large catalogue is listed, read and compiled on every core.
//! One small pool for all three, so that order, chunking and panics are handled once.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads to share `items` independent small jobs (files) among: one for a small
/// folder (a thread costs more than a few hundred small files), else one per core, with at
/// least 256 items each.
pub fn threads_for(items: usize) -> usize {
    const MIN_SLICE: usize = 256;
    if items <= MIN_SLICE {
        return 1;
    }
    cores().min(items.div_ceil(MIN_SLICE)).max(1)
}

/// The cores this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// `f` of each `chunk`-sized slice of `items`, in the slices' order, on up to `threads`
/// threads (this one too). Each thread takes the next slice as it finishes one, so that a
/// thread the system holds back does not hold the rest back. A panic in `f` is the caller's.
pub fn map_chunks<T, R, F>(items: &[T], chunk: usize, threads: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let chunks: Vec<&[T]> = items.chunks(chunk.max(1)).collect();
    let threads = threads.clamp(1, chunks.len().max(1));
    if threads == 1 {
        return chunks.into_iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let take = || {
        let mut done = Vec::new();
        loop {
            let at = next.fetch_add(1, Ordering::Relaxed);
            let Some(slice) = chunks.get(at) else {
                return done;
            };
            done.push((at, f(slice)));
        }
    };
    let mut numbered: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads).map(|_| scope.spawn(take)).collect();
        let mut numbered = take();
        for w in workers {
            numbered.extend(w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        numbered
    });
    numbered.sort_unstable_by_key(|(at, _)| *at);
    numbered.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the threads and chunks, every item is mapped once and the results keep the
    /// items' order.
    #[test]
    fn chunks_are_mapped_once_each_in_order() {
        let items: Vec<usize> = (0..1000).collect();
        for (chunk, threads) in [(1, 1), (7, 2), (128, 4), (1000, 3), (5000, 8), (0, 2)] {
            let sums = map_chunks(&items, chunk, threads, |s: &[usize]| s.to_vec());
            assert_eq!(sums.concat(), items, "{chunk} {threads}");
        }
        assert!(map_chunks(&[] as &[u8], 4, 4, <[u8]>::len).is_empty());
    }
}
