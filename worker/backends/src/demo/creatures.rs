//! People and animals: figures, portraits, cats and rabbits, four-legged
//! beasts, fish. Offsets are fractions of the thing's height from its centre.

use super::canvas::{Paint, Shape, v2};
use super::color::{Rgb, WHITE, rgb};
use super::pen::Pen;
use super::scene::{Item, Scene};
use super::things::DARK;

fn skin(salt: u32) -> Rgb {
    [
        rgb(0.96, 0.80, 0.68),
        rgb(0.87, 0.66, 0.50),
        rgb(0.72, 0.50, 0.34),
        rgb(0.50, 0.33, 0.22),
        rgb(0.36, 0.24, 0.16),
    ][(salt % 5) as usize]
}

fn hair(it: &Item) -> Rgb {
    it.accent.unwrap_or(
        [
            rgb(0.12, 0.08, 0.05),
            rgb(0.35, 0.22, 0.1),
            rgb(0.8, 0.62, 0.3),
            rgb(0.55, 0.2, 0.08),
        ][(it.salt / 5 % 4) as usize],
    )
}

pub(crate) fn person(p: &mut Pen, it: &Item, base: Rgb, scene: &Scene) {
    let skin = skin(it.salt).mul(scene.light);
    let hair = hair(it).mul(scene.light);
    if it.variant == 1 {
        // Head and shoulders.
        p.poly(
            &[
                (-0.42, 0.5),
                (0.42, 0.5),
                (0.36, 0.22),
                (0.14, 0.12),
                (-0.14, 0.12),
                (-0.36, 0.22),
            ],
            p.sideways(-0.42, 0.42, base),
        );
        p.rect(0.0, 0.06, 0.07, 0.1, 0.03, Paint::Solid(skin.darken(0.15)));
        p.ellipse(0.0, -0.12, 0.16, 0.2, 0.0, p.round(0.0, -0.12, 0.2, skin));
        let cap = Shape::Crescent {
            c: p.pt(0.0, -0.16),
            r: p.len(0.18),
            cut: v2(0.0, p.len(0.1)),
            cut_r: p.len(0.17),
        };
        p.fill(cap, p.round(0.0, -0.25, 0.2, hair));
        for side in [-1.0, 1.0] {
            p.ellipse(
                side * 0.06,
                -0.12,
                0.022,
                0.014,
                0.0,
                Paint::Solid(WHITE.mul(scene.light)),
            );
            p.circle(side * 0.06, -0.12, 0.011, Paint::Solid(DARK));
        }
        p.ellipse(
            0.0,
            -0.01,
            0.04,
            0.012,
            0.0,
            Paint::Solid(rgb(0.7, 0.3, 0.3).mul(scene.light)),
        );
        return;
    }
    let legs = rgb(0.2, 0.22, 0.3).mul(scene.light);
    for side in [-1.0, 1.0] {
        p.seg(
            (side * 0.06, 0.08),
            (side * 0.07, 0.46),
            0.04,
            Paint::Solid(legs),
        );
        p.ellipse(side * 0.08, 0.48, 0.05, 0.02, 0.0, Paint::Solid(DARK));
    }
    let dress = it.salt % 2 == 0;
    let body: &[(f32, f32)] = if dress {
        &[(-0.12, -0.28), (0.12, -0.28), (0.22, 0.22), (-0.22, 0.22)]
    } else {
        &[(-0.13, -0.28), (0.13, -0.28), (0.15, 0.1), (-0.15, 0.1)]
    };
    for side in [-1.0, 1.0] {
        p.seg(
            (side * 0.13, -0.25),
            (side * 0.22, 0.02),
            0.038,
            Paint::Solid(base.darken(0.15)),
        );
        p.circle(side * 0.22, 0.04, 0.035, Paint::Solid(skin));
    }
    p.poly(body, p.sideways(-0.2, 0.2, base));
    p.rect(0.0, -0.31, 0.03, 0.04, 0.0, Paint::Solid(skin.darken(0.15)));
    p.circle(0.0, -0.4, 0.09, p.round(0.0, -0.4, 0.09, skin));
    let cap = Shape::Crescent {
        c: p.pt(0.0, -0.42),
        r: p.len(0.095),
        cut: v2(0.0, p.len(0.05)),
        cut_r: p.len(0.09),
    };
    p.fill(cap, Paint::Solid(hair));
}

