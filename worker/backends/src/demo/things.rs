//! The dispatch from an [`Item`] to its drawing, and the things of the
//! landscape: mountains, trees, flowers, buildings, arches, cars, boats.
//! Offsets are fractions of the thing's height from its centre: the bottom is
//! at `dy = 0.5`, the top at `dy = -0.5`.

use super::canvas::{Canvas, Paint};
use super::color::{Rgb, WHITE, rgb};
use super::intent::{Kind, Terrain, Time};
use super::look::Look;
use super::pen::Pen;
use super::scene::{Item, Scene};
use super::{creatures, figures, food};

pub(crate) const WOOD: Rgb = rgb(0.42, 0.27, 0.15);
pub(crate) const DARK: Rgb = rgb(0.06, 0.06, 0.07);

fn emits_light(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Sun | Kind::Moon | Kind::Star | Kind::Portal | Kind::Rainbow | Kind::Candle
    )
}

pub(crate) fn draw(cv: &mut Canvas, look: Look, scene: &Scene, it: &Item) {
    let base = if emits_light(it.kind) {
        it.color
    } else {
        it.color.mul(scene.light)
    };
    let light = |c: Rgb| c.mul(scene.light);
    if it.grounded {
        let width = match it.kind {
            Kind::Car => 1.0,
            Kind::Beast | Kind::House => 0.5,
            Kind::Tree | Kind::Tower | Kind::Cup | Kind::Bowl | Kind::Cake => 0.4,
            _ => 0.3,
        };
        look.shadow(cv, it.x, it.y + it.size * 0.5, it.size * width);
    } else if it.layer == 4 && matches!(scene.terrain, Terrain::Studio | Terrain::Table) {
        // Floating things still throw a soft shadow on the floor below them.
        let floor = (it.y + it.size * 0.6).max(scene.horizon + (scene.h - scene.horizon) * 0.3);
        look.shadow(cv, it.x, floor, it.size * 0.35);
    }
    if scene.neon && !look.flat {
        cv.glow(glam(it), it.size * 0.9, it.color, 0.45);
    }
    let p = &mut Pen::new(cv, look, it);
    match it.kind {
        Kind::Circle => figures::ball(p, it, base),
        Kind::Square => figures::block(p, it, base),
        Kind::Triangle => figures::triangle(p, it, base),
        Kind::Star => figures::star(p, it, base, scene),
        Kind::Heart => figures::heart(p, base),
        Kind::Diamond => figures::gem(p, it, base),
        Kind::Spiral => figures::spiral(p, it, base),
        Kind::Planet => figures::planet(p, it, base),
        Kind::Portal => figures::portal(p, it, base),
        Kind::Balloon => figures::balloon(p, base),
        Kind::Sun => figures::sun(p, base, scene),
        Kind::Moon => figures::moon(p, it, base),
        Kind::Cloud => figures::cloud(p, base, scene),
        Kind::Rainbow => figures::rainbow(p),
        Kind::Bird => figures::bird(p, it, base),
        Kind::Butterfly => figures::butterfly(p, it, base),
        Kind::Mountain => mountain(p, it, base, scene),
        Kind::Tree => tree(p, it, base, light(WOOD)),
        Kind::Flower => flower(p, it, base, light(rgb(0.2, 0.55, 0.2))),
        Kind::Mushroom => mushroom(p, base, light(rgb(0.95, 0.9, 0.8))),
        Kind::House => house(p, it, base, scene),
        Kind::Tower => tower(p, it, base, scene),
        Kind::Arch => arch(p, it, base),
        Kind::Car => car(p, base, light(rgb(0.6, 0.78, 0.92))),
        Kind::Boat => boat(p, it, base, light(WOOD)),
        Kind::Person => creatures::person(p, it, base, scene),
        Kind::Cat => creatures::cat(p, it, base),
        Kind::Beast => creatures::beast(p, it, base),
        Kind::Fish => creatures::fish(p, base),
        Kind::Fruit => food::fruit(p, it, base, light(rgb(0.25, 0.6, 0.2))),
        Kind::Cup => food::cup(p, base, light(rgb(0.38, 0.22, 0.1))),
        Kind::Bowl => food::bowl(p, it, base, scene),
        Kind::Cake => food::cake(p, it, base),
        Kind::Candle => food::candle(p, it, base),
    }
}

/// Where a thing's light or neon glow centres.
fn glam(it: &Item) -> super::canvas::V2 {
    super::canvas::v2(it.x, it.y)
}

