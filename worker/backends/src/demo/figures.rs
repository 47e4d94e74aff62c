//! Abstract shapes and things of the sky: balls, boxes, stars, hearts, gems,
//! spirals, planets, portals, balloons, sun, moon, clouds, rainbows, birds,
//! butterflies.

use std::f32::consts::{PI, TAU};

use super::canvas::{Paint, Shape, v2};
use super::color::{Rgb, WHITE, rgb};
use super::intent::Time;
use super::pen::Pen;
use super::scene::{Item, Scene};

fn specular(p: &mut Pen, dx: f32, dy: f32, r: f32) {
    if !p.look.flat {
        let shape = p.ellipse_shape(dx - r * 0.35, dy - r * 0.42, r * 0.24, r * 0.14, -0.6);
        let feather = p.len(r * 0.12);
        p.fill_soft(shape, Paint::Solid(WHITE), 0.5, feather);
    }
}

pub(crate) fn ball(p: &mut Pen, it: &Item, base: Rgb) {
    let r = 0.5;
    match it.variant {
        1 => {
            p.glow(0.0, 0.0, 1.2, base, 0.7);
            p.circle(0.0, 0.0, r, p.round(0.0, 0.0, r, base.lighten(0.2)));
        }
        2 => {
            let shape = p.circle_shape(0.0, 0.0, r);
            p.fill_soft(shape, Paint::Solid(base), 0.25, 1.0);
            let ring = Shape::Ring {
                c: p.pt(0.0, 0.0),
                r: p.len(r * 0.97),
                half_width: p.len(0.012),
                upper: false,
            };
            p.fill_soft(ring, Paint::Solid(base.lighten(0.5)), 0.8, 1.0);
        }
        _ => p.circle(0.0, 0.0, r, p.round(0.0, 0.0, r, base)),
    }
    specular(p, 0.0, 0.0, r);
}

pub(crate) fn block(p: &mut Pen, it: &Item, base: Rgb) {
    match it.variant {
        1 => {
            // A cube seen from slightly above and to the right.
            let (a, d) = (0.36, 0.16);
            let (l, r, t, b) = (-a - 0.05, a - 0.05, -a + 0.1, a + 0.1);
            p.poly(
                &[(l, t), (r, t), (r + d, t - d), (l + d, t - d)],
                Paint::Solid(base.lighten(0.3)),
            );
            p.poly(
                &[(r, t), (r + d, t - d), (r + d, b - d), (r, b)],
                Paint::Solid(base.darken(0.35)),
            );
            p.rect(-0.05, 0.1, a, a, 0.0, p.vertical(t, b, base));
        }
        _ => {
            let shape = Shape::Rect {
                c: p.pt(0.0, 0.0),
                hw: p.len(0.42),
                hh: p.len(0.42),
                radius: p.len(0.04),
                angle: it.tilt * 0.5,
            };
            p.fill(shape, p.vertical(-0.42, 0.42, base));
            if it.variant == 2 {
                let ribbon = it.accent.unwrap_or(rgb(0.98, 0.82, 0.25));
                p.rect(0.0, 0.0, 0.06, 0.42, 0.0, Paint::Solid(ribbon));
                p.rect(0.0, 0.0, 0.42, 0.06, 0.0, Paint::Solid(ribbon));
                p.ellipse(
                    -0.1,
                    -0.47,
                    0.1,
                    0.06,
                    0.4,
                    Paint::Solid(ribbon.darken(0.1)),
                );
                p.ellipse(
                    0.1,
                    -0.47,
                    0.1,
                    0.06,
                    -0.4,
                    Paint::Solid(ribbon.darken(0.1)),
                );
            } else if it.variant == 3 {
                p.rect(-0.36, 0.0, 0.06, 0.42, 0.0, Paint::Solid(base.darken(0.35)));
                p.rect(
                    0.0,
                    -0.12,
                    0.22,
                    0.05,
                    0.0,
                    Paint::Solid(rgb(0.95, 0.85, 0.55)),
                );
            }
        }
    }
}

