//! The sky (or backdrop) and the ground for each terrain: hills, dunes, water,
//! tree lines, skylines, tables.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::canvas::{Canvas, Paint, Shape, gradient_at, v2};
use super::color::{Rgb, WHITE, rgb};
use super::intent::{Kind, Terrain, Time};
use super::look::Look;
use super::scene::Scene;

/// Quantises a gradient position into bands in poster style.
fn band(look: Look, t: f32, bands: f32) -> f32 {
    if look.flat {
        ((t * bands).floor() + 0.5) / bands
    } else {
        t
    }
}

/// Fills everything below `curve(x)` (a pixel row per column), graded from `c0`
/// at row `y0` to `c1` at the bottom, anti-aliased along the curve.
fn fill_under(cv: &mut Canvas, look: Look, curve: &dyn Fn(f32) -> f32, y0: f32, c0: Rgb, c1: Rgb) {
    let span = (cv.h as f32 - y0).max(1.0);
    for x in 0..cv.w {
        let top = curve(x as f32 + 0.5).max(0.0);
        let first = top.floor() as usize;
        for y in first.min(cv.h)..cv.h {
            let t = band(look, ((y as f32 - y0) / span).clamp(0.0, 1.0), 3.0);
            let cov = if y == first {
                1.0 - (top - first as f32)
            } else {
                1.0
            };
            let p = &mut cv.px[y * cv.w + x];
            *p = p.mix(c0.mix(c1, t), cov);
        }
    }
}

pub(crate) fn sky(cv: &mut Canvas, scene: &Scene, look: Look, rng: &mut ChaCha8Rng) {
    let (w, h) = (scene.w, scene.h);
    let unit = cv.unit();
    let indoor = matches!(scene.terrain, Terrain::Studio | Terrain::Table);
    let bottom = if indoor { h } else { scene.horizon.max(1.0) };
    let stops = [
        (0.0, scene.sky[0]),
        (0.55, scene.sky[1]),
        (1.0, scene.sky[2]),
    ];
    for y in 0..cv.h {
        let t = band(look, (y as f32 + 0.5) / bottom, 6.0).min(1.0);
        cv.px[y * cv.w..(y + 1) * cv.w].fill(gradient_at(&stops, t));
    }
    if indoor && !look.flat {
        cv.glow(v2(w * 0.5, h * 0.35), unit * 0.8, scene.sky[2], 0.25);
    }
    if scene.terrain == Terrain::Space {
        for k in 0..3 {
            let c = v2(rng.random_range(0.0..w), rng.random_range(0.0..h));
            let colour = if k == 1 {
                rgb(0.15, 0.35, 0.85)
            } else {
                scene.accent
            };
            look.glow(cv, c, unit * rng.random_range(0.35..0.7), colour, 0.35);
        }
    }
    if scene.time == Time::Night && !indoor || scene.terrain == Terrain::Space {
        let n = (w * bottom / 1500.0) as usize;
        for _ in 0..n {
            let c = v2(rng.random_range(0.0..w), rng.random_range(0.0..bottom));
            let r = unit * rng.random_range(0.0012..0.0035);
            let a = rng.random_range(0.4..1.0);
            cv.fill(&Shape::Circle { c, r }, Paint::Solid(WHITE), a, 1.0);
            if rng.random_bool(0.04) && !look.flat {
                cv.glow(c, r * 10.0, rgb(0.6, 0.7, 1.0), 0.35);
            }
        }
    }
    if scene.terrain == Terrain::Underwater {
        for _ in 0..4 {
            let x = rng.random_range(0.0..w);
            let spread = unit * rng.random_range(0.05..0.12);
            let slant = unit * rng.random_range(-0.3..0.3);
            let paint = Paint::Linear {
                p0: v2(0.0, 0.0),
                p1: v2(0.0, h),
                c0: rgb(0.8, 0.98, 1.0),
                c1: scene.sky[2],
            };
            // Nested faint beams read as one soft-edged ray, at scanline-fill cost.
            let layers: &[f32] = if look.flat { &[1.0] } else { &[1.0, 0.7, 0.4] };
            for &k in layers {
                let ray = Shape::Poly(vec![
                    v2(x - spread * 0.3 * k, 0.0),
                    v2(x + spread * 0.3 * k, 0.0),
                    v2(x + slant + spread * k, h),
                    v2(x + slant - spread * k, h),
                ]);
                cv.fill(&ray, paint, if look.flat { 0.18 } else { 0.07 }, 1.0);
            }
        }
    }
    if scene.terrain == Terrain::City {
        skyline(cv, scene, look, rng);
        if scene.neon {
            neon_signs(cv, scene, look, rng);
        }
    }
    if scene.terrain == Terrain::Forest {
        treeline(cv, scene, look, rng);
    }
}

