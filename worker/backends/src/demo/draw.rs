//! Paints a planned [`Scene`]: backdrop, things in depth order, the text panel,
//! then weather and lighting. [`Look`] switches between shaded (gradients,
//! soft shadows, glows) and flat poster rendering.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::backdrop;
use super::canvas::{Canvas, Paint, Shape, hash01, v2};
use super::color::{WHITE, rgb};
use super::intent::Terrain;
use super::look::Look;
use super::scene::Scene;
use super::{text, things};

/// Paints the whole scene at the scene's size.
pub(crate) fn paint(scene: &Scene, look: Look) -> Canvas {
    let (w, h) = (scene.w as usize, scene.h as usize);
    let mut cv = Canvas::new(w, h, scene.sky[1]);
    let mut rng = ChaCha8Rng::seed_from_u64(scene.deco_seed);
    backdrop::sky(&mut cv, scene, look, &mut rng);
    for it in scene.items.iter().filter(|i| i.layer <= 2) {
        things::draw(&mut cv, look, scene, it);
    }
    backdrop::ground(&mut cv, scene, look, &mut rng);
    if scene.dramatic && matches!(scene.terrain, Terrain::Studio | Terrain::Table) {
        spotlight(&mut cv, scene, look);
    }
    for it in scene.items.iter().filter(|i| i.layer > 2) {
        things::draw(&mut cv, look, scene, it);
    }
    if let (Some(t), Some(plan)) = (&scene.text, scene.sign) {
        text::sign(&mut cv, look, scene, plan, t);
    }
    weather(&mut cv, scene, look, &mut rng);
    cv
}

/// A cone of light from above onto the main subject of a dark room.
fn spotlight(cv: &mut Canvas, scene: &Scene, look: Look) {
    let unit = cv.unit();
    let x = scene
        .items
        .iter()
        .find(|i| i.layer >= 3)
        .map_or(scene.w * 0.5, |i| i.x);
    let floor = scene.horizon + (scene.h - scene.horizon) * 0.5;
    let warm = scene.lamp.map_or(rgb(1.0, 0.92, 0.78), |c| c.lighten(0.3));
    let cone = |k: f32| {
        Shape::Poly(vec![
            v2(x - unit * 0.05 * k, 0.0),
            v2(x + unit * 0.05 * k, 0.0),
            v2(x + unit * 0.3 * k, floor),
            v2(x - unit * 0.3 * k, floor),
        ])
    };
    if look.flat {
        cv.fill(&cone(1.0), Paint::Solid(warm), 0.12, 1.0);
    } else {
        let paint = Paint::Linear {
            p0: v2(0.0, 0.0),
            p1: v2(0.0, floor),
            c0: warm.scale(0.5),
            c1: warm,
        };
        // Nested cones give a soft edge at scanline-fill cost.
        for k in [1.1, 0.9, 0.7] {
            cv.fill(&cone(k), paint, 0.06, 1.0);
        }
        cv.glow(v2(x, floor), unit * 0.35, warm, 0.35);
    }
}

fn weather(cv: &mut Canvas, scene: &Scene, look: Look, rng: &mut ChaCha8Rng) {
    let unit = cv.unit();
    let area = (cv.w * cv.h) as f32;
    if scene.rain {
        let n = (area / 700.0) as usize;
        let (dx, dy) = (unit * -0.012, unit * 0.06);
        for _ in 0..n {
            let a = v2(
                rng.random_range(0.0..scene.w),
                rng.random_range(-dy..scene.h),
            );
            let shape = Shape::Segment {
                a,
                b: v2(a.x + dx, a.y + dy),
                r: (unit * 0.0018).max(0.5),
            };
            cv.fill(&shape, Paint::Solid(rgb(0.85, 0.88, 0.95)), 0.35, 1.0);
        }
    }
    if scene.lightning {
        let mut at = v2(scene.w * rng.random_range(0.2..0.8), 0.0);
        let step = scene.horizon.max(unit * 0.2) / 6.0;
        for _ in 0..6 {
            let next = v2(at.x + rng.random_range(-0.6..0.6) * step, at.y + step);
            let bolt = Shape::Segment {
                a: at,
                b: next,
                r: (unit * 0.005).max(0.6),
            };
            if !look.flat {
                cv.glow(next, unit * 0.08, rgb(0.6, 0.6, 1.0), 0.3);
            }
            cv.fill(&bolt, Paint::Solid(rgb(0.95, 0.95, 1.0)), 1.0, 1.0);
            at = next;
        }
    }
    if scene.snowfall {
        let n = (area / 900.0) as usize;
        for _ in 0..n {
            let c = v2(
                rng.random_range(0.0..scene.w),
                rng.random_range(0.0..scene.h),
            );
            let r = unit * rng.random_range(0.002..0.007);
            cv.fill(
                &Shape::Circle { c, r },
                Paint::Solid(WHITE),
                0.85,
                if look.flat { 1.0 } else { 1.6 },
            );
        }
    }
    if scene.fog {
        let fog = scene.sky[2].lighten(0.3);
        let (horizon, h) = (scene.horizon, scene.h.max(1.0));
        for y in 0..cv.h {
            let near = 1.0 - ((y as f32 - horizon).abs() / h * 1.6).min(1.0);
            let amount = 0.2 + 0.45 * near;
            let amount = if look.flat {
                (amount * 4.0).round() / 4.0
            } else {
                amount
            };
            for p in &mut cv.px[y * cv.w..(y + 1) * cv.w] {
                *p = p.mix(fog, amount);
            }
        }
    }
    if look.flat {
        return;
    }
    // A photographic finish: vignette (strong for dramatic prompts) and fine grain.
    let strength = if scene.dramatic { 0.75 } else { 0.22 };
    let (cx, cy) = (scene.w * 0.5, scene.h * 0.5);
    let inv = 1.0 / (cx * cx + cy * cy).max(1.0);
    let salt = scene.deco_seed as u32;
    for y in 0..cv.h {
        let dy = y as f32 + 0.5 - cy;
        for x in 0..cv.w {
            let dx = x as f32 + 0.5 - cx;
            let k = 1.0 - strength * (dx * dx + dy * dy) * inv;
            let grain = (hash01(x as u32, y as u32, salt) - 0.5) * 0.025;
            let p = &mut cv.px[y * cv.w + x];
            *p = rgb(p.r * k + grain, p.g * k + grain, p.b * k + grain);
        }
    }
}
