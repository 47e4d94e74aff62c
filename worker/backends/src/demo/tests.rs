use image::RgbImage;

use super::*;

fn slugs() -> Vec<&'static str> {
    demo_models().iter().map(|m| m.slug).collect()
}

fn img(slug: &str, prompt: &str, seed: u64) -> RgbImage {
    render(slug, prompt, seed, 96, 96).expect("known slug")
}

/// Share of pixels that read as clearly red.
fn red_share(img: &RgbImage) -> f32 {
    let red = img
        .pixels()
        .filter(|p| {
            p[0] > 110 && p[0] as f32 > 1.8 * p[1] as f32 && p[0] as f32 > 1.8 * p[2] as f32
        })
        .count();
    red as f32 / (img.width() * img.height()) as f32
}

#[test]
fn there_are_at_least_four_honestly_named_demo_models() {
    let models = demo_models();
    assert!(models.len() >= 4);
    for m in models {
        assert!(m.slug.starts_with("demo-"), "{}", m.slug);
        assert!(m.display_name.starts_with("Demo "), "{}", m.display_name);
        assert!(!m.description.is_empty());
    }
    let mut unique = slugs();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), models.len());
}

#[test]
fn same_inputs_give_identical_pixels() {
    for slug in slugs() {
        let a = img(slug, "three golden stars over a snowy forest at night", 42);
        let b = img(slug, "three golden stars over a snowy forest at night", 42);
        assert!(a == b, "{slug} is not deterministic");
    }
}

#[test]
fn different_seeds_vary_the_picture() {
    for slug in slugs() {
        let a = img(slug, "a red house next to a tree", 1);
        let b = img(slug, "a red house next to a tree", 2);
        assert!(a != b, "{slug} ignores the seed");
    }
}

#[test]
fn different_prompts_give_different_pictures() {
    for slug in slugs() {
        let a = img(slug, "a cat on a beach at sunset", 5);
        let b = img(slug, "a bowl of ramen on a wooden table", 5);
        assert!(a != b, "{slug} ignores the prompt");
    }
}

#[test]
fn every_model_draws_the_same_prompt_differently() {
    let prompt = "a blue boat on the ocean under a yellow sun";
    let images: Vec<(&str, RgbImage)> = slugs()
        .into_iter()
        .map(|s| (s, img(s, prompt, 9)))
        .collect();
    for (i, (a, ia)) in images.iter().enumerate() {
        for (b, ib) in &images[i + 1..] {
            assert!(ia != ib, "{a} and {b} drew identical images");
        }
    }
}

#[test]
fn the_faithful_model_uses_the_named_colour_and_the_confused_one_does_not() {
    for seed in 1..=5 {
        let faithful = img("demo-faithful", "a red circle", seed);
        let confused = img("demo-confused", "a red circle", seed);
        assert!(
            red_share(&faithful) > 0.08,
            "seed {seed}: faithful red share {}",
            red_share(&faithful)
        );
        assert!(
            red_share(&confused) < 0.02,
            "seed {seed}: confused red share {}",
            red_share(&confused)
        );
    }
}

#[test]
fn the_faithful_model_draws_blue_for_blue() {
    let i = img("demo-faithful", "a blue square on a white background", 11);
    let blue = i
        .pixels()
        .filter(|p| p[2] > 120 && p[2] as f32 > 1.6 * p[0] as f32 && p[2] > p[1])
        .count();
    assert!(blue as f32 / (96.0 * 96.0) > 0.08, "blue pixels {blue}");
}

#[test]
fn an_unknown_slug_renders_nothing() {
    assert!(render("demo-unknown", "a red circle", 1, 64, 64).is_none());
    assert!(render("", "a red circle", 1, 64, 64).is_none());
}

#[test]
fn odd_and_tiny_sizes_work() {
    for slug in slugs() {
        for (w, h) in [(64, 48), (1, 1), (3, 200), (200, 3), (0, 10), (37, 91)] {
            let i = render(
                slug,
                "a sign that says \"OPEN\" above two dogs in a city",
                4,
                w,
                h,
            )
            .unwrap();
            assert_eq!(i.dimensions(), (w, h), "{slug} at {w}x{h}");
        }
    }
}

#[test]
fn empty_and_unusual_prompts_still_render() {
    for slug in slugs() {
        for prompt in [
            "",
            "   ",
            "🙂🙂🙂",
            "\"\"",
            "xyzzy plugh",
            &"red ".repeat(200),
        ] {
            let i = render(slug, prompt, 0, 48, 48).unwrap();
            assert_eq!(i.dimensions(), (48, 48));
        }
    }
}

#[test]
fn pictures_are_not_blank() {
    for slug in slugs() {
        let i = img(slug, "a landscape", 8);
        let first = *i.get_pixel(0, 0);
        assert!(i.pixels().any(|p| *p != first), "{slug} drew a flat image");
    }
}
