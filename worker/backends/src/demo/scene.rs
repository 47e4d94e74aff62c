//! Turns what a prompt asks for into a concrete picture plan: the sky and ground
//! colours, where the horizon is, and where each thing stands and how big it is.
//! The seed decides the composition, so different seeds give different pictures
//! of the same prompt.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::color::{Rgb, rgb};
use super::defaults::{
    Place, base_size, default_color, default_terrain, ground_for, half_width, place_of, sky_for,
    sky_size,
};
use super::intent::{Count, Intent, Kind, Terrain, Time};

/// One thing to draw, in pixel coordinates.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub kind: Kind,
    pub color: Rgb,
    pub accent: Option<Rgb>,
    /// Centre of the thing's bounding box.
    pub x: f32,
    pub y: f32,
    /// Overall height in pixels.
    pub size: f32,
    pub variant: u8,
    pub flip: bool,
    /// A small rotation in radians for shapes that may lean.
    pub tilt: f32,
    /// Per-item randomness (skin tone, window pattern, …).
    pub salt: u32,
    /// Drawing order: 0 sky, 1 clouds, 2 mountains, (ground), 3 standing things, 4 floating things.
    pub layer: u8,
    /// Stands on the ground or floor (and so casts a shadow there).
    pub grounded: bool,
}

/// Where a text panel goes: centre, half width, half height.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SignPlan {
    pub x: f32,
    pub y: f32,
    pub hw: f32,
    pub hh: f32,
}

#[derive(Clone, Debug)]
pub(crate) struct Scene {
    pub w: f32,
    pub h: f32,
    pub time: Time,
    pub terrain: Terrain,
    /// Pixel row where sky meets ground (or the floor / table edge).
    pub horizon: f32,
    /// Where an ocean's beach begins (pixel row), if it has one.
    pub shore: Option<f32>,
    /// Sky colours: top, middle, at the horizon.
    pub sky: [Rgb; 3],
    /// Ground colours: far (at the horizon) and near (bottom of the image).
    pub ground: [Rgb; 2],
    pub water: Rgb,
    /// Multiplies the colour of everything that does not emit light.
    pub light: Rgb,
    /// Colour for nebulae, neon and other accents.
    pub accent: Rgb,
    /// The colours the prompt named without attaching them to anything.
    pub palette: Vec<Rgb>,
    /// Colour of spotlights and neon.
    pub lamp: Option<Rgb>,
    pub items: Vec<Item>,
    pub text: Option<String>,
    /// Colours of the text panel and its letters when the prompt names them.
    pub board: Option<Rgb>,
    pub ink: Option<Rgb>,
    pub sign: Option<SignPlan>,
    pub rain: bool,
    pub snowfall: bool,
    pub fog: bool,
    pub dramatic: bool,
    pub neon: bool,
    pub lightning: bool,
    /// Seed for decoration (stars, waves, skyline) so it is stable per image.
    pub deco_seed: u64,
}

