//! Food and table things: fruit, cups, bowls, cakes, candles and lanterns.
//! Offsets are fractions of the thing's height from its centre.

use std::f32::consts::PI;

use super::canvas::{Paint, Shape};
use super::color::{Rgb, WHITE, rgb};
use super::intent::Time;
use super::pen::Pen;
use super::scene::{Item, Scene};
use super::things::{DARK, WOOD};

pub(crate) fn fruit(p: &mut Pen, it: &Item, base: Rgb, leaf: Rgb) {
    match it.variant {
        1 => p.ellipse(0.0, 0.04, 0.33, 0.44, 0.0, p.round(0.0, 0.0, 0.45, base)),
        2 => {
            let c = p.pt(0.0, 0.1);
            let dough = Shape::Ring {
                c,
                r: p.len(0.3),
                half_width: p.len(0.16),
                upper: false,
            };
            p.fill(dough, p.round(0.0, 0.1, 0.48, rgb(0.85, 0.6, 0.35)));
            let icing = Shape::Ring {
                c,
                r: p.len(0.3),
                half_width: p.len(0.12),
                upper: false,
            };
            p.fill(icing, p.round(0.0, 0.1, 0.45, base));
            for k in 0..10 {
                let a = k as f32 * 0.63 + 0.3;
                let (x, y) = (0.3 * a.cos(), 0.1 + 0.3 * a.sin());
                p.seg(
                    (x - 0.02, y),
                    (x + 0.02, y + 0.015),
                    0.01,
                    Paint::Solid([WHITE, rgb(0.3, 0.6, 0.9), rgb(0.95, 0.85, 0.2)][k % 3]),
                );
            }
        }
        _ => {
            p.circle(0.0, 0.06, 0.44, p.round(0.0, 0.06, 0.44, base));
            p.seg((0.0, -0.3), (0.05, -0.46), 0.02, Paint::Solid(WOOD));
            p.ellipse(0.15, -0.4, 0.12, 0.05, -0.4, Paint::Solid(leaf));
        }
    }
    if it.variant != 2 {
        let shine = p.ellipse_shape(-0.16, -0.1, 0.09, 0.05, -0.6);
        if !p.look.flat {
            let feather = p.len(0.05);
            p.fill_soft(shine, Paint::Solid(WHITE), 0.45, feather);
        }
    }
}

fn steam(p: &mut Pen, top: f32) {
    for (k, dx) in [-0.1f32, 0.05, 0.18].into_iter().enumerate() {
        let wiggle = if k % 2 == 0 { 0.05 } else { -0.05 };
        let shape = Shape::Segment {
            a: p.pt(dx, top - 0.05),
            b: p.pt(dx + wiggle, top - 0.3),
            r: p.len(0.02),
        };
        let feather = p.len(0.04);
        p.fill_soft(shape, Paint::Solid(WHITE), 0.35, feather);
    }
}

pub(crate) fn cup(p: &mut Pen, base: Rgb, coffee: Rgb) {
    p.ellipse(0.0, 0.45, 0.48, 0.06, 0.0, p.round(0.0, 0.42, 0.5, base));
    let handle = Shape::Ring {
        c: p.pt(0.3, 0.12),
        r: p.len(0.13),
        half_width: p.len(0.035),
        upper: false,
    };
    p.fill(handle, Paint::Solid(base.darken(0.1)));
    p.poly(
        &[(-0.32, -0.15), (0.32, -0.15), (0.24, 0.42), (-0.24, 0.42)],
        p.sideways(-0.32, 0.32, base),
    );
    p.ellipse(0.0, -0.15, 0.32, 0.06, 0.0, Paint::Solid(base.lighten(0.2)));
    p.ellipse(0.0, -0.15, 0.28, 0.045, 0.0, Paint::Solid(coffee));
    p.ellipse(
        0.0,
        -0.15,
        0.1,
        0.018,
        0.0,
        Paint::Solid(rgb(0.85, 0.7, 0.5)),
    );
    steam(p, -0.2);
}

pub(crate) fn bowl(p: &mut Pen, it: &Item, base: Rgb, scene: &Scene) {
    let soup = if it.variant == 1 {
        rgb(0.35, 0.65, 0.25)
    } else {
        rgb(0.88, 0.6, 0.3)
    }
    .mul(scene.light);
    p.ellipse(0.0, -0.1, 0.5, 0.1, 0.0, Paint::Solid(base.darken(0.15)));
    p.ellipse(0.0, -0.1, 0.46, 0.08, 0.0, Paint::Solid(soup));
    let toppings = [
        rgb(0.98, 0.85, 0.3),
        rgb(0.2, 0.5, 0.2),
        rgb(0.85, 0.3, 0.25),
        rgb(0.95, 0.9, 0.8),
    ];
    for (k, c) in toppings.iter().enumerate() {
        let dx = -0.25 + k as f32 * 0.16;
        p.ellipse(
            dx,
            -0.1 + (k % 2) as f32 * 0.02,
            0.06,
            0.03,
            0.0,
            Paint::Solid(c.mul(scene.light)),
        );
    }
    let shell: Vec<(f32, f32)> = (0..=16)
        .map(|i| {
            let a = i as f32 / 16.0 * PI;
            (0.5 * a.cos(), -0.08 + 0.5 * a.sin())
        })
        .collect();
    p.poly(&shell, p.round(0.0, 0.0, 0.6, base));
    if scene.time != Time::Night {
        steam(p, -0.15);
    }
}

