//! Frame-sized buffers kept from one render to the next.
//!
//! A render needs several buffers the size of its frame (the source tile, the tensor, the model's
//! answer in RGBA, the blended output): 130 MB at 1920x1080, 530 MB at 3840x2160. Allocations that large
//! are fresh `mmap`s, whose every 4 KiB page faults when first written, and the faults cost more than
//! the passes that fill them (measured on a 2-core VM: 200,000 faults and ~40% of the pipeline's time
//! per 4K frame). Buffers handed back here are reused by the next render (or tile), whose pages are then
//! already mapped.
//!
//! The pool is process-wide (hosts create instances per frame, MLT for one) and bounded: it keeps at
//! most `ONNXFX_BUFFER_POOL_MB` (default 1024 MiB) of idle buffers, the largest dropped first. A buffer
//! comes back with its old contents: a caller that needs zeros writes them.

use std::sync::{Mutex, PoisonError};

static POOL: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

/// Most idle buffers kept, whatever their size: a frame uses about four at once.
const MAX_BUFFERS: usize = 8;

/// Bytes of idle buffers the pool keeps: `ONNXFX_BUFFER_POOL_MB`, default 1024 MiB (0 disables it).
fn budget_bytes() -> usize {
    let megabytes = std::env::var("ONNXFX_BUFFER_POOL_MB")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok());
    megabytes.unwrap_or(1024).saturating_mul(1024 * 1024)
}

fn bytes(v: &Vec<f32>) -> usize {
    v.capacity() * std::mem::size_of::<f32>()
}

/// A buffer of exactly `len` values: an idle one whose capacity fits (the smallest such; its values are
/// whatever it held), else a new one of zeros.
pub fn take(len: usize) -> Vec<f32> {
    let found = {
        let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
        let best = pool
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= len)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i);
        best.map(|i| pool.swap_remove(i))
    };
    match found {
        Some(mut v) => {
            if v.len() >= len {
                v.truncate(len);
            } else {
                v.resize(len, 0.0);
            }
            v
        }
        None => vec![0.0; len],
    }
}

/// [`take`], zeroed.
pub fn take_zeroed(len: usize) -> Vec<f32> {
    let mut v = take(len);
    v.fill(0.0);
    v
}

/// Hands a buffer back for later renders; it is dropped when the pool is full.
pub fn give(v: Vec<f32>) {
    if v.capacity() == 0 {
        return;
    }
    let budget = budget_bytes();
    let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    pool.push(v);
    // Over the budget or the count: drop the largest first (the pool keeps the most buffers it can).
    while pool.len() > MAX_BUFFERS || pool.iter().map(bytes).sum::<usize>() > budget {
        let Some((largest, _)) = pool.iter().enumerate().max_by_key(|(_, v)| v.capacity()) else {
            break;
        };
        pool.swap_remove(largest);
    }
}

/// Bytes of idle buffers held, for tests and diagnostics.
pub fn idle_bytes() -> usize {
    POOL.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(bytes)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_with_the_asked_length_and_the_pool_stays_bounded() {
        let v = take(1000);
        assert_eq!(v.len(), 1000);
        give(v);
        let again = take(10);
        assert_eq!(again.len(), 10);
        assert!(again.capacity() >= 10);
        give(again);
        assert!(take_zeroed(500).iter().all(|x| *x == 0.0));
        for _ in 0..3 * MAX_BUFFERS {
            give(vec![1.0; 16]);
        }
        assert!(POOL.lock().unwrap().len() <= MAX_BUFFERS);
    }
}
