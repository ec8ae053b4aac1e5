//! The in-memory sort PostgreSQL's executor uses, so rows that tie on the sort keys come
//! out in the order PostgreSQL gives them.
//!
//! SQL leaves the order of ties unspecified, but applications and tests see it: a
//! `SELECT ... ORDER BY dept` over the same rows in the same input order returns the
//! ties of `dept` in one particular order on PostgreSQL. PostgreSQL sorts in memory with
//! Bentley and McIlroy's quicksort ("Engineering a Sort Function", 1993): insertion
//! sort below 7 elements, a check for already sorted input at every level, a pivot
//! from the median of three (of three medians above 40 elements), three-way
//! partitioning that gathers keys equal to the pivot at both ends and swaps them into
//! the middle, recursion into the smaller side and iteration on the larger one. This
//! is that algorithm; the permutation it produces depends only on the comparison
//! results, so equal inputs give PostgreSQL's tie order. It is not stable.

use std::cmp::Ordering;

/// Sorts `v` by `cmp` the way PostgreSQL's in-memory sort does (see the module docs).
pub fn pg_sort_by<T, F>(v: &mut [T], mut cmp: F)
where
    F: FnMut(&T, &T) -> Ordering,
{
    sort(v, &mut cmp);
}

fn sort<T, F>(mut v: &mut [T], cmp: &mut F)
where
    F: FnMut(&T, &T) -> Ordering,
{
    loop {
        let n = v.len();
        if n < 7 {
            for m in 1..n {
                let mut l = m;
                while l > 0 && cmp(&v[l - 1], &v[l]) == Ordering::Greater {
                    v.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        if (1..n).all(|m| cmp(&v[m - 1], &v[m]) != Ordering::Greater) {
            return;
        }
        let mut m = n / 2;
        if n > 7 {
            let mut l = 0;
            let mut h = n - 1;
            if n > 40 {
                let d = n / 8;
                l = med3(v, l, l + d, l + 2 * d, cmp);
                m = med3(v, m - d, m, m + d, cmp);
                h = med3(v, h - 2 * d, h - d, h, cmp);
            }
            m = med3(v, l, m, h, cmp);
        }
        v.swap(0, m);
        // v[0] is the pivot. Invariant: v[1..a] == pivot, v[a..b] < pivot,
        // v[c+1..=d] > pivot, v[d+1..n] == pivot (indexes as signed to let c reach -1).
        let (mut a, mut b) = (1isize, 1isize);
        let (mut c, mut d) = (n as isize - 1, n as isize - 1);
        loop {
            while b <= c {
                let r = cmp(&v[b as usize], &v[0]);
                if r == Ordering::Greater {
                    break;
                }
                if r == Ordering::Equal {
                    v.swap(a as usize, b as usize);
                    a += 1;
                }
                b += 1;
            }
            while b <= c {
                let r = cmp(&v[c as usize], &v[0]);
                if r == Ordering::Less {
                    break;
                }
                if r == Ordering::Equal {
                    v.swap(c as usize, d as usize);
                    d -= 1;
                }
                c -= 1;
            }
            if b > c {
                break;
            }
            v.swap(b as usize, c as usize);
            b += 1;
            c -= 1;
        }
        let end = n as isize;
        let s = a.min(b - a);
        swap_blocks(v, 0, (b - s) as usize, s as usize);
        let s = (d - c).min(end - d - 1);
        swap_blocks(v, b as usize, (end - s) as usize, s as usize);
        let less = (b - a) as usize;
        let greater = (d - c) as usize;
        let tail = v;
        if less <= greater {
            let (low, rest) = tail.split_at_mut(less);
            if less > 1 {
                sort(low, cmp);
            }
            if greater <= 1 {
                return;
            }
            let at = rest.len() - greater;
            v = &mut rest[at..];
        } else {
            let at = tail.len() - greater;
            let (low, high) = tail.split_at_mut(at);
            if greater > 1 {
                sort(high, cmp);
            }
            if less <= 1 {
                return;
            }
            v = &mut low[..less];
        }
    }
}

/// The index of the median of `v[i]`, `v[j]`, `v[k]`.
fn med3<T, F>(v: &[T], i: usize, j: usize, k: usize, cmp: &mut F) -> usize
where
    F: FnMut(&T, &T) -> Ordering,
{
    let lt = |x: &T, y: &T, cmp: &mut F| cmp(x, y) == Ordering::Less;
    let gt = |x: &T, y: &T, cmp: &mut F| cmp(x, y) == Ordering::Greater;
    if lt(&v[i], &v[j], cmp) {
        if lt(&v[j], &v[k], cmp) {
            j
        } else if lt(&v[i], &v[k], cmp) {
            k
        } else {
            i
        }
    } else if gt(&v[j], &v[k], cmp) {
        j
    } else if lt(&v[i], &v[k], cmp) {
        i
    } else {
        k
    }
}

/// Swaps the `n` elements at `i` with the `n` elements at `j` (the ranges do not overlap).
fn swap_blocks<T>(v: &mut [T], i: usize, j: usize, n: usize) {
    for t in 0..n {
        v.swap(i + t, j + t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (department, employee) in insertion order, as in PostgreSQL's window tests.
    const STAFF: [(&str, i32, i32); 10] = [
        ("develop", 10, 5200),
        ("sales", 1, 5000),
        ("personnel", 5, 3500),
        ("sales", 4, 4800),
        ("personnel", 2, 3900),
        ("develop", 7, 4200),
        ("develop", 9, 4500),
        ("sales", 3, 4800),
        ("develop", 8, 6000),
        ("develop", 11, 5200),
    ];

    #[test]
    fn ties_come_out_in_postgres_order() {
        // PostgreSQL 15: SELECT ... FROM empsalary ORDER BY depname.
        let mut v = STAFF.to_vec();
        pg_sort_by(&mut v, |a, b| a.0.cmp(b.0));
        let ids: Vec<i32> = v.iter().map(|r| r.1).collect();
        assert_eq!(ids, [11, 7, 9, 8, 10, 5, 2, 3, 1, 4]);
        // ... ORDER BY depname, salary.
        let mut v = STAFF.to_vec();
        pg_sort_by(&mut v, |a, b| a.0.cmp(b.0).then(a.2.cmp(&b.2)));
        let ids: Vec<i32> = v.iter().map(|r| r.1).collect();
        assert_eq!(ids, [7, 9, 11, 10, 8, 5, 2, 3, 4, 1]);
    }

    #[test]
    fn sorts_like_a_sort() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for n in [0usize, 1, 2, 6, 7, 8, 40, 41, 100, 1000, 5000] {
            for modulo in [2u64, 17, 1 << 40] {
                let mut v: Vec<(u64, usize)> = (0..n)
                    .map(|i| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        (seed % modulo, i)
                    })
                    .collect();
                let mut want: Vec<u64> = v.iter().map(|x| x.0).collect();
                want.sort_unstable();
                pg_sort_by(&mut v, |a, b| a.0.cmp(&b.0));
                let got: Vec<u64> = v.iter().map(|x| x.0).collect();
                assert_eq!(got, want, "n = {n}, modulo = {modulo}");
                let mut ids: Vec<usize> = v.iter().map(|x| x.1).collect();
                ids.sort_unstable();
                assert!(ids.iter().enumerate().all(|(i, x)| i == *x), "a permutation");
            }
        }
        // Sorted, reversed and constant inputs.
        let mut v: Vec<i32> = (0..1000).rev().collect();
        pg_sort_by(&mut v, |a, b| a.cmp(b));
        assert!(v.windows(2).all(|w| w[0] <= w[1]));
        let mut v = vec![3; 500];
        pg_sort_by(&mut v, |a, b| a.cmp(b));
        assert_eq!(v, vec![3; 500]);
    }
}