pub(crate) fn cake(p: &mut Pen, it: &Item, base: Rgb) {
    let sponge = rgb(0.95, 0.82, 0.6);
    match it.variant {
        1 => {
            let wrapper = it.accent.unwrap_or(rgb(0.9, 0.82, 0.7));
            p.poly(
                &[(-0.3, 0.05), (0.3, 0.05), (0.22, 0.5), (-0.22, 0.5)],
                p.sideways(-0.3, 0.3, wrapper),
            );
            for (dy, rx) in [(0.0, 0.34), (-0.14, 0.26), (-0.26, 0.16)] {
                p.ellipse(0.0, dy, rx, 0.1, 0.0, p.round(0.0, dy - 0.05, rx, base));
            }
            p.circle(
                0.0,
                -0.38,
                0.07,
                p.round(0.0, -0.38, 0.07, rgb(0.8, 0.05, 0.1)),
            );
        }
        2 => {
            for k in 0..4 {
                let dy = 0.4 - k as f32 * 0.13;
                p.rect(
                    0.0,
                    dy,
                    0.42 - k as f32 * 0.01,
                    0.065,
                    0.06,
                    p.vertical(dy - 0.06, dy + 0.06, base),
                );
            }
            p.ellipse(0.0, -0.14, 0.3, 0.05, 0.0, Paint::Solid(base.lighten(0.3)));
            p.rect(
                0.0,
                -0.18,
                0.06,
                0.035,
                0.01,
                Paint::Solid(rgb(0.99, 0.92, 0.55)),
            );
        }
        _ => {
            p.ellipse(
                0.0,
                0.45,
                0.5,
                0.07,
                0.0,
                Paint::Solid(rgb(0.95, 0.95, 0.95)),
            );
            p.rect(0.0, 0.25, 0.42, 0.2, 0.02, p.sideways(-0.42, 0.42, base));
            p.rect(0.0, 0.26, 0.42, 0.025, 0.0, Paint::Solid(sponge));
            p.rect(
                0.0,
                -0.02,
                0.3,
                0.13,
                0.02,
                p.sideways(-0.3, 0.3, base.lighten(0.08)),
            );
            for k in 0..7 {
                p.circle(
                    -0.36 + k as f32 * 0.12,
                    0.07,
                    0.035,
                    Paint::Solid(base.lighten(0.35)),
                );
            }
            for k in 0..3 {
                let dx = -0.15 + k as f32 * 0.15;
                p.rect(
                    dx,
                    -0.22,
                    0.018,
                    0.07,
                    0.0,
                    Paint::Solid([rgb(0.3, 0.6, 0.9), rgb(0.95, 0.85, 0.3), rgb(0.9, 0.4, 0.5)][k]),
                );
                p.glow(dx, -0.33, 0.12, rgb(1.0, 0.7, 0.3), 0.6);
                p.ellipse(
                    dx,
                    -0.33,
                    0.018,
                    0.035,
                    0.0,
                    Paint::Solid(rgb(1.0, 0.85, 0.3)),
                );
            }
        }
    }
}

pub(crate) fn candle(p: &mut Pen, it: &Item, base: Rgb) {
    let flame = rgb(1.0, 0.75, 0.3);
    p.glow(0.0, -0.3, 1.0, flame, 0.6);
    if it.variant == 1 {
        p.rect(0.0, 0.12, 0.17, 0.26, 0.02, Paint::Solid(DARK));
        p.rect(
            0.0,
            0.12,
            0.13,
            0.22,
            0.0,
            Paint::Radial {
                c: p.pt(0.0, 0.12),
                r: p.len(0.25),
                c0: rgb(1.0, 0.95, 0.7),
                c1: base,
            },
        );
        p.poly(
            &[(-0.2, -0.14), (0.2, -0.14), (0.0, -0.3)],
            Paint::Solid(DARK),
        );
        let handle = Shape::Ring {
            c: p.pt(0.0, -0.3),
            r: p.len(0.08),
            half_width: p.len(0.015),
            upper: true,
        };
        p.fill(handle, Paint::Solid(DARK));
        return;
    }
    p.rect(0.0, 0.15, 0.09, 0.35, 0.02, p.sideways(-0.09, 0.09, base));
    p.ellipse(0.0, -0.2, 0.09, 0.025, 0.0, Paint::Solid(base.lighten(0.2)));
    p.seg((0.0, -0.2), (0.0, -0.26), 0.008, Paint::Solid(DARK));
    p.ellipse(
        0.0,
        -0.34,
        0.045,
        0.1,
        0.0,
        Paint::Radial {
            c: p.pt(0.0, -0.3),
            r: p.len(0.12),
            c0: WHITE,
            c1: rgb(1.0, 0.55, 0.1),
        },
    );
}