pub(crate) fn ground(cv: &mut Canvas, scene: &Scene, look: Look, rng: &mut ChaCha8Rng) {
    let (w, h, hz) = (scene.w, scene.h, scene.horizon);
    let unit = cv.unit();
    let lit = |c: Rgb| c.mul(scene.light);
    let [g0, g1] = scene.ground.map(lit);
    let phase: f32 = rng.random_range(0.0..std::f32::consts::TAU);
    let f = std::f32::consts::TAU / w.max(1.0);
    match scene.terrain {
        Terrain::Studio => {
            let floor = scene.sky[1].darken(0.1);
            fill_under(cv, look, &|_| hz, hz, floor, floor.darken(0.25));
            if !look.flat {
                let edge = Shape::Rect {
                    c: v2(w * 0.5, hz),
                    hw: w,
                    hh: unit * 0.01,
                    radius: 0.0,
                    angle: 0.0,
                };
                cv.fill(&edge, Paint::Solid(scene.sky[1]), 0.6, unit * 0.03);
            }
        }
        Terrain::Table => {
            fill_under(cv, look, &|_| hz, hz, g0, g1);
            let edge = Shape::Rect {
                c: v2(w * 0.5, hz),
                hw: w,
                hh: unit * 0.006,
                radius: 0.0,
                angle: 0.0,
            };
            cv.fill(&edge, Paint::Solid(g0.lighten(0.25)), 0.8, 1.0);
            for _ in 0..10 {
                let y = rng.random_range(hz..h);
                let x = rng.random_range(-0.2..0.8) * w;
                let grain = Shape::Segment {
                    a: v2(x, y),
                    b: v2(x + w * 0.5, y + unit * 0.01),
                    r: unit * 0.002,
                };
                cv.fill(&grain, Paint::Solid(g1.darken(0.2)), 0.4, 1.0);
            }
        }
        Terrain::Ocean => ocean(cv, scene, look, rng),
        Terrain::Desert => {
            let far = g0.mix(scene.sky[2], 0.3);
            let amp = unit * 0.05;
            fill_under(
                cv,
                look,
                &|x| hz - amp * (0.6 + 0.4 * (x * f * 1.3 + phase).sin()),
                hz,
                far,
                g0,
            );
            fill_under(
                cv,
                look,
                &|x| hz + unit * 0.08 + amp * (x * f * 0.9 + phase * 2.0).sin(),
                hz,
                g0,
                g1,
            );
            let near = g1.darken(0.1);
            fill_under(
                cv,
                look,
                &|x| h * 0.86 + amp * (x * f * 1.7 - phase).sin(),
                hz,
                near,
                near.darken(0.2),
            );
        }
        Terrain::Space => {}
        Terrain::Underwater => {
            fill_under(
                cv,
                look,
                &|x| hz + unit * 0.03 * (x * f * 2.0 + phase).sin(),
                hz,
                g0,
                g1,
            );
            for i in 0..6 {
                let x = w * (i as f32 + rng.random_range(0.2..0.8)) / 6.0;
                let top = hz - unit * rng.random_range(0.1..0.3);
                let weed = Shape::Segment {
                    a: v2(x, hz + unit * 0.02),
                    b: v2(x + unit * 0.03, top),
                    r: unit * 0.012,
                };
                cv.fill(
                    &weed,
                    look.vertical(top, hz, rgb(0.15, 0.50, 0.30)),
                    1.0,
                    1.0,
                );
            }
            for _ in 0..12 {
                let c = v2(rng.random_range(0.0..w), rng.random_range(0.0..hz));
                let r = unit * rng.random_range(0.006..0.018);
                let ring = Shape::Ring {
                    c,
                    r,
                    half_width: r * 0.15,
                    upper: false,
                };
                cv.fill(&ring, Paint::Solid(rgb(0.85, 0.95, 1.0)), 0.6, 1.0);
            }
        }
        _ => {
            // Rolling hills: a hazy far layer, then the near ground.
            let far = g0.mix(scene.sky[2], 0.35);
            let amp = unit * rng.random_range(0.03..0.08);
            let (p1, p2) = (phase, phase * 1.7);
            fill_under(
                cv,
                look,
                &|x| hz - amp * (0.5 + 0.5 * (x * f * 1.2 + p1).sin()),
                hz,
                far,
                g0,
            );
            let near = &|x: f32| hz + unit * 0.015 * (x * f * 2.1 + p2).sin();
            fill_under(cv, look, near, hz, g0, g1);
        }
    }
}