fn mountain(p: &mut Pen, it: &Item, base: Rgb, scene: &Scene) {
    let hazy = base.mix(scene.sky[2].mul(scene.light), 0.2);
    match it.variant {
        2 => {
            p.ellipse(0.0, 0.5, 1.3, 0.5, 0.0, p.vertical(0.0, 0.5, hazy));
        }
        1 => {
            p.poly(
                &[(-1.0, 0.5), (-0.12, -0.45), (0.12, -0.45), (1.0, 0.5)],
                p.sideways(-1.0, 1.0, hazy),
            );
            p.glow(0.0, -0.48, 0.4, rgb(1.0, 0.45, 0.1), 0.8);
            p.poly(
                &[(-0.12, -0.45), (0.12, -0.45), (0.05, -0.2), (-0.06, -0.3)],
                Paint::Solid(rgb(1.0, 0.4, 0.1)),
            );
        }
        _ => {
            let peak = 0.12 * p.f;
            p.poly(
                &[
                    (-0.95, 0.5),
                    (-0.5, 0.0),
                    (-0.35, 0.05),
                    (peak, -0.5),
                    (0.45, -0.05),
                    (0.55, 0.0),
                    (0.95, 0.5),
                ],
                Paint::Solid(hazy),
            );
            p.poly(
                &[
                    (peak, -0.5),
                    (0.45, -0.05),
                    (0.55, 0.0),
                    (0.95, 0.5),
                    (peak + 0.1, 0.5),
                ],
                Paint::Solid(hazy.darken(0.25)),
            );
            let snow = rgb(0.97, 0.98, 1.0).mul(scene.light.lighten(0.3));
            p.poly(
                &[
                    (peak, -0.5),
                    (peak + 0.16, -0.3),
                    (peak + 0.06, -0.26),
                    (peak - 0.04, -0.32),
                    (peak - 0.12, -0.26),
                    (peak - 0.2, -0.3),
                ],
                p.sideways(peak - 0.2, peak + 0.16, snow),
            );
        }
    }
}

fn tree(p: &mut Pen, it: &Item, base: Rgb, trunk: Rgb) {
    p.rect(0.0, 0.32, 0.045, 0.2, 0.01, p.sideways(-0.05, 0.05, trunk));
    if it.variant == 1 {
        for k in 0..3 {
            let kf = k as f32;
            let (bottom, half) = (0.3 - kf * 0.24, 0.34 - kf * 0.08);
            p.poly(
                &[(0.0, bottom - 0.42), (half, bottom), (-half, bottom)],
                p.sideways(-half, half, base),
            );
        }
        return;
    }
    let paint = p.round(0.0, -0.15, 0.4, base);
    for (dx, dy, r) in [
        (-0.18, -0.02, 0.2),
        (0.18, -0.02, 0.2),
        (0.0, -0.15, 0.28),
        (-0.1, -0.3, 0.2),
        (0.12, -0.28, 0.2),
    ] {
        p.circle(dx, dy, r, paint);
    }
}

fn flower(p: &mut Pen, it: &Item, base: Rgb, stem: Rgb) {
    p.seg((0.0, 0.5), (0.04, -0.15), 0.022, Paint::Solid(stem));
    p.ellipse(0.1, 0.2, 0.1, 0.035, -0.6, Paint::Solid(stem));
    let (hx, hy) = (0.04, -0.22);
    let petal = p.round(hx, hy, 0.3, base);
    for k in 0..6 {
        let a = k as f32 * std::f32::consts::TAU / 6.0 + it.tilt;
        p.ellipse(
            hx + 0.13 * a.cos(),
            hy + 0.13 * a.sin(),
            0.13,
            0.07,
            a,
            petal,
        );
    }
    let centre = it.accent.unwrap_or(rgb(0.95, 0.72, 0.1));
    p.circle(hx, hy, 0.075, p.round(hx, hy, 0.075, centre));
}

fn mushroom(p: &mut Pen, base: Rgb, stem: Rgb) {
    p.rect(0.0, 0.3, 0.09, 0.2, 0.05, p.sideways(-0.09, 0.09, stem));
    let cap: Vec<(f32, f32)> = (0..=12)
        .map(|i| {
            let a = i as f32 / 12.0 * std::f32::consts::PI;
            (0.45 * a.cos(), 0.12 - 0.55 * a.sin())
        })
        .collect();
    p.poly(&cap, p.round(0.0, -0.2, 0.5, base));
    for (dx, dy, r) in [
        (-0.2, -0.05, 0.05),
        (0.05, -0.25, 0.06),
        (0.22, -0.05, 0.04),
        (-0.05, 0.02, 0.035),
    ] {
        p.circle(dx, dy, r, Paint::Solid(WHITE));
    }
}