pub(crate) fn triangle(p: &mut Pen, it: &Item, base: Rgb) {
    if it.variant == 1 {
        p.poly(
            &[(0.0, -0.5), (-0.62, 0.5), (0.12, 0.5)],
            Paint::Solid(base.lighten(0.12)),
        );
        p.poly(
            &[(0.0, -0.5), (0.12, 0.5), (0.62, 0.5)],
            Paint::Solid(base.darken(0.3)),
        );
        return;
    }
    let (s, c) = it.tilt.sin_cos();
    let rot = |x: f32, y: f32| (x * c - y * s, x * s + y * c);
    let pts = [rot(0.0, -0.52), rot(0.56, 0.44), rot(-0.56, 0.44)];
    p.poly(&pts, p.vertical(-0.5, 0.5, base));
}

pub(crate) fn star_points(points: usize, outer: f32, inner: f32, rot: f32) -> Vec<(f32, f32)> {
    (0..points * 2)
        .map(|i| {
            let a = rot - PI / 2.0 + i as f32 * PI / points as f32;
            let r = if i % 2 == 0 { outer } else { inner };
            (r * a.cos(), r * a.sin())
        })
        .collect()
}

pub(crate) fn star(p: &mut Pen, it: &Item, base: Rgb, scene: &Scene) {
    if scene.time == Time::Night || it.layer == 0 {
        p.glow(0.0, 0.0, 0.9, base, 0.35);
    }
    let pts = star_points(5, 0.52, 0.22, it.tilt * 0.5);
    p.poly(&pts, p.round(0.0, 0.0, 0.5, base));
}

pub(crate) fn heart(p: &mut Pen, base: Rgb) {
    // A square turned 45° with two circles on its upper edges.
    let a = 1.0 / 1.56;
    let cy = -0.5 + 0.854 * a;
    let k = a / (2.0 * 2f32.sqrt());
    let paint = p.round(0.0, -0.1, 0.55, base);
    let square = Shape::Rect {
        c: p.pt(0.0, cy),
        hw: p.len(a / 2.0),
        hh: p.len(a / 2.0),
        radius: 0.0,
        angle: PI / 4.0,
    };
    p.fill(square, paint);
    p.circle(-k, cy - k, a / 2.0, paint);
    p.circle(k, cy - k, a / 2.0, paint);
    specular(p, -k, cy - k, a / 2.0);
}

pub(crate) fn gem(p: &mut Pen, it: &Item, base: Rgb) {
    if it.variant == 1 {
        // A kite: a diamond with a cross-spar and a ribboned tail.
        let tail: [(f32, f32); 4] = [(0.0, 0.5), (0.15, 0.8), (-0.1, 1.05), (0.1, 1.3)];
        for w in tail.windows(2) {
            p.seg(w[0], w[1], 0.012, Paint::Solid(rgb(0.3, 0.3, 0.3)));
        }
        for &(x, y) in &tail[1..] {
            p.poly(
                &[
                    (x - 0.07, y - 0.04),
                    (x + 0.07, y + 0.04),
                    (x + 0.07, y - 0.04),
                    (x - 0.07, y + 0.04),
                ],
                Paint::Solid(base.lighten(0.3)),
            );
        }
        p.poly(
            &[(0.0, -0.5), (0.32, -0.1), (0.0, 0.5), (-0.32, -0.1)],
            p.vertical(-0.5, 0.5, base),
        );
        p.poly(
            &[(0.0, -0.5), (0.32, -0.1), (0.0, -0.1)],
            Paint::Solid(base.lighten(0.25)),
        );
        p.seg(
            (0.0, -0.5),
            (0.0, 0.5),
            0.008,
            Paint::Solid(rgb(0.3, 0.2, 0.1)),
        );
        p.seg(
            (-0.32, -0.1),
            (0.32, -0.1),
            0.008,
            Paint::Solid(rgb(0.3, 0.2, 0.1)),
        );
        return;
    }
    let outline = [
        (-0.25, -0.45),
        (0.25, -0.45),
        (0.45, -0.15),
        (0.0, 0.5),
        (-0.45, -0.15),
    ];
    p.poly(&outline, p.vertical(-0.45, 0.5, base));
    p.poly(
        &[(-0.25, -0.45), (0.25, -0.45), (0.45, -0.15), (-0.45, -0.15)],
        Paint::Solid(base.lighten(0.3)),
    );
    p.poly(
        &[(-0.45, -0.15), (-0.12, -0.15), (0.0, 0.5)],
        Paint::Solid(base.lighten(0.12)),
    );
    p.poly(
        &[(0.12, -0.15), (0.45, -0.15), (0.0, 0.5)],
        Paint::Solid(base.darken(0.25)),
    );
    p.seg(
        (-0.08, -0.45),
        (-0.18, -0.15),
        0.006,
        Paint::Solid(base.lighten(0.5)),
    );
    p.seg(
        (0.08, -0.45),
        (0.18, -0.15),
        0.006,
        Paint::Solid(base.lighten(0.5)),
    );
    p.glow(-0.2, -0.35, 0.25, WHITE, 0.6);
}

