//! What makes each demo model different from the faithful one: the confused
//! model's wrong reading of the prompt, and the painterly, low-fi and poster
//! treatments of the picture.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::canvas::{Canvas, hash01, v2};
use super::color::{self, rgb};
use super::intent::{Count, Intent, Kind, Terrain, Time};
use super::text;

/// The confused model reads the prompt and gets it wrong in a consistent way:
/// other shapes, complementary colours, a different place and time, counts off
/// by one and misspelt text. Plausible pictures, unfaithful to the prompt.
pub(crate) fn confuse(intent: &Intent, salt: u64) -> Intent {
    use Kind::*;
    let swap_kind = |k: Kind| match k {
        Circle => Square,
        Square => Triangle,
        Triangle => Circle,
        Star => Heart,
        Heart => Diamond,
        Diamond => Star,
        Spiral => Portal,
        Portal => Spiral,
        Planet => Moon,
        Balloon => Fruit,
        Sun => Moon,
        Moon => Sun,
        Cloud => Balloon,
        Rainbow => Cloud,
        Bird => Butterfly,
        Butterfly => Bird,
        Mountain => Tower,
        Tree => Flower,
        Flower => Tree,
        Mushroom => Tree,
        House => Car,
        Tower => Tree,
        Arch => House,
        Car => Boat,
        Boat => Car,
        Person => Cat,
        Cat => Fish,
        Beast => Person,
        Fish => Bird,
        Fruit => Cup,
        Cup => Cake,
        Bowl => Fruit,
        Cake => Bowl,
        Candle => Flower,
    };
    let mut out = intent.clone();
    for s in &mut out.subjects {
        s.kind = swap_kind(s.kind);
        s.variant = 0;
        s.color = s.color.map(color::swapped);
        s.palette = s.palette.iter().map(|&c| color::swapped(c)).collect();
        s.accent = s.accent.map(color::swapped);
        s.count = match s.count {
            Count::One => Count::One,
            Count::Exactly(n) if n < 4 => Count::Exactly(n + 1),
            Count::Exactly(n) => Count::Exactly(n - 2),
            Count::Several => Count::One,
        };
    }
    out.time = match intent.time {
        Some(Time::Day) => Some(Time::Night),
        Some(Time::Night) => Some(Time::Day),
        Some(Time::Sunset) => Some(Time::Night),
        None => (salt % 3 == 0).then_some(Time::Sunset),
    };
    out.terrain = intent.terrain.map(|t| match t {
        Terrain::Ocean => Terrain::Desert,
        Terrain::Desert => Terrain::Snow,
        Terrain::Snow => Terrain::Ocean,
        Terrain::Forest => Terrain::City,
        Terrain::City => Terrain::Forest,
        Terrain::Meadow => Terrain::Desert,
        Terrain::Space => Terrain::Underwater,
        Terrain::Underwater => Terrain::Space,
        Terrain::Studio => Terrain::Table,
        Terrain::Table => Terrain::Studio,
    });
    out.rain = intent.snowfall;
    out.snowfall = intent.rain;
    out.fog = false;
    for c in [
        &mut out.sky,
        &mut out.water,
        &mut out.backdrop,
        &mut out.ground,
        &mut out.board,
        &mut out.ink,
    ] {
        *c = c.map(color::swapped);
    }
    out.loose = intent.loose.iter().map(|&c| color::swapped(c)).collect();
    out.text = intent.text.as_ref().map(|t| text::garble(t, salt));
    out
}

/// The low-fi model draws only the first thing the prompt names and garbles
/// any text, as weak models do.
pub(crate) fn simplify(intent: &Intent, salt: u64) -> Intent {
    let mut out = intent.clone();
    out.subjects.truncate(1);
    out.fog = false;
    out.text = intent
        .text
        .as_ref()
        .map(|t| text::garble(t, salt.rotate_left(17)));
    out
}

