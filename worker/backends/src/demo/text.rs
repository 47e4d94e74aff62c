//! Quoted prompt text drawn on a panel with a 5×7 bitmap font of our own, and
//! the garbling the confused generator applies to it.

use super::canvas::{Canvas, Paint, Shape, v2};
use super::color::rgb;
use super::look::Look;
use super::scene::{Scene, SignPlan};

/// Rows of each glyph, top to bottom, `#` for ink.
const GLYPHS: &[(char, [&str; 7])] = &[
    (
        'A',
        [
            " ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #",
        ],
    ),
    (
        'B',
        [
            "#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### ",
        ],
    ),
    (
        'C',
        [
            " ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### ",
        ],
    ),
    (
        'D',
        [
            "#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### ",
        ],
    ),
    (
        'E',
        [
            "#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####",
        ],
    ),
    (
        'F',
        [
            "#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    ",
        ],
    ),
    (
        'G',
        [
            " ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####",
        ],
    ),
    (
        'H',
        [
            "#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #",
        ],
    ),
    (
        'I',
        [
            " ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### ",
        ],
    ),
    (
        'J',
        [
            "  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  ",
        ],
    ),
    (
        'K',
        [
            "#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #",
        ],
    ),
    (
        'L',
        [
            "#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####",
        ],
    ),
    (
        'M',
        [
            "#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #",
        ],
    ),
    (
        'N',
        [
            "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #", "#   #",
        ],
    ),
    (
        'O',
        [
            " ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### ",
        ],
    ),
    (
        'P',
        [
            "#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    ",
        ],
    ),
    (
        'Q',
        [
            " ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #",
        ],
    ),
    (
        'R',
        [
            "#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #",
        ],
    ),
    (
        'S',
        [
            " ####", "#    ", "#    ", " ### ", "    #", "    #", "#### ",
        ],
    ),
    (
        'T',
        [
            "#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ",
        ],
    ),
    (
        'U',
        [
            "#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### ",
        ],
    ),
    (
        'V',
        [
            "#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  ",
        ],
    ),
    (
        'W',
        [
            "#   #", "#   #", "#   #", "# # #", "# # #", "## ##", "#   #",
        ],
    ),
    (
        'X',
        [
            "#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #",
        ],
    ),
    (
        'Y',
        [
            "#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  ",
        ],
    ),
    (
        'Z',
        [
            "#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####",
        ],
    ),
    (
        '0',
        [
            " ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### ",
        ],
    ),
    (
        '1',
        [
            "  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### ",
        ],
    ),
    (
        '2',
        [
            " ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####",
        ],
    ),
    (
        '3',
        [
            "#### ", "    #", "    #", " ### ", "    #", "    #", "#### ",
        ],
    ),
    (
        '4',
        [
            "   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # ",
        ],
    ),
    (
        '5',
        [
            "#####", "#    ", "#### ", "    #", "    #", "#   #", " ### ",
        ],
    ),
    (
        '6',
        [
            " ### ", "#    ", "#    ", "#### ", "#   #", "#   #", " ### ",
        ],
    ),
    (
        '7',
        [
            "#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   ",
        ],
    ),
    (
        '8',
        [
            " ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### ",
        ],
    ),
    (
        '9',
        [
            " ### ", "#   #", "#   #", " ####", "    #", "    #", " ### ",
        ],
    ),
    (
        '!',
        [
            "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "     ", "  #  ",
        ],
    ),
    (
        '?',
        [
            " ### ", "#   #", "    #", "   # ", "  #  ", "     ", "  #  ",
        ],
    ),
    (
        '.',
        [
            "     ", "     ", "     ", "     ", "     ", "     ", "  #  ",
        ],
    ),
    (
        ',',
        [
            "     ", "     ", "     ", "     ", "     ", "  #  ", " #   ",
        ],
    ),
    (
        '\'',
        [
            "  #  ", "  #  ", "     ", "     ", "     ", "     ", "     ",
        ],
    ),
    (
        '-',
        [
            "     ", "     ", "     ", "#####", "     ", "     ", "     ",
        ],
    ),
    (
        ':',
        [
            "     ", "  #  ", "     ", "     ", "     ", "  #  ", "     ",
        ],
    ),
    (
        '&',
        [
            " ##  ", "#  # ", "# #  ", " #   ", "# # #", "#  # ", " ## #",
        ],
    ),
    (
        '+',
        [
            "     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     ",
        ],
    ),
    (
        '/',
        [
            "    #", "   # ", "   # ", "  #  ", " #   ", " #   ", "#    ",
        ],
    ),
    (
        '$',
        [
            "  #  ", " ####", "# #  ", " ### ", "  # #", "#### ", "  #  ",
        ],
    ),
    (
        '%',
        [
            "##  #", "##  #", "   # ", "  #  ", " #   ", "#  ##", "#  ##",
        ],
    ),
];

fn glyph(c: char) -> Option<&'static [&'static str; 7]> {
    GLYPHS.iter().find(|(g, _)| *g == c).map(|(_, rows)| rows)
}

/// Splits text into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.chars().take(width).collect()),
        }
    }
    lines
}