fn window_colour(scene: &Scene) -> Rgb {
    if scene.time == Time::Night {
        rgb(1.0, 0.82, 0.4)
    } else {
        rgb(0.55, 0.74, 0.88).mul(scene.light)
    }
}

fn house(p: &mut Pen, it: &Item, base: Rgb, scene: &Scene) {
    let roof = it.accent.unwrap_or(rgb(0.66, 0.2, 0.14)).mul(scene.light);
    p.rect(
        0.22,
        -0.22,
        0.05,
        0.12,
        0.0,
        Paint::Solid(rgb(0.45, 0.3, 0.25).mul(scene.light)),
    );
    p.rect(0.0, 0.22, 0.4, 0.28, 0.0, p.sideways(-0.4, 0.4, base));
    p.poly(
        &[(-0.5, -0.04), (0.5, -0.04), (0.0, -0.5)],
        p.sideways(-0.5, 0.5, roof),
    );
    p.rect(
        -0.15,
        0.36,
        0.07,
        0.14,
        0.01,
        Paint::Solid(WOOD.mul(scene.light)),
    );
    let glass = window_colour(scene);
    for dx in [0.16, -0.15] {
        let dy = if dx > 0.0 { 0.18 } else { 0.1 };
        p.rect(
            dx,
            dy,
            0.085,
            0.075,
            0.0,
            Paint::Solid(WHITE.mul(scene.light)),
        );
        p.rect(dx, dy, 0.065, 0.055, 0.0, Paint::Solid(glass));
        if scene.time == Time::Night {
            p.glow(dx, dy, 0.2, glass, 0.3);
        }
    }
}

fn tower(p: &mut Pen, it: &Item, base: Rgb, scene: &Scene) {
    let roof = it.accent.unwrap_or(rgb(0.25, 0.3, 0.48)).mul(scene.light);
    let glass = window_colour(scene);
    match it.variant {
        1 => {
            // A castle: a keep between two round-roofed towers.
            p.rect(0.0, 0.25, 0.3, 0.25, 0.0, p.sideways(-0.3, 0.3, base));
            for k in 0..5 {
                p.rect(
                    -0.24 + k as f32 * 0.12,
                    -0.02,
                    0.035,
                    0.04,
                    0.0,
                    p.sideways(-0.3, 0.3, base),
                );
            }
            for side in [-1.0f32, 1.0] {
                p.rect(
                    side * 0.33,
                    0.12,
                    0.1,
                    0.38,
                    0.0,
                    p.sideways(side * 0.33 - 0.1, side * 0.33 + 0.1, base.darken(0.08)),
                );
                p.poly(
                    &[
                        (side * 0.33 - 0.13, -0.26),
                        (side * 0.33 + 0.13, -0.26),
                        (side * 0.33, -0.5),
                    ],
                    Paint::Solid(roof),
                );
                p.rect(side * 0.33, 0.0, 0.025, 0.05, 0.02, Paint::Solid(glass));
            }
            p.rect(0.0, 0.4, 0.08, 0.1, 0.06, Paint::Solid(DARK));
            p.seg((0.33, -0.5), (0.33, -0.62), 0.006, Paint::Solid(DARK));
            p.poly(
                &[(0.33, -0.62), (0.45, -0.58), (0.33, -0.54)],
                Paint::Solid(rgb(0.85, 0.15, 0.15)),
            );
        }
        2 => {
            // A lighthouse: striped taper, lamp room, beam.
            let stripe = it.accent.unwrap_or(rgb(0.8, 0.12, 0.12)).mul(scene.light);
            p.poly(
                &[(-0.14, 0.5), (0.14, 0.5), (0.09, -0.25), (-0.09, -0.25)],
                p.sideways(-0.14, 0.14, base),
            );
            for (y0, y1) in [(0.25, 0.1), (-0.05, -0.15)] {
                let (a, b) = (
                    0.14 - (0.5 - y0) / 0.75 * 0.05,
                    0.14 - (0.5 - y1) / 0.75 * 0.05,
                );
                p.poly(
                    &[(-a, y0), (a, y0), (b, y1), (-b, y1)],
                    p.sideways(-a, a, stripe),
                );
            }
            p.rect(
                0.0,
                -0.31,
                0.07,
                0.06,
                0.0,
                Paint::Solid(rgb(1.0, 0.9, 0.5)),
            );
            p.poly(
                &[(-0.1, -0.37), (0.1, -0.37), (0.0, -0.47)],
                Paint::Solid(DARK),
            );
            p.glow(
                0.0,
                -0.31,
                if scene.time == Time::Day { 0.2 } else { 0.6 },
                rgb(1.0, 0.9, 0.5),
                0.7,
            );
        }
        3 => {
            p.rect(0.0, 0.0, 0.15, 0.5, 0.0, p.sideways(-0.15, 0.15, base));
            for row in 0..14 {
                for col in 0..4 {
                    if (row * 7 + col * 3 + it.salt as usize) % 5 != 0 || scene.time != Time::Night
                    {
                        let lit = if scene.time == Time::Night {
                            glass
                        } else {
                            base.lighten(0.3)
                        };
                        p.rect(
                            -0.105 + col as f32 * 0.07,
                            -0.45 + row as f32 * 0.065,
                            0.022,
                            0.02,
                            0.0,
                            Paint::Solid(lit),
                        );
                    }
                }
            }
        }
        _ => {
            p.rect(0.0, 0.15, 0.13, 0.35, 0.0, p.sideways(-0.13, 0.13, base));
            p.poly(
                &[(-0.18, -0.2), (0.18, -0.2), (0.0, -0.5)],
                p.sideways(-0.18, 0.18, roof),
            );
            for dy in [-0.05, 0.15] {
                p.rect(0.0, dy, 0.03, 0.06, 0.03, Paint::Solid(glass));
            }
        }
    }
}

