//! Per-kind and per-setting defaults for the layout: where each kind of thing
//! belongs, how big it is, its usual colour, and the colours of each setting.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::color::{Rgb, rgb};
use super::intent::{Intent, Kind, Terrain, Time};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Sky,
    Backdrop,
    Ground,
    Water,
    Free,
}

pub(super) fn place_of(kind: Kind, variant: u8, terrain: Terrain) -> Place {
    use Kind::*;
    let outdoors = !matches!(
        terrain,
        Terrain::Studio | Terrain::Table | Terrain::Space | Terrain::Underwater
    );
    match kind {
        Sun | Moon | Cloud | Rainbow | Bird if outdoors => Place::Sky,
        Sun | Moon | Rainbow => Place::Sky,
        Star | Balloon | Planet if outdoors => Place::Sky,
        Diamond if outdoors && variant == 1 => Place::Sky,
        Mountain if terrain != Terrain::Space => Place::Backdrop,
        Boat if terrain == Terrain::Ocean => Place::Water,
        Fish if terrain == Terrain::Ocean => Place::Water,
        Tree | Flower | Mushroom | House | Tower | Arch | Car | Person | Cat | Beast | Candle
        | Fruit | Cup | Bowl | Cake | Boat
            if terrain != Terrain::Space && terrain != Terrain::Underwater =>
        {
            Place::Ground
        }
        _ => Place::Free,
    }
}

/// Height of one thing relative to the image's shorter side when it is alone.
pub(super) fn base_size(kind: Kind) -> f32 {
    use Kind::*;
    match kind {
        Circle | Square | Triangle | Star | Heart | Diamond | Spiral | Portal => 0.5,
        Planet => 0.45,
        Balloon => 0.3,
        Sun | Moon => 0.2,
        Cloud => 0.16,
        Rainbow => 0.9,
        Bird => 0.1,
        Butterfly => 0.3,
        Mountain => 0.5,
        Tree => 0.5,
        Flower => 0.36,
        Mushroom => 0.3,
        House => 0.4,
        Tower => 0.6,
        Arch => 0.45,
        Car => 0.24,
        Boat => 0.36,
        Person => 0.55,
        Cat => 0.36,
        Beast => 0.36,
        Fish => 0.24,
        Fruit => 0.24,
        Cup => 0.3,
        Bowl => 0.26,
        Cake => 0.36,
        Candle => 0.36,
    }
}

/// Half a thing's width as a fraction of its height.
pub(super) fn half_width(kind: Kind) -> f32 {
    match kind {
        Kind::Car => 1.15,
        Kind::Beast => 0.7,
        Kind::Boat => 0.6,
        Kind::House | Kind::Bowl | Kind::Cake | Kind::Cup => 0.5,
        Kind::Person | Kind::Tower | Kind::Candle => 0.25,
        _ => 0.45,
    }
}

/// Things that are usually far away are drawn small when they are in the sky.
pub(super) fn sky_size(kind: Kind, size: f32) -> f32 {
    match kind {
        Kind::Star => 0.13,
        Kind::Balloon => 0.2,
        Kind::Planet => 0.24,
        Kind::Diamond => 0.2,
        _ => size,
    }
}

pub(super) fn default_color(kind: Kind, variant: u8, r: &mut ChaCha8Rng) -> Rgb {
    use Kind::*;
    const PALETTE: [Rgb; 6] = [
        rgb(0.90, 0.30, 0.25),
        rgb(0.20, 0.50, 0.85),
        rgb(0.95, 0.75, 0.20),
        rgb(0.25, 0.65, 0.45),
        rgb(0.60, 0.35, 0.75),
        rgb(0.95, 0.55, 0.30),
    ];
    match kind {
        Mountain => rgb(0.42, 0.47, 0.58),
        Tree if variant == 1 => rgb(0.10, 0.38, 0.22),
        Tree => rgb(0.22, 0.52, 0.20),
        House | Tower | Arch => rgb(0.90, 0.84, 0.72),
        Boat => rgb(0.96, 0.96, 0.94),
        Cup => rgb(0.96, 0.95, 0.92),
        Bowl => rgb(0.93, 0.92, 0.88),
        Cake => rgb(0.98, 0.80, 0.86),
        Candle => rgb(0.97, 0.93, 0.84),
        Rainbow => rgb(1.0, 1.0, 1.0),
        _ => PALETTE[r.random_range(0..PALETTE.len())],
    }
}

