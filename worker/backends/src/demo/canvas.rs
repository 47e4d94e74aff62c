//! A small anti-aliased software rasteriser: shapes are signed distance functions
//! filled over their bounding box, so every edge gets one pixel of coverage
//! blending and soft shadows are the same shapes with a wider feather.

use image::RgbImage;

use super::color::{Rgb, rgb};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct V2 {
    pub x: f32,
    pub y: f32,
}

pub(crate) const fn v2(x: f32, y: f32) -> V2 {
    V2 { x, y }
}

impl V2 {
    pub fn sub(self, o: V2) -> V2 {
        v2(self.x - o.x, self.y - o.y)
    }
    fn dot(self, o: V2) -> f32 {
        self.x * o.x + self.y * o.y
    }
    pub fn len(self) -> f32 {
        self.dot(self).sqrt()
    }
    /// Rotates by `-angle` about `c`, i.e. into the frame of a shape rotated by `angle`.
    fn unrotate(self, c: V2, angle: f32) -> V2 {
        let d = self.sub(c);
        let (s, co) = angle.sin_cos();
        v2(d.x * co + d.y * s, -d.x * s + d.y * co)
    }
}

/// A fillable shape in pixel coordinates.
#[derive(Clone, Debug)]
pub(crate) enum Shape {
    Circle {
        c: V2,
        r: f32,
    },
    Ellipse {
        c: V2,
        rx: f32,
        ry: f32,
        angle: f32,
    },
    Rect {
        c: V2,
        hw: f32,
        hh: f32,
        radius: f32,
        angle: f32,
    },
    /// A thick line with round caps.
    Segment {
        a: V2,
        b: V2,
        r: f32,
    },
    /// A closed polygon (either winding; even-odd fill).
    Poly(Vec<V2>),
    /// A circle of radius `r` with the circle at `c + cut` of radius `cut_r` removed.
    Crescent {
        c: V2,
        r: f32,
        cut: V2,
        cut_r: f32,
    },
    /// An elliptical band; with `front` only its lower half (the part in front of a planet).
    EllipseRing {
        c: V2,
        rx: f32,
        ry: f32,
        angle: f32,
        half_width: f32,
        front: bool,
    },
    /// A ring; with `upper` only the half above `c` (a rainbow band).
    Ring {
        c: V2,
        r: f32,
        half_width: f32,
        upper: bool,
    },
}

impl Shape {
    /// Signed distance in pixels: negative inside.
    fn sdf(&self, p: V2) -> f32 {
        match self {
            Shape::Circle { c, r } => p.sub(*c).len() - r,
            Shape::Ellipse { c, rx, ry, angle } => ellipse_sdf(p.unrotate(*c, *angle), *rx, *ry),
            Shape::EllipseRing {
                c,
                rx,
                ry,
                angle,
                half_width,
                front,
            } => {
                let q = p.unrotate(*c, *angle);
                let d = ellipse_sdf(q, *rx, *ry).abs() - half_width;
                if *front { d.max(-q.y) } else { d }
            }
            Shape::Rect {
                c,
                hw,
                hh,
                radius,
                angle,
            } => {
                let q = p.unrotate(*c, *angle);
                let dx = q.x.abs() - (hw - radius);
                let dy = q.y.abs() - (hh - radius);
                let outside = v2(dx.max(0.0), dy.max(0.0)).len();
                outside + dx.max(dy).min(0.0) - radius
            }
            Shape::Segment { a, b, r } => {
                let pa = p.sub(*a);
                let ba = b.sub(*a);
                let t = (pa.dot(ba) / ba.dot(ba).max(1e-6)).clamp(0.0, 1.0);
                v2(pa.x - ba.x * t, pa.y - ba.y * t).len() - r
            }
            Shape::Poly(pts) => poly_sdf(pts, p),
            Shape::Crescent { c, r, cut, cut_r } => {
                let outer = p.sub(*c).len() - r;
                let inner = p.sub(v2(c.x + cut.x, c.y + cut.y)).len() - cut_r;
                outer.max(-inner)
            }
            Shape::Ring {
                c,
                r,
                half_width,
                upper,
            } => {
                let d = (p.sub(*c).len() - r).abs() - half_width;
                if *upper { d.max(p.y - c.y) } else { d }
            }
        }
    }