/// Plans the picture for `intent` at `w`×`h`; `rng` is seeded from the prompt and seed.
pub(crate) fn layout(intent: &Intent, w: f32, h: f32, rng: &mut ChaCha8Rng) -> Scene {
    let terrain = default_terrain(intent);
    let has_moon = intent.subjects.iter().any(|s| s.kind == Kind::Moon);
    let time = intent
        .time
        .unwrap_or(if has_moon || terrain == Terrain::Space {
            Time::Night
        } else {
            Time::Day
        });
    let unit = w.min(h).max(1.0);

    let horizon_t = match terrain {
        Terrain::Studio => rng.random_range(0.68..0.78),
        Terrain::Table => rng.random_range(0.56..0.66),
        Terrain::Space => 1.0,
        Terrain::Underwater => rng.random_range(0.80..0.88),
        _ => rng.random_range(0.55..0.68),
    };
    let horizon = h * horizon_t;

    let mut sky = sky_for(time, terrain);
    if let Some(c) = intent.sky {
        sky = [c.darken(0.25), c, c.lighten(0.35)];
    }
    if matches!(terrain, Terrain::Studio | Terrain::Table) {
        let base = intent
            .backdrop
            .or(intent.loose.first().map(|c| c.lighten(0.45)))
            .unwrap_or(
                [
                    rgb(0.86, 0.84, 0.80),
                    rgb(0.80, 0.84, 0.88),
                    rgb(0.88, 0.82, 0.76),
                ][rng.random_range(0..3)],
            );
        sky = [base.darken(0.12), base, base.lighten(0.12)];
    }
    if intent.rain {
        sky = sky.map(|c| c.desaturate(0.6).darken(0.25));
    }
    let mut ground = ground_for(terrain);
    if let Some(c) = intent.ground {
        ground = [c.lighten(0.1), c.darken(0.25)];
    }
    let indoors = matches!(terrain, Terrain::Studio | Terrain::Table);
    let mut light = match time {
        _ if indoors => rgb(1.0, 1.0, 1.0),
        Time::Day => rgb(1.0, 1.0, 1.0),
        Time::Sunset => rgb(0.95, 0.78, 0.66),
        Time::Night => rgb(0.42, 0.46, 0.62),
    };
    if indoors && intent.dramatic {
        // A dark room; the spotlight (drawn later) does the lighting.
        sky = sky.map(|c| c.darken(0.85));
        light = rgb(0.8, 0.74, 0.68);
    }
    if intent.silhouette {
        light = rgb(0.07, 0.06, 0.08);
    }
    let water = intent.water.unwrap_or(match time {
        Time::Day => rgb(0.10, 0.42, 0.66),
        Time::Sunset => rgb(0.30, 0.26, 0.46),
        Time::Night => rgb(0.03, 0.07, 0.18),
    });
    let accent = intent.loose.first().copied().unwrap_or(
        [
            rgb(0.55, 0.25, 0.85),
            rgb(0.15, 0.55, 0.95),
            rgb(0.95, 0.30, 0.60),
        ][rng.random_range(0..3)],
    );

    // Expand subjects into instances, at most a dozen things in one picture.
    let mut wanted = Vec::new();
    for s in &intent.subjects {
        let n = match s.count {
            Count::One => 1,
            Count::Exactly(n) => n,
            Count::Several => rng.random_range(3..=5),
        };
        for k in 0..n as usize {
            if wanted.len() < 12 {
                wanted.push((s, k));
            }
        }
    }
    // Nothing we can draw was named: draw the named colours as a few simple shapes.
    let fallback;
    if wanted.is_empty() && intent.text.is_none() && terrain == Terrain::Studio {
        let kinds = [Kind::Circle, Kind::Square, Kind::Triangle];
        let colours: Vec<Rgb> = if intent.loose.is_empty() {
            vec![default_color(Kind::Circle, 0, rng)]
        } else {
            intent.loose.clone()
        };
        fallback = colours
            .iter()
            .take(3)
            .enumerate()
            .map(|(i, &c)| super::intent::Subject {
                kind: kinds[(i + rng.random_range(0..3)) % 3],
                color: Some(c),
                accent: None,
                palette: Vec::new(),
                count: Count::One,
                variant: 0,
            })
            .collect::<Vec<_>>();
        wanted.extend(fallback.iter().map(|s| (s, 0)));
    }

    let places: Vec<Place> = wanted
        .iter()
        .map(|(s, _)| place_of(s.kind, s.variant, terrain))
        .collect();
    let count = |p: Place| places.iter().filter(|&&q| q == p).count();
    let (n_ground, n_free, n_water) = (
        count(Place::Ground),
        count(Place::Free),
        count(Place::Water),
    );
    let shore = match terrain {
        Terrain::Ocean if n_ground > 0 => Some(h * rng.random_range(0.74..0.8)),
        Terrain::Ocean if rng.random_bool(0.6) => Some(h * 0.86),
        _ => None,
    };
    let ground_slots = slots(n_ground, rng);
    let free_spots = free_positions(n_free, rng);
    let water_slots = slots(n_water, rng);
    let (mut gi, mut fi, mut wi) = (0, 0, 0);
    let has_text = intent.text.is_some();
    let portrait = intent.portrait && n_ground == 1;

    let mut items = Vec::new();
    let mut sky_spots: Vec<(f32, f32, f32)> = Vec::new();
    for (&(s, nth), place) in wanted.iter().zip(&places) {
        let color = match s.palette.len() {
            0 => s
                .color
                .unwrap_or_else(|| default_color(s.kind, s.variant, rng)),
            n => s.palette[nth % n],
        };
        let mut it = Item {
            kind: s.kind,
            color,
            // A listed colour after this one gives a second colour (spirals alternate).
            accent: s.accent.or(match s.palette.len() {
                0 | 1 => None,
                n => Some(s.palette[(nth + 1) % n]),
            }),
            x: w * 0.5,
            y: h * 0.5,
            size: unit * base_size(s.kind),
            variant: s.variant,
            flip: rng.random_bool(0.5),
            tilt: rng.random_range(-0.2..0.2),
            salt: rng.random(),
            layer: 3,
            grounded: false,
        };
        match place {
            Place::Sky => {
                it.layer = if s.kind == Kind::Cloud {
                    1
                } else if s.kind == Kind::Bird {
                    4
                } else {
                    0
                };
                if s.kind == Kind::Bird {
                    // A dragon or a lone eagle is the subject; a flock is scenery.
                    let alone = wanted.len() <= 2;
                    it.size = unit
                        * match (s.variant, alone) {
                            (2, _) => 0.42,
                            (1, true) => 0.3,
                            (1, false) => 0.16,
                            (_, true) if n_ground + n_free == 0 => 0.22,
                            _ => 0.1,
                        };
                }
                it.size = unit * sky_size(s.kind, it.size / unit) * rng.random_range(0.85..1.2);
                if s.kind == Kind::Rainbow {
                    it.x = w * rng.random_range(0.35..0.65);
                    it.y = horizon;
                    it.size = w.max(h) * rng.random_range(0.7..0.9);
                } else {
                    let top = h * 0.06 + it.size * 0.5;
                    let bottom = (horizon - it.size * 0.6).max(top + 1.0);
                    let (x, y) = spot_in_sky(&sky_spots, it.size, w, top, bottom, rng);
                    it.x = x;
                    it.y = if s.kind == Kind::Sun && time == Time::Sunset {
                        horizon - it.size * 0.2
                    } else {
                        y
                    };
                    sky_spots.push((it.x, it.y, it.size));
                }
            }
            Place::Backdrop => {
                it.layer = 2;
                it.size = unit * rng.random_range(0.38..0.62);
                if s.variant == 2 {
                    it.size *= 0.45;
                }
                it.x = w * rng.random_range(0.1..0.9);
                it.y = horizon + unit * 0.01 - it.size * 0.5;
            }
            Place::Ground => {
                let (x, depth) = ground_slots[gi];
                gi += 1;
                let crowd = 1.0 / (n_ground as f32).sqrt().max(1.0);
                let room = (h - horizon).max(unit * 0.05);
                it.x = w * x;
                it.y = match shore {
                    // On an ocean, things stand on the beach.
                    Some(sh) => sh + (h - sh) * (0.35 + 0.45 * depth),
                    None => horizon + room * (0.25 + 0.55 * depth),
                };
                it.size *= (0.55 + 0.45 * crowd) * (0.8 + 0.45 * depth);
                if matches!(terrain, Terrain::Table | Terrain::Studio) && base_size(s.kind) < 0.4 {
                    // Still lifes are close-ups.
                    it.size *= 1.5;
                }
                if has_text {
                    it.size *= 0.75;
                }
                it.grounded = true;
                // Keep things standing on the ground inside the frame.
                let half = it.size * half_width(s.kind);
                if w > half * 2.0 {
                    it.x = it.x.clamp(half, w - half);
                }
                it.y -= it.size * 0.5;
                if portrait && s.kind == Kind::Person {
                    // Head and shoulders filling the frame.
                    it.variant = 1;
                    it.size = h;
                    it.y = h * 0.5;
                    it.x = w * rng.random_range(0.44..0.56);
                }
            }
            Place::Water => {
                let (x, depth) = water_slots[wi];
                wi += 1;
                let room = (h - horizon).max(unit * 0.05);
                it.x = w * x;
                it.y = horizon + room * (0.15 + 0.45 * depth);
                it.size *= 0.7 + 0.5 * depth;
                it.y += if s.kind == Kind::Fish {
                    it.size
                } else {
                    -it.size * 0.4
                };
            }
            Place::Free => {
                let (x, y, scale) = free_spots[fi];
                fi += 1;
                it.layer = 4;
                it.x = w * x;
                it.y = if has_text {
                    h * (0.45 + 0.5 * y)
                } else {
                    h * y
                };
                it.size *= scale * if has_text { 0.7 } else { 1.0 };
                let half = it.size * 0.5;
                if w > half * 2.0 {
                    it.x = it.x.clamp(half, w - half);
                }
            }
        }
        items.push(it);
    }
    // Things further back are drawn first.
    items.sort_by(|a, b| {
        (a.layer, (a.y + a.size * 0.5) as i64).cmp(&(b.layer, (b.y + b.size * 0.5) as i64))
    });

    // A sunset outdoors gets its sun even when the prompt does not name one.
    let outdoors = !matches!(
        terrain,
        Terrain::Studio | Terrain::Table | Terrain::Space | Terrain::Underwater
    );
    if time == Time::Sunset
        && outdoors
        && !items
            .iter()
            .any(|i| matches!(i.kind, Kind::Sun | Kind::Moon))
    {
        items.insert(0, sun_at_horizon(w, horizon, unit, rng));
    }

    let sign = intent.text.as_ref().map(|_| {
        let (hw, hh) = (w * 0.36, h * 0.16);
        let y = if items.is_empty() { h * 0.45 } else { h * 0.28 };
        SignPlan {
            x: w * rng.random_range(0.46..0.54),
            y,
            hw,
            hh,
        }
    });

    Scene {
        w,
        h,
        time,
        terrain,
        horizon,
        shore,
        sky,
        ground,
        water,
        light,
        accent,
        items,
        text: intent.text.clone(),
        board: intent.board,
        ink: intent.ink,
        sign,
        rain: intent.rain,
        snowfall: intent.snowfall || (terrain == Terrain::Snow && rng.random_bool(0.4)),
        fog: intent.fog,
        dramatic: intent.dramatic,
        neon: intent.neon,
        lightning: intent.lightning,
        palette: intent.loose.clone(),
        lamp: intent.light,
        deco_seed: rng.random(),
    }
}