fn ocean(cv: &mut Canvas, scene: &Scene, look: Look, rng: &mut ChaCha8Rng) {
    let (w, h, hz) = (scene.w, scene.h, scene.horizon);
    let unit = cv.unit();
    let water = scene.water.mul(scene.light.lighten(0.3));
    fill_under(
        cv,
        look,
        &|_| hz,
        hz,
        water.lighten(0.15).mix(scene.sky[2], 0.3),
        water.darken(0.35),
    );
    // Reflections of the sun or moon: a broken column of light on the water.
    for it in scene
        .items
        .iter()
        .filter(|i| matches!(i.kind, Kind::Sun | Kind::Moon))
    {
        for k in 0..14 {
            let y = hz + (h - hz) * (k as f32 + 0.5) / 14.0;
            let half = it.size * (0.35 + 0.05 * k as f32) * rng.random_range(0.4..1.0);
            let shine = Shape::Rect {
                c: v2(it.x, y),
                hw: half,
                hh: unit * 0.004,
                radius: unit * 0.004,
                angle: 0.0,
            };
            cv.fill(&shine, Paint::Solid(it.color.lighten(0.3)), 0.55, 1.0);
        }
    }
    let waves = (w * (h - hz) / 900.0) as usize;
    for _ in 0..waves {
        let y = rng.random_range(hz..h);
        let depth = (y - hz) / (h - hz).max(1.0);
        let x = rng.random_range(0.0..w);
        let len = unit * (0.01 + 0.05 * depth);
        let crest = Shape::Segment {
            a: v2(x, y),
            b: v2(x + len, y),
            r: (unit * 0.002 * (1.0 + depth)).max(0.5),
        };
        cv.fill(&crest, Paint::Solid(water.lighten(0.45)), 0.4, 1.0);
    }
    if let Some(sand) = scene.shore {
        let [s0, s1] = scene.ground.map(|c| c.mul(scene.light));
        let f = std::f32::consts::TAU / w.max(1.0);
        let phase: f32 = rng.random_range(0.0..std::f32::consts::TAU);
        let shore = move |x: f32| sand + unit * 0.03 * (x * f * 1.1 + phase).sin();
        fill_under(
            cv,
            look,
            &|x| shore(x) - unit * 0.012,
            hz,
            rgb(0.95, 0.97, 1.0),
            rgb(0.95, 0.97, 1.0),
        );
        fill_under(cv, look, &shore, sand, s0, s1);
    }
}