fn arch(p: &mut Pen, it: &Item, base: Rgb) {
    if it.variant == 1 {
        let c = p.pt(0.0, 0.75);
        let ring = super::canvas::Shape::Ring {
            c,
            r: p.len(0.85),
            half_width: p.len(0.06),
            upper: true,
        };
        p.fill(ring, p.vertical(-0.1, 0.5, base));
        p.rect(0.0, -0.13, 1.0, 0.04, 0.0, p.vertical(-0.17, -0.09, base));
        for dx in [-0.45, 0.0, 0.45] {
            p.rect(dx, -0.2, 0.012, 0.08, 0.0, Paint::Solid(base.darken(0.2)));
        }
        return;
    }
    for side in [-1.0, 1.0] {
        p.rect(
            side * 0.3,
            0.15,
            0.08,
            0.35,
            0.0,
            p.sideways(side * 0.3 - 0.08, side * 0.3 + 0.08, base),
        );
    }
    let ring = super::canvas::Shape::Ring {
        c: p.pt(0.0, -0.2),
        r: p.len(0.3),
        half_width: p.len(0.08),
        upper: true,
    };
    p.fill(ring, p.vertical(-0.5, -0.2, base));
}

fn car(p: &mut Pen, base: Rgb, glass: Rgb) {
    p.poly(
        &[(-0.55, 0.0), (0.6, 0.0), (0.35, -0.45), (-0.4, -0.45)],
        p.vertical(-0.45, 0.0, base),
    );
    p.poly(
        &[
            (-0.45, -0.04),
            (-0.05, -0.04),
            (-0.05, -0.38),
            (-0.33, -0.38),
        ],
        Paint::Solid(glass),
    );
    p.poly(
        &[(0.03, -0.04), (0.5, -0.04), (0.3, -0.38), (0.03, -0.38)],
        Paint::Solid(glass),
    );
    p.rect(0.0, 0.12, 1.05, 0.2, 0.1, p.vertical(-0.08, 0.32, base));
    p.ellipse(
        1.0,
        0.06,
        0.05,
        0.04,
        0.0,
        Paint::Solid(rgb(1.0, 0.92, 0.6)),
    );
    for dx in [-0.6, 0.6] {
        p.circle(dx, 0.3, 0.2, Paint::Solid(rgb(0.08, 0.08, 0.09)));
        p.circle(dx, 0.3, 0.09, p.round(dx, 0.3, 0.09, rgb(0.75, 0.76, 0.78)));
    }
}

fn boat(p: &mut Pen, it: &Item, base: Rgb, mast: Rgb) {
    let sail = it.accent.unwrap_or(base.mix(WHITE, 0.7));
    p.seg((0.0, 0.22), (0.0, -0.5), 0.012, Paint::Solid(mast));
    p.poly(
        &[(0.03, -0.46), (0.03, 0.16), (0.45, 0.16)],
        p.sideways(0.03, 0.45, sail),
    );
    p.poly(
        &[(-0.03, -0.36), (-0.03, 0.16), (-0.34, 0.16)],
        p.sideways(-0.34, -0.03, sail.darken(0.08)),
    );
    p.poly(
        &[(-0.55, 0.22), (0.6, 0.22), (0.42, 0.45), (-0.42, 0.45)],
        p.vertical(0.22, 0.45, base),
    );
    p.rect(0.0, 0.27, 0.55, 0.02, 0.0, Paint::Solid(base.darken(0.4)));
}
