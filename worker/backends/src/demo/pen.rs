//! Drawing one thing in its own coordinates: offsets and sizes are fractions of
//! the thing's height from its centre, mirrored when the thing faces left. Keeps
//! the per-kind drawings in `things` and `figures` short and readable.

use super::canvas::{Canvas, Paint, Shape, V2, v2};
use super::color::Rgb;
use super::look::Look;
use super::scene::Item;

pub(crate) struct Pen<'a> {
    pub cv: &'a mut Canvas,
    pub look: Look,
    pub x: f32,
    pub y: f32,
    /// The thing's height in pixels; every offset below is a multiple of it.
    pub s: f32,
    /// 1 facing right, -1 mirrored.
    pub f: f32,
}

impl<'a> Pen<'a> {
    pub fn new(cv: &'a mut Canvas, look: Look, it: &Item) -> Pen<'a> {
        Pen {
            cv,
            look,
            x: it.x,
            y: it.y,
            s: it.size,
            f: if it.flip { -1.0 } else { 1.0 },
        }
    }

    pub fn pt(&self, dx: f32, dy: f32) -> V2 {
        v2(self.x + dx * self.s * self.f, self.y + dy * self.s)
    }

    pub fn len(&self, k: f32) -> f32 {
        k * self.s
    }

    pub fn fill(&mut self, shape: Shape, paint: Paint) {
        self.cv.fill(&shape, paint, 1.0, 1.0);
    }

    pub fn fill_soft(&mut self, shape: Shape, paint: Paint, alpha: f32, feather: f32) {
        self.cv.fill(&shape, paint, alpha, feather);
    }

    pub fn circle_shape(&self, dx: f32, dy: f32, r: f32) -> Shape {
        Shape::Circle {
            c: self.pt(dx, dy),
            r: self.len(r),
        }
    }

    pub fn circle(&mut self, dx: f32, dy: f32, r: f32, paint: Paint) {
        let shape = self.circle_shape(dx, dy, r);
        self.fill(shape, paint);
    }

    pub fn ellipse_shape(&self, dx: f32, dy: f32, rx: f32, ry: f32, angle: f32) -> Shape {
        Shape::Ellipse {
            c: self.pt(dx, dy),
            rx: self.len(rx),
            ry: self.len(ry),
            angle: angle * self.f,
        }
    }

    pub fn ellipse(&mut self, dx: f32, dy: f32, rx: f32, ry: f32, angle: f32, paint: Paint) {
        let shape = self.ellipse_shape(dx, dy, rx, ry, angle);
        self.fill(shape, paint);
    }

    pub fn rect_shape(&self, dx: f32, dy: f32, hw: f32, hh: f32, radius: f32) -> Shape {
        Shape::Rect {
            c: self.pt(dx, dy),
            hw: self.len(hw),
            hh: self.len(hh),
            radius: self.len(radius),
            angle: 0.0,
        }
    }

    pub fn rect(&mut self, dx: f32, dy: f32, hw: f32, hh: f32, radius: f32, paint: Paint) {
        let shape = self.rect_shape(dx, dy, hw, hh, radius);
        self.fill(shape, paint);
    }

    pub fn seg(&mut self, a: (f32, f32), b: (f32, f32), r: f32, paint: Paint) {
        let shape = Shape::Segment {
            a: self.pt(a.0, a.1),
            b: self.pt(b.0, b.1),
            r: self.len(r).max(0.5),
        };
        self.fill(shape, paint);
    }

    pub fn poly_shape(&self, pts: &[(f32, f32)]) -> Shape {
        Shape::Poly(pts.iter().map(|&(dx, dy)| self.pt(dx, dy)).collect())
    }

    pub fn poly(&mut self, pts: &[(f32, f32)], paint: Paint) {
        let shape = self.poly_shape(pts);
        self.fill(shape, paint);
    }

    /// Ball shading for a round part centred at `(dx, dy)` with radius `r`.
    pub fn round(&self, dx: f32, dy: f32, r: f32, base: Rgb) -> Paint {
        self.look.round(self.pt(dx, dy), self.len(r), base)
    }

    /// Top-lit shading between rows `dy0` and `dy1`.
    pub fn vertical(&self, dy0: f32, dy1: f32, base: Rgb) -> Paint {
        self.look
            .vertical(self.pt(0.0, dy0).y, self.pt(0.0, dy1).y, base)
    }

    /// Left-lit shading across `dx0..dx1` (in unmirrored offsets; light stays on the left).
    pub fn sideways(&self, dx0: f32, dx1: f32, base: Rgb) -> Paint {
        let (a, b) = (self.pt(dx0, 0.0).x, self.pt(dx1, 0.0).x);
        self.look.sideways(a.min(b), a.max(b), base)
    }

    pub fn glow(&mut self, dx: f32, dy: f32, r: f32, color: Rgb, strength: f32) {
        let c = self.pt(dx, dy);
        self.look.glow(self.cv, c, self.len(r), color, strength);
    }
}