    /// Bounding box `(min, max)` in pixels.
    fn bbox(&self) -> (V2, V2) {
        let sq = |c: V2, r: f32| (v2(c.x - r, c.y - r), v2(c.x + r, c.y + r));
        match self {
            Shape::Circle { c, r } => sq(*c, *r),
            Shape::Ellipse { c, rx, ry, .. } => sq(*c, rx.max(*ry)),
            Shape::Rect {
                c, hw, hh, angle, ..
            } => {
                if *angle == 0.0 {
                    (v2(c.x - hw, c.y - hh), v2(c.x + hw, c.y + hh))
                } else {
                    sq(*c, v2(*hw, *hh).len())
                }
            }
            Shape::Segment { a, b, r } => (
                v2(a.x.min(b.x) - r, a.y.min(b.y) - r),
                v2(a.x.max(b.x) + r, a.y.max(b.y) + r),
            ),
            Shape::Poly(pts) => points_bbox(pts),
            Shape::Crescent { c, r, .. } => sq(*c, *r),
            Shape::EllipseRing {
                c,
                rx,
                ry,
                half_width,
                ..
            } => sq(*c, rx.max(*ry) + half_width),
            Shape::Ring {
                c, r, half_width, ..
            } => sq(*c, r + half_width),
        }
    }
}

/// Distance estimate for an axis-aligned ellipse: the implicit function divided by
/// its gradient length, close to exact near the edge, which is all AA needs.
fn ellipse_sdf(q: V2, rx: f32, ry: f32) -> f32 {
    let k = v2(q.x / rx, q.y / ry).len();
    let g = v2(q.x / (rx * rx), q.y / (ry * ry)).len();
    if g < 1e-6 {
        -rx.min(ry)
    } else {
        k * (k - 1.0) / g
    }
}

fn points_bbox(pts: &[V2]) -> (V2, V2) {
    pts.iter().fold(
        (v2(f32::MAX, f32::MAX), v2(f32::MIN, f32::MIN)),
        |(lo, hi), p| {
            (
                v2(lo.x.min(p.x), lo.y.min(p.y)),
                v2(hi.x.max(p.x), hi.y.max(p.y)),
            )
        },
    )
}

/// Adds `weight` × the covered fraction of each pixel for the span `l..r` (pixel units).
fn add_span(cover: &mut [f32], l: f32, r: f32, weight: f32) {
    let (li, ri) = (l.floor() as usize, r.floor() as usize);
    if li == ri {
        cover[li] += (r - l) * weight;
        return;
    }
    cover[li] += (li as f32 + 1.0 - l) * weight;
    for c in &mut cover[li + 1..ri] {
        *c += weight;
    }
    if ri < cover.len() {
        cover[ri] += (r - ri as f32) * weight;
    }
}

fn poly_sdf(pts: &[V2], p: V2) -> f32 {
    let n = pts.len();
    if n < 3 {
        return f32::MAX;
    }
    let mut d2 = f32::MAX;
    let mut inside = false;
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (pts[i], pts[j]);
        let e = b.sub(a);
        let w = p.sub(a);
        let t = (w.dot(e) / e.dot(e).max(1e-6)).clamp(0.0, 1.0);
        let q = v2(w.x - e.x * t, w.y - e.y * t);
        d2 = d2.min(q.dot(q));
        if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
        j = i;
    }
    let d = d2.sqrt();
    if inside { -d } else { d }
}

/// How a shape's inside is coloured.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Paint {
    Solid(Rgb),
    /// `c0` at `p0` to `c1` at `p1`, clamped beyond.
    Linear {
        p0: V2,
        p1: V2,
        c0: Rgb,
        c1: Rgb,
    },
    /// `c0` at `c` to `c1` at distance `r`, clamped beyond.
    Radial {
        c: V2,
        r: f32,
        c0: Rgb,
        c1: Rgb,
    },
}