pub(super) fn default_terrain(intent: &Intent) -> Terrain {
    use Kind::*;
    let has = |ks: &[Kind]| intent.subjects.iter().any(|s| ks.contains(&s.kind));
    if intent.terrain.is_some_and(|t| t != Terrain::Studio) {
        return intent.terrain.unwrap_or(Terrain::Studio);
    }
    let outdoor_things = has(&[
        Sun, Moon, Cloud, Rainbow, Mountain, Tree, House, Tower, Boat,
    ]);
    if (intent.portrait || intent.dramatic && !outdoor_things) && intent.terrain.is_none() {
        Terrain::Studio
    } else if has(&[Boat]) {
        Terrain::Ocean
    } else if has(&[Fish]) {
        Terrain::Underwater
    } else if has(&[Planet]) {
        Terrain::Space
    } else if intent.terrain.is_none()
        && has(&[
            Tree, House, Tower, Person, Cat, Beast, Flower, Mushroom, Mountain, Car, Arch, Sun,
            Moon, Cloud, Rainbow, Bird,
        ])
    {
        Terrain::Meadow
    } else if intent.terrain.is_none() && has(&[Fruit, Cup, Bowl, Cake, Candle]) {
        Terrain::Table
    } else {
        Terrain::Studio
    }
}

pub(super) fn sky_for(time: Time, terrain: Terrain) -> [Rgb; 3] {
    match (time, terrain) {
        (_, Terrain::Space) => [
            rgb(0.01, 0.01, 0.05),
            rgb(0.04, 0.02, 0.10),
            rgb(0.08, 0.04, 0.16),
        ],
        (_, Terrain::Underwater) => [
            rgb(0.12, 0.62, 0.72),
            rgb(0.05, 0.38, 0.58),
            rgb(0.02, 0.16, 0.34),
        ],
        (Time::Day, _) => [
            rgb(0.24, 0.48, 0.86),
            rgb(0.48, 0.70, 0.94),
            rgb(0.80, 0.90, 0.98),
        ],
        (Time::Sunset, _) => [
            rgb(0.20, 0.16, 0.42),
            rgb(0.84, 0.38, 0.40),
            rgb(1.0, 0.74, 0.38),
        ],
        (Time::Night, _) => [
            rgb(0.01, 0.02, 0.08),
            rgb(0.04, 0.06, 0.18),
            rgb(0.10, 0.12, 0.28),
        ],
    }
}

pub(super) fn ground_for(terrain: Terrain) -> [Rgb; 2] {
    match terrain {
        Terrain::Meadow => [rgb(0.45, 0.68, 0.32), rgb(0.20, 0.46, 0.16)],
        Terrain::Forest => [rgb(0.24, 0.44, 0.22), rgb(0.10, 0.28, 0.10)],
        Terrain::Desert => [rgb(0.95, 0.80, 0.56), rgb(0.84, 0.58, 0.32)],
        Terrain::Snow => [rgb(0.90, 0.93, 0.98), rgb(0.78, 0.84, 0.94)],
        Terrain::Ocean => [rgb(0.94, 0.86, 0.66), rgb(0.86, 0.74, 0.52)],
        Terrain::City => [rgb(0.46, 0.46, 0.50), rgb(0.26, 0.26, 0.30)],
        Terrain::Studio => [rgb(0.80, 0.78, 0.75), rgb(0.66, 0.64, 0.61)],
        Terrain::Table => [rgb(0.62, 0.42, 0.26), rgb(0.44, 0.27, 0.15)],
        Terrain::Space | Terrain::Underwater => [rgb(0.80, 0.72, 0.54), rgb(0.62, 0.54, 0.38)],
    }
}