pub(crate) fn spiral(p: &mut Pen, it: &Item, base: Rgb) {
    let turns = 2.6;
    let n = 80;
    for i in 0..n {
        let t = i as f32 / n as f32;
        let a = t * turns * TAU + it.tilt * 3.0;
        let rho = 0.47 * t;
        let c = match it.accent {
            Some(second) if i % 2 == 1 => second,
            _ => base.mix(base.lighten(0.6), 1.0 - t),
        };
        p.circle(
            rho * a.cos(),
            rho * a.sin(),
            0.012 + 0.035 * t,
            p.round(rho * a.cos(), rho * a.sin(), 0.05, c),
        );
    }
}

pub(crate) fn planet(p: &mut Pen, it: &Item, base: Rgb) {
    let ring = it.accent.unwrap_or(base.lighten(0.4));
    let c = p.pt(0.0, 0.0);
    let (rx, ry, hw) = (p.len(0.62), p.len(0.14), p.len(0.03));
    let angle = -0.35 + it.tilt;
    let back = Shape::EllipseRing {
        c,
        rx,
        ry,
        angle,
        half_width: hw,
        front: false,
    };
    p.fill(back, Paint::Solid(ring.darken(0.2)));
    p.circle(0.0, 0.0, 0.32, p.round(0.0, 0.0, 0.32, base));
    for k in 0..3 {
        let band = p.ellipse_shape(0.0, -0.12 + 0.1 * k as f32, 0.3, 0.02, 0.0);
        p.fill_soft(band, Paint::Solid(base.darken(0.2)), 0.35, 2.0);
    }
    let front = Shape::EllipseRing {
        c,
        rx,
        ry,
        angle,
        half_width: hw,
        front: true,
    };
    p.fill(front, Paint::Solid(ring));
}

pub(crate) fn portal(p: &mut Pen, it: &Item, base: Rgb) {
    if it.variant == 1 {
        let ring = Shape::Ring {
            c: p.pt(0.0, 0.0),
            r: p.len(0.36),
            half_width: p.len(0.08),
            upper: false,
        };
        p.fill(ring, p.round(0.0, 0.0, 0.45, base));
        specular(p, 0.0, 0.0, 0.45);
        return;
    }
    p.glow(0.0, 0.0, 0.9, base, 0.8);
    p.circle(
        0.0,
        0.0,
        0.4,
        Paint::Radial {
            c: p.pt(0.0, 0.0),
            r: p.len(0.4),
            c0: base.lighten(0.7),
            c1: base.darken(0.5),
        },
    );
    let ring = Shape::Ring {
        c: p.pt(0.0, 0.0),
        r: p.len(0.42),
        half_width: p.len(0.04),
        upper: false,
    };
    p.fill(ring, Paint::Solid(base.lighten(0.4)));
}