/// Draws `text` on a panel (a wooden sign, or a dark board with glowing letters
/// for neon prompts).
pub(crate) fn sign(cv: &mut Canvas, look: Look, scene: &Scene, plan: SignPlan, text: &str) {
    let text: String = text
        .chars()
        .filter(|&c| c == ' ' || glyph(c).is_some())
        .take(48)
        .collect();
    let lines = wrap(&text, 14);
    let longest = lines
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1)
        .max(1);
    // Cell size: 6×9 font pixels per character including spacing.
    let cell = ((plan.hw * 2.0 * 0.86) / (longest as f32 * 6.0))
        .min(plan.hh * 2.0 * 0.8 / (lines.len().max(1) as f32 * 9.0));
    let cell = cell.max(1.0);
    let text_h = lines.len() as f32 * 9.0 * cell;
    let hh = (text_h * 0.5 + cell * 4.0).min(plan.hh * 1.6);
    let hw = (longest as f32 * 6.0 * cell * 0.5 + cell * 5.0).min(plan.hw * 1.2);

    let board = scene.board.unwrap_or(if scene.neon {
        rgb(0.06, 0.05, 0.1)
    } else {
        rgb(0.62, 0.42, 0.24)
    });
    let board = if scene.neon {
        board
    } else {
        board.mul(scene.light)
    };
    // Letters contrast with the board unless the prompt says otherwise.
    let ink = scene.ink.unwrap_or(if scene.neon {
        scene.accent.lighten(0.35)
    } else if board.luma() > 0.6 {
        rgb(0.12, 0.12, 0.14)
    } else {
        rgb(0.98, 0.95, 0.86)
    });
    if !scene.neon {
        for side in [-1.0, 1.0] {
            let post = Shape::Rect {
                c: v2(plan.x + side * hw * 0.6, plan.y + hh * 2.0),
                hw: cell * 1.5,
                hh: hh * 2.0,
                radius: 0.0,
                angle: 0.0,
            };
            cv.fill(
                &post,
                look.sideways(
                    plan.x - hw,
                    plan.x + hw,
                    rgb(0.4, 0.26, 0.14).mul(scene.light),
                ),
                1.0,
                1.0,
            );
        }
    }
    let panel = Shape::Rect {
        c: v2(plan.x, plan.y),
        hw,
        hh,
        radius: cell * 2.0,
        angle: 0.0,
    };
    cv.fill(
        &panel,
        look.vertical(plan.y - hh, plan.y + hh, board),
        1.0,
        1.0,
    );
    // The panel's face and the neon outline: rectangles `by` cells inside its edge.
    let inset = |by: f32| Shape::Rect {
        c: v2(plan.x, plan.y),
        hw: hw - cell * by,
        hh: hh - cell * by,
        radius: cell,
        angle: 0.0,
    };
    cv.fill(&inset(1.5), Paint::Solid(board.darken(0.12)), 1.0, 1.0);
    if scene.neon && !look.flat {
        cv.glow(v2(plan.x, plan.y), hw * 1.1, ink, 0.25);
    }

    if scene.neon && look.flat {
        cv.fill(&inset(0.7), Paint::Solid(ink), 0.8, 1.0);
        cv.fill(&inset(1.2), Paint::Solid(board.darken(0.12)), 1.0, 1.0);
    }

    let top = plan.y - text_h * 0.5 + cell;
    for (row, line) in lines.iter().enumerate() {
        let width = line.chars().count() as f32 * 6.0 * cell;
        let left = plan.x - width * 0.5 + cell * 0.5;
        for (col, ch) in line.chars().enumerate() {
            let Some(rows) = glyph(ch) else { continue };
            let gx = left + col as f32 * 6.0 * cell;
            let gy = top + row as f32 * 9.0 * cell;
            for (ry, bits) in rows.iter().enumerate() {
                for (rx, b) in bits.bytes().enumerate() {
                    if b == b'#' {
                        let c = v2(gx + (rx as f32 + 0.5) * cell, gy + (ry as f32 + 0.5) * cell);
                        let dot = Shape::Rect {
                            c,
                            hw: cell * 0.52,
                            hh: cell * 0.52,
                            radius: 0.0,
                            angle: 0.0,
                        };
                        cv.fill(&dot, Paint::Solid(ink), 1.0, 1.0);
                    }
                }
            }
        }
    }
}

/// Deterministically misspells text: shifted letters, a swapped pair, a dropped letter.
pub(crate) fn garble(text: &str, salt: u64) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let letters: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i].is_ascii_alphanumeric())
        .collect();
    let n = letters.len();
    if n == 0 {
        return text.to_string();
    }
    for (k, &i) in letters.iter().enumerate() {
        let bits = salt.rotate_right((k as u32 * 5) % 64);
        // Most letters shift by 1..=4 places; the first always does, so the text changes.
        if bits & 3 != 0 || k == 0 {
            let by = 1 + ((bits >> 2) % 4) as u8;
            let c = chars[i].to_ascii_uppercase() as u8;
            chars[i] = if c.is_ascii_digit() {
                (b'0' + (c - b'0' + by) % 10) as char
            } else {
                (b'A' + (c - b'A' + by) % 26) as char
            };
        }
    }
    if n >= 2 {
        let a = (salt >> 8) as usize % (n - 1);
        chars.swap(letters[a], letters[a + 1]);
    }
    if n >= 4 {
        chars.remove(letters[(salt >> 16) as usize % n]);
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_is_five_by_seven() {
        for (c, rows) in GLYPHS {
            assert!(rows.iter().all(|r| r.len() == 5), "glyph {c}");
        }
    }

    #[test]
    fn garbling_depends_on_the_salt() {
        assert_ne!(garble("OPEN", 1), garble("OPEN", 0xdead_beef_1234));
        assert_ne!(garble("A", 0), "A");
    }

    #[test]
    fn garbled_text_differs_but_keeps_its_rough_length() {
        let g = garble("OPEN LATE", 7);
        assert_ne!(g, "OPEN LATE");
        assert!(g.len() >= 7, "{g}");
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(wrap("HELLO WORLD AGAIN", 11), vec!["HELLO WORLD", "AGAIN"]);
    }
}