pub(crate) fn cat(p: &mut Pen, it: &Item, base: Rgb) {
    let rabbit = it.variant == 1;
    if !rabbit {
        p.seg(
            (0.2, 0.42),
            (0.36, 0.0),
            0.045,
            Paint::Solid(base.darken(0.1)),
        );
    }
    p.ellipse(0.0, 0.22, 0.25, 0.28, 0.0, p.round(0.0, 0.2, 0.3, base));
    p.ellipse(0.0, 0.28, 0.12, 0.18, 0.0, Paint::Solid(base.lighten(0.25)));
    if rabbit {
        for side in [-1.0, 1.0] {
            p.ellipse(
                side * 0.08,
                -0.33,
                0.055,
                0.17,
                side * 0.15,
                p.round(side * 0.08, -0.33, 0.17, base),
            );
            p.ellipse(
                side * 0.08,
                -0.32,
                0.025,
                0.12,
                side * 0.15,
                Paint::Solid(rgb(0.95, 0.65, 0.7)),
            );
        }
    } else {
        for side in [-1.0, 1.0] {
            p.poly(
                &[
                    (side * 0.18, -0.16),
                    (side * 0.04, -0.26),
                    (side * 0.16, -0.42),
                ],
                Paint::Solid(base.darken(0.1)),
            );
            p.poly(
                &[
                    (side * 0.15, -0.2),
                    (side * 0.08, -0.25),
                    (side * 0.14, -0.34),
                ],
                Paint::Solid(rgb(0.95, 0.65, 0.7)),
            );
        }
    }
    p.circle(0.0, -0.14, 0.19, p.round(0.0, -0.14, 0.19, base));
    for side in [-1.0, 1.0] {
        let eye = if rabbit { DARK } else { rgb(0.7, 0.85, 0.2) };
        p.ellipse(side * 0.075, -0.17, 0.03, 0.035, 0.0, Paint::Solid(eye));
        p.ellipse(side * 0.075, -0.17, 0.01, 0.03, 0.0, Paint::Solid(DARK));
        p.seg(
            (side * 0.05, -0.08),
            (side * 0.2, -0.1),
            0.004,
            Paint::Solid(WHITE),
        );
    }
    p.poly(
        &[(-0.025, -0.1), (0.025, -0.1), (0.0, -0.075)],
        Paint::Solid(rgb(0.9, 0.5, 0.55)),
    );
}

pub(crate) fn beast(p: &mut Pen, it: &Item, base: Rgb) {
    let tall = it.variant == 1;
    let (body_y, leg_top) = if tall { (-0.05, 0.0) } else { (0.05, 0.1) };
    let legs = base.darken(0.2);
    for (dx, shade) in [(-0.28, 0.15), (0.3, 0.15), (-0.2, 0.0), (0.38, 0.0)] {
        p.seg(
            (dx, leg_top),
            (dx + 0.02, 0.47),
            if tall { 0.04 } else { 0.05 },
            Paint::Solid(legs.darken(shade)),
        );
    }
    p.seg(
        (-0.4, body_y),
        (-0.6, body_y - 0.1 + if tall { 0.3 } else { -0.2 }),
        0.04,
        Paint::Solid(base.darken(0.1)),
    );
    p.ellipse(
        0.0,
        body_y,
        0.45,
        0.19,
        0.0,
        p.round(0.0, body_y - 0.05, 0.45, base),
    );
    if tall {
        p.seg(
            (0.32, body_y - 0.05),
            (0.5, -0.38),
            0.085,
            p.round(0.4, -0.2, 0.25, base),
        );
        p.ellipse(
            0.6,
            -0.36,
            0.16,
            0.075,
            0.5,
            p.round(0.58, -0.38, 0.16, base),
        );
        p.poly(
            &[(0.44, -0.42), (0.5, -0.5), (0.52, -0.4)],
            Paint::Solid(base.darken(0.2)),
        );
        p.circle(0.57, -0.4, 0.018, Paint::Solid(DARK));
    } else {
        p.circle(0.42, -0.2, 0.17, p.round(0.42, -0.2, 0.17, base));
        p.ellipse(
            0.58,
            -0.14,
            0.1,
            0.065,
            0.0,
            Paint::Solid(base.lighten(0.15)),
        );
        p.circle(0.67, -0.15, 0.03, Paint::Solid(DARK));
        p.poly(
            &[(0.3, -0.28), (0.38, -0.46), (0.44, -0.3)],
            Paint::Solid(base.darken(0.2)),
        );
        p.circle(0.47, -0.25, 0.022, Paint::Solid(DARK));
    }
}

pub(crate) fn fish(p: &mut Pen, base: Rgb) {
    p.poly(
        &[(-0.38, 0.0), (-0.72, -0.24), (-0.66, 0.0), (-0.72, 0.24)],
        Paint::Solid(base.darken(0.15)),
    );
    p.poly(
        &[(-0.1, -0.2), (0.15, -0.2), (-0.15, -0.38)],
        Paint::Solid(base.darken(0.1)),
    );
    p.ellipse(0.0, 0.0, 0.48, 0.25, 0.0, p.round(0.0, 0.0, 0.48, base));
    p.ellipse(0.05, 0.1, 0.25, 0.07, 0.0, Paint::Solid(base.lighten(0.25)));
    p.circle(0.28, -0.05, 0.055, Paint::Solid(WHITE));
    p.circle(0.295, -0.05, 0.03, Paint::Solid(DARK));
}