pub(crate) fn balloon(p: &mut Pen, base: Rgb) {
    p.seg(
        (0.0, 0.28),
        (0.05, 0.4),
        0.006,
        Paint::Solid(rgb(0.3, 0.3, 0.3)),
    );
    p.seg(
        (0.05, 0.4),
        (-0.02, 0.5),
        0.006,
        Paint::Solid(rgb(0.3, 0.3, 0.3)),
    );
    p.poly(
        &[(0.0, 0.24), (0.04, 0.3), (-0.04, 0.3)],
        Paint::Solid(base.darken(0.2)),
    );
    p.ellipse(0.0, -0.12, 0.3, 0.37, 0.0, p.round(0.0, -0.12, 0.37, base));
    specular(p, 0.0, -0.12, 0.37);
}

pub(crate) fn sun(p: &mut Pen, base: Rgb, scene: &Scene) {
    let low = scene.time == Time::Sunset;
    let core = if low {
        base.mix(rgb(1.0, 0.45, 0.2), 0.4)
    } else {
        base
    };
    p.glow(0.0, 0.0, 2.2, core, if low { 0.7 } else { 0.5 });
    if p.look.flat {
        for k in 0..12 {
            let a = k as f32 * TAU / 12.0;
            let (c, s) = (a.cos(), a.sin());
            let side = (-s * 0.06, c * 0.06);
            let tri = [
                (c * 0.58 + side.0, s * 0.58 + side.1),
                (c * 0.58 - side.0, s * 0.58 - side.1),
                (c * 0.8, s * 0.8),
            ];
            p.poly(&tri, Paint::Solid(core));
        }
    }
    p.circle(
        0.0,
        0.0,
        0.5,
        Paint::Radial {
            c: p.pt(0.0, 0.0),
            r: p.len(0.5),
            c0: core.lighten(0.6),
            c1: core,
        },
    );
}

pub(crate) fn moon(p: &mut Pen, it: &Item, base: Rgb) {
    p.glow(0.0, 0.0, 1.6, base, 0.35);
    if it.salt % 3 == 0 {
        p.circle(0.0, 0.0, 0.5, p.round(0.0, 0.0, 0.5, base));
        for (dx, dy, r) in [(-0.15, -0.1, 0.1), (0.15, 0.12, 0.07), (0.05, -0.22, 0.05)] {
            let crater = p.circle_shape(dx, dy, r);
            p.fill_soft(crater, Paint::Solid(base.darken(0.2)), 0.5, 2.0);
        }
    } else {
        let crescent = Shape::Crescent {
            c: p.pt(0.0, 0.0),
            r: p.len(0.5),
            cut: v2(p.len(0.3) * p.f, p.len(-0.15)),
            cut_r: p.len(0.44),
        };
        p.fill(crescent, p.round(0.0, 0.0, 0.5, base));
    }
}

pub(crate) fn cloud(p: &mut Pen, base: Rgb, scene: &Scene) {
    let base = if scene.rain { base.darken(0.4) } else { base };
    let paint = p.vertical(-0.5, 0.45, base);
    for (dx, dy, r) in [
        (-0.75, 0.12, 0.3),
        (-0.35, -0.1, 0.42),
        (0.1, -0.22, 0.5),
        (0.55, 0.0, 0.38),
        (0.85, 0.18, 0.25),
    ] {
        p.circle(dx, dy, r, paint);
    }
    p.seg((-0.8, 0.25), (0.9, 0.25), 0.22, paint);
}

pub(crate) fn rainbow(p: &mut Pen) {
    const BANDS: [Rgb; 7] = [
        rgb(0.90, 0.15, 0.15),
        rgb(0.98, 0.55, 0.10),
        rgb(0.98, 0.90, 0.15),
        rgb(0.20, 0.72, 0.25),
        rgb(0.15, 0.45, 0.90),
        rgb(0.30, 0.20, 0.70),
        rgb(0.55, 0.25, 0.75),
    ];
    let hw = 0.018;
    for (i, &c) in BANDS.iter().enumerate() {
        let r = 0.5 - (i as f32 * 2.0 + 1.0) * hw;
        let ring = Shape::Ring {
            c: p.pt(0.0, 0.0),
            r: p.len(r),
            half_width: p.len(hw) + 0.5,
            upper: true,
        };
        let alpha = if p.look.flat { 0.95 } else { 0.65 };
        p.fill_soft(ring, Paint::Solid(c), alpha, 1.0);
    }
}

