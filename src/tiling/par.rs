//! Splitting one whole-frame pass over the cores: contiguous chunks of a slice, one scoped thread each.
//!
//! The per-frame passes (colour, premultiplication, sanitising, blending) touch every value of a 4K or 8K
//! frame (133 MB / 531 MB of RGBA `f32`); one core does not saturate memory bandwidth on them. Threads are
//! plain `std::thread::scope` threads: no pool to configure, nothing left running between renders.

use std::thread;

/// Values below which a chunk is not worth a thread: spawning and joining costs some 10-50 µs, about what
/// one core needs for this many values of the cheapest pass.
pub const MIN_CHUNK: usize = 1 << 17;

/// Threads the passes use: the machine's available parallelism. Hosts that render several frames at once
/// oversubscribe briefly; the passes are short next to the model's run.
pub fn threads() -> usize {
    thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Calls `f(offset, chunk)` on disjoint contiguous chunks of `data` that together cover it, in parallel
/// when `data` is large. Every chunk but the last holds a multiple of `align` values (so a chunk can be
/// made of whole rows); `offset` is the chunk's start in `data`.
pub fn for_each_chunk<T, F>(data: &mut [T], align: usize, f: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Sync,
{
    map_chunks(data, align, f, |(), ()| ());
}

/// [`for_each_chunk`], combining what the calls return with `combine` (in chunk order).
pub fn map_chunks<T, R, F>(data: &mut [T], align: usize, f: F, combine: impl Fn(R, R) -> R) -> R
where
    T: Send,
    R: Send,
    F: Fn(usize, &mut [T]) -> R + Sync,
{
    let len = data.len();
    let align = align.max(1);
    let parts = threads().min(len / MIN_CHUNK).max(1);
    if parts == 1 {
        return f(0, data);
    }
    // Round each chunk up to whole `align` units so that only the last one is ragged.
    let chunk = len.div_ceil(align).div_ceil(parts) * align;
    let f = &f;
    thread::scope(|scope| {
        let mut chunks = data.chunks_mut(chunk).enumerate();
        // The calling thread takes the first chunk instead of waiting idle.
        let first = chunks.next();
        let handles: Vec<_> = chunks
            .map(|(i, c)| scope.spawn(move || f(i * chunk, c)))
            .collect();
        let mine = first.map(|(_, c)| f(0, c));
        handles
            .into_iter()
            // A panicking pass is a bug: hand the panic on to the caller (and its barrier).
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .fold(mine, |acc, r| {
                Some(match acc {
                    Some(a) => combine(a, r),
                    None => r,
                })
            })
            .unwrap_or_else(|| f(0, &mut []))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_slice_once_and_keep_alignment() {
        for len in [
            0,
            1,
            7,
            MIN_CHUNK - 1,
            MIN_CHUNK * 2 + 3,
            MIN_CHUNK * 5 + 17,
        ] {
            let mut data = vec![0u32; len];
            let calls = map_chunks(
                &mut data,
                7,
                |offset, chunk| {
                    for (i, v) in chunk.iter_mut().enumerate() {
                        *v += u32::try_from(offset + i).unwrap() + 1;
                    }
                    assert!(offset % 7 == 0);
                    1usize
                },
                |a, b| a + b,
            );
            assert!(calls >= 1);
            assert!(data.iter().enumerate().all(|(i, v)| *v as usize == i + 1));
        }
    }
}
