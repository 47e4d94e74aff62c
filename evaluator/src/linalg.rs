//! The little dense linear algebra the fits need: Cholesky factorisation, solves and
//! the inverse of a symmetric positive definite matrix (row-major `n × n`).

/// Factorises `a` in place into its lower Cholesky factor. If rounding leaves the
/// matrix not quite positive definite, retries with a tiny diagonal jitter; returns
/// `false` only when that fails too.
pub(crate) fn cholesky(a: &mut [f64], n: usize) -> bool {
    let original = a.to_vec();
    let scale = (0..n)
        .map(|i| original[i * n + i].abs())
        .fold(0.0, f64::max)
        .max(1e-300);
    for attempt in 0..4 {
        if attempt > 0 {
            a.copy_from_slice(&original);
            let jitter = scale * 1e-12 * 100f64.powi(attempt);
            for i in 0..n {
                a[i * n + i] += jitter;
            }
        }
        if cholesky_once(a, n) {
            return true;
        }
    }
    false
}

fn cholesky_once(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let (head, tail) = a.split_at_mut(j * n + n);
        let row_j = &mut head[j * n..j * n + n];
        let d = row_j[j] - dot(&row_j[..j], &row_j[..j]);
        if d <= 0.0 || !d.is_finite() {
            return false;
        }
        let ljj = d.sqrt();
        row_j[j] = ljj;
        for i in (j + 1)..n {
            let row_i = &mut tail[(i - j - 1) * n..(i - j) * n];
            row_i[j] = (row_i[j] - dot(&row_i[..j], &row_j[..j])) / ljj;
        }
    }
    // Clear the upper triangle so the factor can be read as a plain matrix.
    for i in 0..n {
        for k in (i + 1)..n {
            a[i * n + k] = 0.0;
        }
    }
    true
}

/// Adds `w·(eᵢ − eⱼ)(eᵢ − eⱼ)ᵀ` to the `n × n` matrix `a`: one pair's term of a
/// Bradley–Terry Hessian.
pub(crate) fn add_pair_term(a: &mut [f64], n: usize, i: usize, j: usize, w: f64) {
    a[i * n + i] += w;
    a[j * n + j] += w;
    a[i * n + j] -= w;
    a[j * n + i] -= w;
}

pub(crate) fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// Solves `L Lᵀ x = b` in place, `l` from [`cholesky`].
pub(crate) fn solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let row = &l[i * n..i * n + i];
        b[i] = (b[i] - dot(row, &b[..i])) / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in (i + 1)..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// The inverse of the matrix whose Cholesky factor is `l` (row-major, symmetric).
pub(crate) fn inverse(l: &[f64], n: usize) -> Vec<f64> {
    let mut inv = vec![0.0; n * n];
    let mut col = vec![0.0; n];
    for c in 0..n {
        col.iter_mut().for_each(|x| *x = 0.0);
        col[c] = 1.0;
        solve(l, n, &mut col);
        for r in 0..n {
            inv[r * n + c] = col[r];
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_system_is_solved_and_inverted() {
        let a = [4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let mut l = a;
        assert!(cholesky(&mut l, 3));
        let mut b = [1.0, 2.0, 3.0];
        solve(&l, 3, &mut b);
        for r in 0..3 {
            let back: f64 = (0..3).map(|c| a[r * 3 + c] * b[c]).sum();
            assert!((back - [1.0, 2.0, 3.0][r]).abs() < 1e-12);
        }
        let inv = inverse(&l, 3);
        for r in 0..3 {
            for c in 0..3 {
                let v: f64 = (0..3).map(|k| a[r * 3 + k] * inv[k * 3 + c]).sum();
                assert!((v - if r == c { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn a_singular_matrix_is_refused() {
        let mut a = [1.0, 1.0, 1.0, 1.0];
        assert!(!cholesky_once(&mut a, 2));
        let mut b = [-1.0, 0.0, 0.0, -1.0];
        assert!(!cholesky(&mut b, 2));
    }
}