impl Paint {
    fn at(&self, p: V2) -> Rgb {
        match *self {
            Paint::Solid(c) => c,
            Paint::Linear { p0, p1, c0, c1 } => {
                let d = p1.sub(p0);
                let t = p.sub(p0).dot(d) / d.dot(d).max(1e-6);
                c0.mix(c1, t.clamp(0.0, 1.0))
            }
            Paint::Radial { c, r, c0, c1 } => c0.mix(c1, (p.sub(c).len() / r.max(1e-3)).min(1.0)),
        }
    }
}

/// A float RGB image being drawn on.
#[derive(Clone)]
pub(crate) struct Canvas {
    pub w: usize,
    pub h: usize,
    pub px: Vec<Rgb>,
}

impl Canvas {
    pub fn new(w: usize, h: usize, fill: Rgb) -> Canvas {
        Canvas {
            w,
            h,
            px: vec![fill; w * h],
        }
    }

    /// The shorter side, the unit most sizes are measured in.
    pub fn unit(&self) -> f32 {
        self.w.min(self.h).max(1) as f32
    }

    /// Fills `shape` with `paint` at opacity `alpha`; `feather` widens the edge
    /// (1 is a crisp anti-aliased edge, larger values give soft shadows and glows).
    pub fn fill(&mut self, shape: &Shape, paint: Paint, alpha: f32, feather: f32) {
        if let (Shape::Poly(pts), true) = (shape, feather <= 1.0) {
            self.fill_poly(pts, paint, alpha);
            return;
        }
        let (lo, hi) = shape.bbox();
        let pad = feather * 0.5 + 1.0;
        let x0 = (lo.x - pad).floor().max(0.0) as usize;
        let y0 = (lo.y - pad).floor().max(0.0) as usize;
        let x1 = ((hi.x + pad).ceil().max(0.0) as usize).min(self.w);
        let y1 = ((hi.y + pad).ceil().max(0.0) as usize).min(self.h);
        let inv_feather = 1.0 / feather.max(1e-3);
        for y in y0..y1 {
            let row = y * self.w;
            for x in x0..x1 {
                let p = v2(x as f32 + 0.5, y as f32 + 0.5);
                let cov = (0.5 - shape.sdf(p) * inv_feather).clamp(0.0, 1.0) * alpha;
                if cov > 0.0 {
                    let dst = &mut self.px[row + x];
                    *dst = dst.mix(paint.at(p), cov);
                }
            }
        }
    }

    /// Scanline polygon fill (even-odd) with 4 sub-rows per pixel row and exact
    /// horizontal coverage: far cheaper than a distance per pixel per edge.
    fn fill_poly(&mut self, pts: &[V2], paint: Paint, alpha: f32) {
        const SUB: usize = 4;
        if pts.len() < 3 {
            return;
        }
        let (lo, hi) = points_bbox(pts);
        let x0 = lo.x.floor().max(0.0) as usize;
        let x1 = (hi.x.ceil().max(0.0) as usize).min(self.w);
        let y0 = lo.y.floor().max(0.0) as usize;
        let y1 = (hi.y.ceil().max(0.0) as usize).min(self.h);
        if x0 >= x1 {
            return;
        }
        let mut cover = vec![0.0f32; x1 - x0 + 1];
        let mut xs: Vec<f32> = Vec::with_capacity(8);
        for y in y0..y1 {
            cover.fill(0.0);
            let mut any = false;
            for sub in 0..SUB {
                let sy = y as f32 + (sub as f32 + 0.5) / SUB as f32;
                xs.clear();
                let mut j = pts.len() - 1;
                for i in 0..pts.len() {
                    let (a, b) = (pts[j], pts[i]);
                    if (a.y <= sy) != (b.y <= sy) {
                        xs.push(a.x + (sy - a.y) * (b.x - a.x) / (b.y - a.y));
                    }
                    j = i;
                }
                xs.sort_by(f32::total_cmp);
                for span in xs.chunks_exact(2) {
                    let (l, r) = (span[0].max(x0 as f32), span[1].min(x1 as f32));
                    if l >= r {
                        continue;
                    }
                    any = true;
                    add_span(&mut cover, l - x0 as f32, r - x0 as f32, 1.0 / SUB as f32);
                }
            }
            if !any {
                continue;
            }
            let row = y * self.w;
            for x in x0..x1 {
                let cov = cover[x - x0].min(1.0) * alpha;
                if cov > 0.0 {
                    let p = v2(x as f32 + 0.5, y as f32 + 0.5);
                    let dst = &mut self.px[row + x];
                    *dst = dst.mix(paint.at(p), cov);
                }
            }
        }
    }