fn skyline(cv: &mut Canvas, scene: &Scene, look: Look, rng: &mut ChaCha8Rng) {
    let (w, hz) = (scene.w, scene.horizon);
    let unit = cv.unit();
    let night = scene.time == Time::Night;
    for row in 0..2 {
        let haze = if row == 0 { 0.55 } else { 0.25 };
        let base = rgb(0.22, 0.25, 0.32)
            .mix(scene.sky[2], haze)
            .mul(scene.light.lighten(0.4));
        let mut x = -rng.random_range(0.0..unit * 0.05);
        while x < w {
            let bw = unit * rng.random_range(0.05..0.13);
            let bh = unit * rng.random_range(0.08..0.38) * if row == 0 { 1.2 } else { 0.8 };
            let body = Shape::Rect {
                c: v2(x + bw * 0.5, hz - bh * 0.5 + 1.0),
                hw: bw * 0.5,
                hh: bh * 0.5,
                radius: 0.0,
                angle: 0.0,
            };
            let shade = base.darken(rng.random_range(0.0..0.2));
            cv.fill(&body, look.sideways(x, x + bw, shade), 1.0, 1.0);
            if row == 1 {
                let win = if night {
                    rgb(1.0, 0.85, 0.45)
                } else {
                    shade.lighten(0.25)
                };
                let step = unit * 0.022;
                let mut wy = hz - bh + step;
                while wy < hz - step {
                    let mut wx = x + step * 0.7;
                    while wx < x + bw - step * 0.5 {
                        if rng.random_bool(if night { 0.45 } else { 0.7 }) {
                            let pane = Shape::Rect {
                                c: v2(wx, wy),
                                hw: step * 0.22,
                                hh: step * 0.28,
                                radius: 0.0,
                                angle: 0.0,
                            };
                            cv.fill(&pane, Paint::Solid(win), 0.9, 1.0);
                        }
                        wx += step;
                    }
                    wy += step * 1.2;
                }
            }
            x += bw + unit * rng.random_range(0.0..0.02);
        }
    }
}

/// Neon signs on the buildings, in the colours the prompt names.
fn neon_signs(cv: &mut Canvas, scene: &Scene, look: Look, rng: &mut ChaCha8Rng) {
    let unit = cv.unit();
    let mut colours = scene.palette.clone();
    colours.extend(scene.lamp);
    if colours.is_empty() {
        colours = vec![rgb(1.0, 0.2, 0.7), rgb(0.1, 0.9, 1.0)];
    }
    for k in 0..5 {
        let c = colours[k % colours.len()].lighten(0.2);
        let centre = v2(
            rng.random_range(0.0..scene.w),
            scene.horizon - unit * rng.random_range(0.05..0.25),
        );
        let (hw, hh) = if rng.random_bool(0.5) {
            (unit * 0.06, unit * 0.012)
        } else {
            (unit * 0.012, unit * 0.05)
        };
        look.glow(cv, centre, unit * 0.15, c, 0.45);
        let bar = Shape::Rect {
            c: centre,
            hw,
            hh,
            radius: hh.min(hw),
            angle: 0.0,
        };
        cv.fill(&bar, Paint::Solid(c.lighten(0.4)), 1.0, 1.0);
    }
}

fn treeline(cv: &mut Canvas, scene: &Scene, look: Look, rng: &mut ChaCha8Rng) {
    let (w, hz) = (scene.w, scene.horizon);
    let unit = cv.unit();
    for row in 0..2 {
        let haze = if row == 0 { 0.5 } else { 0.2 };
        let colour = rgb(0.08, 0.30, 0.16)
            .mix(scene.sky[2], haze)
            .mul(scene.light.lighten(0.3));
        let mut x = -unit * 0.02;
        while x < w + unit * 0.05 {
            let th = unit * rng.random_range(0.12..0.24) * if row == 0 { 0.8 } else { 1.1 };
            let tw = th * 0.38;
            let base = hz + unit * 0.02;
            let tree = Shape::Poly(vec![v2(x, base - th), v2(x + tw, base), v2(x - tw, base)]);
            cv.fill(
                &tree,
                look.sideways(x - tw, x + tw, colour.darken(rng.random_range(0.0..0.2))),
                1.0,
                1.0,
            );
            x += tw * rng.random_range(0.7..1.3);
        }
    }
}