pub(crate) fn bird(p: &mut Pen, it: &Item, base: Rgb) {
    if it.variant == 0 {
        // A gull-like silhouette: two bent wings.
        let paint = Paint::Solid(base);
        for side in [-1.0, 1.0] {
            p.seg((0.0, 0.0), (side * 0.4, -0.22), 0.05, paint);
            p.seg((side * 0.4, -0.22), (side * 0.85, -0.04), 0.035, paint);
        }
        p.ellipse(0.0, 0.02, 0.12, 0.06, 0.0, paint);
        return;
    }
    let wing = base.darken(0.15);
    let spiky = it.variant == 2;
    let far_wing: &[(f32, f32)] = if spiky {
        &[
            (0.05, -0.05),
            (0.3, -0.5),
            (0.15, -0.35),
            (0.05, -0.42),
            (-0.05, -0.3),
            (-0.2, 0.0),
        ]
    } else {
        &[(0.05, -0.05), (0.25, -0.48), (0.0, -0.4), (-0.2, 0.0)]
    };
    p.poly(far_wing, Paint::Solid(wing.darken(0.25)));
    p.poly(
        &[(-0.3, 0.0), (-0.6, -0.05), (-0.6, 0.12)],
        Paint::Solid(wing),
    );
    if spiky {
        p.seg((-0.3, 0.05), (-0.75, 0.25), 0.05, Paint::Solid(base));
    }
    p.ellipse(0.0, 0.03, 0.36, 0.14, -0.1, p.round(0.0, 0.03, 0.36, base));
    p.circle(0.36, -0.1, 0.11, p.round(0.36, -0.1, 0.11, base));
    p.poly(
        &[(0.45, -0.13), (0.58, -0.08), (0.45, -0.05)],
        Paint::Solid(rgb(0.95, 0.7, 0.15)),
    );
    p.circle(0.39, -0.13, 0.02, Paint::Solid(rgb(0.05, 0.05, 0.05)));
    let near_wing: &[(f32, f32)] = if spiky {
        &[
            (0.1, -0.02),
            (-0.1, -0.55),
            (-0.18, -0.38),
            (-0.3, -0.48),
            (-0.35, -0.3),
            (-0.25, 0.02),
        ]
    } else {
        &[(0.1, -0.02), (-0.15, -0.55), (-0.4, -0.45), (-0.25, 0.02)]
    };
    p.poly(near_wing, p.vertical(-0.5, 0.0, wing));
}

pub(crate) fn butterfly(p: &mut Pen, it: &Item, base: Rgb) {
    let spot = it.accent.unwrap_or(WHITE);
    for side in [-1.0, 1.0] {
        p.ellipse(
            side * 0.22,
            -0.13,
            0.24,
            0.17,
            side * -0.5,
            p.round(side * 0.22, -0.13, 0.26, base),
        );
        p.ellipse(
            side * 0.16,
            0.14,
            0.15,
            0.12,
            side * 0.45,
            p.round(side * 0.16, 0.14, 0.16, base.darken(0.1)),
        );
        p.circle(side * 0.28, -0.18, 0.045, Paint::Solid(spot));
        p.seg(
            (0.0, -0.2),
            (side * 0.12, -0.42),
            0.008,
            Paint::Solid(rgb(0.1, 0.1, 0.1)),
        );
    }
    p.seg(
        (0.0, -0.2),
        (0.0, 0.24),
        0.035,
        Paint::Solid(rgb(0.12, 0.1, 0.1)),
    );
}