fn sun_at_horizon(w: f32, horizon: f32, unit: f32, rng: &mut ChaCha8Rng) -> Item {
    let size = unit * rng.random_range(0.2..0.3);
    Item {
        kind: Kind::Sun,
        color: rgb(1.0, 0.62, 0.25),
        accent: None,
        x: w * rng.random_range(0.25..0.75),
        y: horizon - size * 0.15,
        size,
        variant: 0,
        flip: false,
        tilt: 0.0,
        salt: 0,
        layer: 0,
        grounded: false,
    }
}

/// Horizontal positions (0..1) and depths (0..1) for `n` things on the ground.
fn slots(n: usize, rng: &mut ChaCha8Rng) -> Vec<(f32, f32)> {
    let mut out: Vec<(f32, f32)> = (0..n)
        .map(|i| {
            let x = (i as f32 + 0.5 + rng.random_range(-0.25..0.25)) / n as f32;
            let depth = if n == 1 {
                rng.random_range(0.3..0.7)
            } else {
                rng.random_range(0.0..1.0)
            };
            (x.clamp(0.08, 0.92), depth)
        })
        .collect();
    // Shuffle which subject goes where, so the first named is not always leftmost.
    for i in (1..out.len()).rev() {
        let j = rng.random_range(0..=i);
        out.swap(i, j);
    }
    out
}