/// Repaints `src` (any size) as overlapping brush strokes on a `w`×`h` canvas:
/// broad strokes along the picture's edges, then finer ones, on textured paper.
pub(crate) fn painterly(src: &Canvas, w: usize, h: usize, seed: u64) -> Canvas {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Canvas::new(w, h, rgb(0.93, 0.9, 0.84));
    let unit = out.unit();
    let (sx, sy) = (
        src.w as f32 / w.max(1) as f32,
        src.h as f32 / h.max(1) as f32,
    );
    // A rough underpainting, so gaps between strokes are never bare paper.
    let paper = rgb(0.93, 0.9, 0.84);
    for y in 0..h {
        let row = ((y as f32 * sy) as usize).min(src.h - 1) * src.w;
        for x in 0..w {
            let c = src.px[row + ((x as f32 * sx) as usize).min(src.w - 1)];
            out.px[y * w + x] = c.mix(paper, 0.25);
        }
    }
    let at = |x: f32, y: f32| src.sample(x * sx, y * sy);
    let luma = |x: f32, y: f32| at(x, y).luma();
    for (spacing, length, width, alpha) in [(0.05, 2.0, 0.46, 0.95), (0.026, 1.9, 0.42, 0.9)] {
        let step = (unit * spacing).max(2.0);
        let mut y = step * 0.5;
        while y < h as f32 {
            let mut x = step * 0.5;
            while x < w as f32 {
                let px = x + rng.random_range(-0.5..0.5) * step;
                let py = y + rng.random_range(-0.5..0.5) * step;
                let (gx, gy) = (
                    luma(px + step, py) - luma(px - step, py),
                    luma(px, py + step) - luma(px, py - step),
                );
                let edge = (gx * gx + gy * gy).sqrt();
                // Fine strokes only where there is detail to carry.
                if spacing < 0.03 && edge < 0.03 && rng.random_bool(0.7) {
                    x += step;
                    continue;
                }
                // Strokes follow edges; in flat areas they drift with a gentle flow.
                let angle = if edge > 0.02 {
                    gy.atan2(gx) + std::f32::consts::FRAC_PI_2
                } else {
                    (px * 0.01 + py * 0.007).sin() * 0.8 + 0.3
                };
                let half = step * length * 0.5 * rng.random_range(0.7..1.2);
                let (dx, dy) = (angle.cos() * half, angle.sin() * half);
                let jitter = rng.random_range(-0.05..0.05);
                let c = at(px, py);
                let c = rgb(c.r + jitter, c.g + jitter * 0.8, c.b + jitter * 0.6);
                let c = c.desaturate(-0.25);
                out.stroke(
                    v2(px - dx, py - dy),
                    v2(px + dx, py + dy),
                    step * width,
                    c,
                    alpha,
                );
                x += step;
            }
            y += step;
        }
    }
    // Paper and pigment texture.
    let salt = seed as u32;
    for y in 0..h {
        for x in 0..w {
            let n = hash01(x as u32 / 2, y as u32, salt) - 0.5;
            let p = &mut out.px[y * w + x];
            *p = rgb(p.r + n * 0.05, p.g + n * 0.05, p.b + n * 0.05);
        }
    }
    out
}

/// Washes out, posterises and adds noise to a small render, then blows it up
/// into big blocks: the look of an early, weak model.
pub(crate) fn lowfi(small: &Canvas, w: usize, h: usize, seed: u64) -> Canvas {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let cast = [
        rgb(0.05, 0.0, 0.04),
        rgb(0.0, 0.04, 0.0),
        rgb(0.04, 0.02, -0.03),
    ][rng.random_range(0..3)];
    let grey = rgb(0.6, 0.58, 0.56);
    let levels = 8.0;
    let mut blocks = blur(small);
    for (i, p) in blocks.px.iter_mut().enumerate() {
        let noise = (hash01(i as u32, 7, seed as u32) - 0.5) * 0.04;
        let c = p.mix(grey, 0.3).add(cast);
        let q = |v: f32| ((v + noise).clamp(0.0, 1.0) * levels).round() / levels;
        *p = rgb(q(c.r), q(c.g), q(c.b));
    }
    let mut out = Canvas::new(w, h, grey);
    let salt = seed as u32 ^ 0x5bd1;
    for y in 0..h {
        let by = (y * blocks.h / h.max(1)).min(blocks.h.saturating_sub(1));
        for x in 0..w {
            let bx = (x * blocks.w / w.max(1)).min(blocks.w.saturating_sub(1));
            let c = blocks.px[by * blocks.w + bx];
            let n = (hash01(x as u32, y as u32, salt) - 0.5) * 0.07;
            out.px[y * w + x] = rgb(c.r + n, c.g + n, c.b + n);
        }
    }
    out
}

/// Half a 3×3 box blur (clamped at the borders): softens edges without losing shapes.
fn blur(src: &Canvas) -> Canvas {
    let mut out = src.clone();
    let (w, h) = (src.w as isize, src.h as isize);
    for y in 0..h {
        for x in 0..w {
            let mut acc = rgb(0.0, 0.0, 0.0);
            for (dx, dy) in [
                (-1, -1),
                (0, -1),
                (1, -1),
                (-1, 0),
                (0, 0),
                (1, 0),
                (-1, 1),
                (0, 1),
                (1, 1),
            ] {
                let (sx, sy) = ((x + dx).clamp(0, w - 1), (y + dy).clamp(0, h - 1));
                acc = acc.add(src.px[(sy * w + sx) as usize]);
            }
            let centre = src.px[(y * w + x) as usize];
            out.px[(y * w + x) as usize] = centre.mix(acc.scale(1.0 / 9.0), 0.5);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::prompt::parse;

    #[test]
    fn confusion_changes_kinds_colours_counts_and_text() {
        let i = parse("three red circles and a sign that says \"HELLO\" at night");
        let c = confuse(&i, 1);
        assert_eq!(c.subjects[0].kind, Kind::Square);
        assert_ne!(c.subjects[0].color, i.subjects[0].color);
        assert_eq!(c.subjects[0].count, Count::Exactly(4));
        assert_eq!(c.time, Some(Time::Day));
        assert_ne!(c.text, i.text);
    }
}
