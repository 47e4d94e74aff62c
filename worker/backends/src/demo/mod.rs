//! Built-in demo generators: text-to-image "models" that need no weights, so an
//! arena works out of the box. They read the prompt with simple word matching
//! and draw it procedurally, each in its own style and at its own level of
//! faithfulness, so that votes between them mean something.
//!
//! Every generator is a pure function of `(slug, prompt, seed, width, height)`.
//! None of them ever draws its own name or any mark that would identify it.

mod backdrop;
mod canvas;
mod color;
mod creatures;
mod defaults;
mod draw;
mod figures;
mod food;
mod intent;
mod look;
mod pen;
mod prompt;
mod scene;
mod styles;
mod text;
mod things;
mod words;

use image::RgbImage;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use canvas::Canvas;
use look::Look;

/// A built-in demo model as the arena lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoModel {
    pub slug: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
}

const MODELS: &[DemoModel] = &[
    DemoModel {
        slug: "demo-faithful",
        display_name: "Demo Faithful",
        description: "Built-in demo generator (no weights). Draws the colours, things, counts, \
                      scenery and quoted text the prompt names, with soft shading and lighting.",
    },
    DemoModel {
        slug: "demo-painterly",
        display_name: "Demo Painterly",
        description: "Built-in demo generator (no weights). The faithful scene repainted as \
                      impressionist brush strokes on textured paper; fine detail and text get lost.",
    },
    DemoModel {
        slug: "demo-geometric",
        display_name: "Demo Geometric",
        description: "Built-in demo generator (no weights). The faithful scene as a flat, minimal \
                      poster: solid fills, banded skies, flat shadows, no shading.",
    },
    DemoModel {
        slug: "demo-confused",
        display_name: "Demo Confused",
        description: "Built-in demo generator (no weights). Well drawn but unfaithful: it swaps \
                      shapes, colours, counts, time of day and setting, and misspells text.",
    },
    DemoModel {
        slug: "demo-lowfi",
        display_name: "Demo Low-Fi",
        description: "Built-in demo generator (no weights). A weak model: blocky, noisy, washed \
                      out, and it draws only the first thing the prompt names.",
    },
];

/// The built-in demo models, best first by design.
pub fn demo_models() -> &'static [DemoModel] {
    MODELS
}

/// Renders `prompt` with the demo model `slug`.
///
/// Deterministic for `(slug, prompt, seed, width, height)`; `None` for an unknown slug.
/// Works at any size (zero gives an empty image); it needs about 15 bytes per
/// pixel while drawing, so callers bound the size they ask for.
///
/// # Examples
///
/// ```
/// let img = arena_backends::demo::render("demo-faithful", "a red circle", 7, 64, 48).unwrap();
/// assert_eq!(img.dimensions(), (64, 48));
/// assert!(arena_backends::demo::render("no-such-model", "a red circle", 7, 64, 48).is_none());
/// ```
pub fn render(slug: &str, prompt: &str, seed: u64, width: u32, height: u32) -> Option<RgbImage> {
    let (w, h) = (width as usize, height as usize);
    if w == 0 || h == 0 {
        return MODELS
            .iter()
            .any(|m| m.slug == slug)
            .then(|| RgbImage::new(width, height));
    }
    // The composition depends on the prompt and the seed only, so the models
    // draw comparable pictures of the same (prompt, seed).
    let scene_seed = fnv1a(prompt.as_bytes()) ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let style_seed = scene_seed ^ fnv1a(slug.as_bytes());
    let intent = prompt::parse(prompt);
    let plan = |intent: &intent::Intent, w: usize, h: usize| {
        let mut rng = ChaCha8Rng::seed_from_u64(scene_seed);
        scene::layout(intent, w as f32, h as f32, &mut rng)
    };
    let shaded = Look { flat: false };
    let canvas: Canvas = match slug {
        "demo-faithful" => draw::paint(&plan(&intent, w, h), shaded),
        "demo-confused" => draw::paint(&plan(&styles::confuse(&intent, style_seed), w, h), shaded),
        "demo-painterly" => {
            // Strokes sample the picture, so a half-size source is plenty.
            let (sw, sh) = ((w / 2).max(1), (h / 2).max(1));
            let src = draw::paint(&plan(&intent, sw, sh), shaded);
            styles::painterly(&src, w, h, style_seed)
        }
        // No margin or other constant mark: a style, never a signature.
        "demo-geometric" => draw::paint(&plan(&intent, w, h), Look { flat: true }),
        "demo-lowfi" => {
            let (sw, sh) = ((w / 10).max(4), (h / 10).max(3));
            let small = draw::paint(
                &plan(&styles::simplify(&intent, style_seed), sw, sh),
                shaded,
            );
            styles::lowfi(&small, w, h, style_seed)
        }
        _ => return None,
    };
    Some(canvas.into_image())
}

/// FNV-1a: a stable hash (std's hasher may change between Rust releases, which
/// would silently change every demo image).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests;