    /// A straight brush stroke: a capsule from `a` to `b` of radius `r` in one colour.
    /// Same result as filling a [`Shape::Segment`], but scans only the pixels near
    /// the stroke, which keeps thousands of strokes per image cheap.
    pub fn stroke(&mut self, a: V2, b: V2, r: f32, color: Rgb, alpha: f32) {
        let d = b.sub(a);
        let len = d.len();
        if len < 1e-3 {
            self.fill(&Shape::Circle { c: a, r }, Paint::Solid(color), alpha, 1.0);
            return;
        }
        let (ux, uy) = (d.x / len, d.y / len);
        let reach = r + 1.0;
        let y0 = (a.y.min(b.y) - reach).floor().max(0.0) as usize;
        let y1 = ((a.y.max(b.y) + reach).ceil().max(0.0) as usize).min(self.h);
        for y in y0..y1 {
            let py = y as f32 + 0.5 - a.y;
            // Along the stroke u = px*ux + py*uy, across it v = -px*uy + py*ux (px = x - a.x);
            // keep the x where both stay within reach.
            let (mut lo, mut hi) = (f32::MIN, f32::MAX);
            for (k, c, min, max) in [
                (ux, py * uy, -reach, len + reach),
                (-uy, py * ux, -reach, reach),
            ] {
                if k.abs() < 1e-6 {
                    if c < min || c > max {
                        lo = f32::MAX;
                    }
                } else {
                    let (e0, e1) = ((min - c) / k, (max - c) / k);
                    lo = lo.max(e0.min(e1));
                    hi = hi.min(e0.max(e1));
                }
            }
            if lo > hi {
                continue;
            }
            let x0 = (a.x + lo - 0.5).floor().max(0.0) as usize;
            let x1 = ((a.x + hi + 0.5).ceil().max(0.0) as usize).min(self.w);
            if x0 >= x1 {
                continue;
            }
            // u and v change by a constant per pixel along the row.
            let px = x0 as f32 + 0.5 - a.x;
            let (mut u, mut v) = (px * ux + py * uy, -px * uy + py * ux);
            for dst in &mut self.px[y * self.w + x0..y * self.w + x1] {
                let dist = if u < 0.0 {
                    (u * u + v * v).sqrt()
                } else if u > len {
                    ((u - len) * (u - len) + v * v).sqrt()
                } else {
                    v.abs()
                };
                let cov = (0.5 + r - dist).min(1.0) * alpha;
                if cov > 0.0 {
                    *dst = dst.mix(color, cov);
                }
                u += ux;
                v -= uy;
            }
        }
    }

    /// Adds a soft radial light of `color` around `c` that fades out at radius `r`.
    pub fn glow(&mut self, c: V2, r: f32, color: Rgb, strength: f32) {
        let x0 = (c.x - r).floor().max(0.0) as usize;
        let y0 = (c.y - r).floor().max(0.0) as usize;
        let x1 = ((c.x + r).ceil().max(0.0) as usize).min(self.w);
        let y1 = ((c.y + r).ceil().max(0.0) as usize).min(self.h);
        let inv_r2 = 1.0 / (r * r).max(1e-3);
        for y in y0..y1 {
            let dy = y as f32 + 0.5 - c.y;
            for x in x0..x1 {
                let dx = x as f32 + 0.5 - c.x;
                let t = 1.0 - (dx * dx + dy * dy) * inv_r2;
                if t > 0.0 {
                    let k = t * t * strength;
                    let dst = &mut self.px[y * self.w + x];
                    *dst = dst.add(color.scale(k));
                }
            }
        }
    }