/// Centres (0..1) and scales for `n` floating things: one in the middle, a row, or a grid.
fn free_positions(n: usize, rng: &mut ChaCha8Rng) -> Vec<(f32, f32, f32)> {
    if n == 0 {
        return Vec::new();
    }
    let cols = if n <= 3 {
        n
    } else {
        (n as f32).sqrt().ceil() as usize
    };
    let rows = n.div_ceil(cols);
    let scale = if n == 1 {
        1.0
    } else {
        1.25 / cols.max(rows) as f32
    };
    let jitter = 0.06 / cols.max(rows) as f32;
    let offset = rng.random_range(-0.05..0.05);
    (0..n)
        .map(|i| {
            let (c, r) = (i % cols, i / cols);
            let in_row = if r + 1 == rows { n - r * cols } else { cols };
            let x = (c as f32 + 0.5) / in_row as f32 + rng.random_range(-jitter..jitter) + offset;
            let y = (r as f32 + 0.5) / rows as f32 * 0.8 + 0.08 + rng.random_range(-jitter..jitter);
            (x, y, scale * rng.random_range(0.85..1.1))
        })
        .collect()
}

fn spot_in_sky(
    taken: &[(f32, f32, f32)],
    size: f32,
    w: f32,
    top: f32,
    bottom: f32,
    rng: &mut ChaCha8Rng,
) -> (f32, f32) {
    let mut best = (w * 0.5, top);
    let mut best_gap = f32::MIN;
    for _ in 0..12 {
        let x = rng.random_range(w * 0.1..w * 0.9);
        let y = rng.random_range(top..bottom.max(top + 1.0));
        let gap = taken
            .iter()
            .map(|&(tx, ty, ts)| ((tx - x).powi(2) + (ty - y).powi(2)).sqrt() - (ts + size) * 0.5)
            .fold(f32::MAX, f32::min);
        if gap > size * 0.3 {
            return (x, y);
        }
        if gap > best_gap {
            best = (x, y);
            best_gap = gap;
        }
    }
    best
}
