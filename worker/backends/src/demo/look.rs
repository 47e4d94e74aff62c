//! How things are rendered: shaded (gradients, soft shadows, glows) or flat poster
//! rendering, as the paints each drawing asks for.

use super::canvas::{Canvas, Paint, Shape, V2, v2};
use super::color::{Rgb, rgb};

/// How things are rendered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Look {
    /// Flat fills, banded skies, hard shadows: the poster style.
    pub flat: bool,
}

impl Look {
    /// A ball-like shading for a round thing of radius `r` at `c`, lit from the upper left.
    pub fn round(self, c: V2, r: f32, base: Rgb) -> Paint {
        if self.flat {
            return Paint::Solid(base);
        }
        Paint::Radial {
            c: v2(c.x - r * 0.35, c.y - r * 0.4),
            r: r * 1.5,
            c0: base.lighten(0.3),
            c1: base.darken(0.45),
        }
    }

    /// Lighter at `top`, darker at `bottom` (rows in pixels).
    pub fn vertical(self, top: f32, bottom: f32, base: Rgb) -> Paint {
        if self.flat {
            return Paint::Solid(base);
        }
        Paint::Linear {
            p0: v2(0.0, top),
            p1: v2(0.0, bottom),
            c0: base.lighten(0.15),
            c1: base.darken(0.3),
        }
    }

    /// Lighter on the left, darker on the right.
    pub fn sideways(self, left: f32, right: f32, base: Rgb) -> Paint {
        if self.flat {
            return Paint::Solid(base);
        }
        Paint::Linear {
            p0: v2(left, 0.0),
            p1: v2(right, 0.0),
            c0: base.lighten(0.12),
            c1: base.darken(0.3),
        }
    }

    /// A soft shadow on the ground under something `hw` wide standing at `(x, y)`.
    pub fn shadow(self, cv: &mut Canvas, x: f32, y: f32, hw: f32) {
        let shape = Shape::Ellipse {
            c: v2(x, y),
            rx: hw,
            ry: (hw * 0.2).max(1.0),
            angle: 0.0,
        };
        if self.flat {
            cv.fill(&shape, Paint::Solid(rgb(0.0, 0.0, 0.0)), 0.15, 1.0);
        } else {
            cv.fill(&shape, Paint::Solid(rgb(0.0, 0.0, 0.0)), 0.35, hw * 0.35);
        }
    }

    /// A light source's halo: a smooth glow, or flat concentric discs in poster style.
    pub fn glow(self, cv: &mut Canvas, c: V2, r: f32, color: Rgb, strength: f32) {
        if self.flat {
            for k in 1..=3 {
                let shape = Shape::Circle {
                    c,
                    r: r * (0.35 + 0.2 * k as f32),
                };
                cv.fill(&shape, Paint::Solid(color), 0.12 * strength, 1.0);
            }
        } else {
            cv.glow(c, r, color, strength);
        }
    }
}