    /// Bilinear sample at pixel coordinates.
    pub fn sample(&self, x: f32, y: f32) -> Rgb {
        let x = (x - 0.5).clamp(0.0, (self.w - 1) as f32);
        let y = (y - 0.5).clamp(0.0, (self.h - 1) as f32);
        let (x0, y0) = (x as usize, y as usize);
        let (x1, y1) = ((x0 + 1).min(self.w - 1), (y0 + 1).min(self.h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let top = self.px[y0 * self.w + x0].mix(self.px[y0 * self.w + x1], fx);
        let bottom = self.px[y1 * self.w + x0].mix(self.px[y1 * self.w + x1], fx);
        top.mix(bottom, fy)
    }

    pub fn into_image(self) -> RgbImage {
        let mut bytes = Vec::with_capacity(self.px.len() * 3);
        for p in &self.px {
            bytes.extend_from_slice(&p.to_u8());
        }
        RgbImage::from_raw(self.w as u32, self.h as u32, bytes)
            .unwrap_or_else(|| RgbImage::new(self.w as u32, self.h as u32))
    }
}

pub(crate) fn gradient_at(stops: &[(f32, Rgb)], t: f32) -> Rgb {
    let Some(&(first_t, first)) = stops.first() else {
        return rgb(0.0, 0.0, 0.0);
    };
    if t <= first_t {
        return first;
    }
    for w in stops.windows(2) {
        let ((t0, c0), (t1, c1)) = (w[0], w[1]);
        if t <= t1 {
            return c0.mix(c1, (t - t0) / (t1 - t0).max(1e-6));
        }
    }
    stops[stops.len() - 1].1
}

/// A cheap, stable per-pixel hash in `0..1` for grain and dithering (no RNG state,
/// so passes over the image stay fast in unoptimised builds).
pub(crate) fn hash01(x: u32, y: u32, salt: u32) -> f32 {
    let mut h =
        x.wrapping_mul(0x9E37_79B1) ^ y.wrapping_mul(0x85EB_CA77) ^ salt.wrapping_mul(0xC2B2_AE3D);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    (h & 0xFFFF) as f32 / 65535.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filled_circle_covers_its_centre_and_not_its_corner() {
        let mut c = Canvas::new(20, 20, rgb(0.0, 0.0, 0.0));
        c.fill(
            &Shape::Circle {
                c: v2(10.0, 10.0),
                r: 6.0,
            },
            Paint::Solid(rgb(1.0, 0.0, 0.0)),
            1.0,
            1.0,
        );
        assert_eq!(c.px[10 * 20 + 10], rgb(1.0, 0.0, 0.0));
        assert_eq!(c.px[0], rgb(0.0, 0.0, 0.0));
    }

    #[test]
    fn a_stroke_matches_a_filled_segment() {
        let (a, b) = (v2(3.0, 4.0), v2(17.0, 13.0));
        let mut fast = Canvas::new(20, 20, rgb(0.0, 0.0, 0.0));
        fast.stroke(a, b, 2.5, rgb(1.0, 1.0, 1.0), 1.0);
        let mut slow = Canvas::new(20, 20, rgb(0.0, 0.0, 0.0));
        slow.fill(
            &Shape::Segment { a, b, r: 2.5 },
            Paint::Solid(rgb(1.0, 1.0, 1.0)),
            1.0,
            1.0,
        );
        for (p, q) in fast.px.iter().zip(&slow.px) {
            assert!((p.r - q.r).abs() < 1e-4, "{p:?} vs {q:?}");
        }
    }

    #[test]
    fn polygon_distance_is_negative_inside() {
        let tri = vec![v2(0.0, 0.0), v2(10.0, 0.0), v2(0.0, 10.0)];
        assert!(poly_sdf(&tri, v2(2.0, 2.0)) < 0.0);
        assert!(poly_sdf(&tri, v2(9.0, 9.0)) > 0.0);
    }
}
