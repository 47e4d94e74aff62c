//! The fast readers against the reference reader (serde, one line at a time): the
//! same votes from every valid file, odd ones included, and the same refusal — line
//! and reason — from every malformed one, on every path (one thread, blocks split
//! between threads, a file read in shares).

mod common;

use std::fmt::Write as _;
use std::path::PathBuf;

use arena_evaluator::{Format, reference};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arena-differential-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn assert_agree(what: &str, bytes: &[u8], format: Format) {
    let file = scratch(&format!(
        "{}.votes",
        what.replace(|c: char| !c.is_alphanumeric(), "-")
    ));
    if let Err(diff) = reference::check_agreement(bytes, format, Some(&file)) {
        panic!(
            "{what} ({format:?}): {diff}\ninput: {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(2000)])
        );
    }
    let _ = std::fs::remove_file(file);
}

/// The inputs of bad_input.rs, each read by every path.
#[test]
fn every_bad_input_case_is_refused_alike() {
    let good = common::vote("x", "y", "model_a");
    let cases: Vec<(&str, String, Format)> = vec![
        ("truncated JSON", format!("{good}{{\"model_a\": \"x\"\n"), Format::Jsonl),
        ("not JSON at all", format!("{good}{good}hello\n"), Format::Jsonl),
        (
            "missing winner",
            format!("{good}\n{{\"model_a\": \"x\", \"model_b\": \"y\"}}\n"),
            Format::Jsonl,
        ),
        (
            "text after the object",
            "{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"tie\"} x\n".into(),
            Format::Jsonl,
        ),
        (
            "a number as model name",
            format!("{good}{{\"model_a\": 1, \"model_b\": \"y\", \"winner\": \"tie\"}}\n"),
            Format::Jsonl,
        ),
        (
            "empty model name",
            format!("{good}{{\"model_a\": \"\", \"model_b\": \"y\", \"winner\": \"tie\"}}\n"),
            Format::Jsonl,
        ),
        (
            "CSV row with a missing column",
            "model_a,model_b,winner\nx,y,tie\nx,y\n".into(),
            Format::Csv,
        ),
        (
            "CSV with a bad tstamp",
            "model_a,model_b,winner,tstamp\nx,y,tie,noon\n".into(),
            Format::Csv,
        ),
        (
            "FastChat element that is not an object",
            "[\n  {\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"tie\"},\n  42\n]".into(),
            Format::Fastchat,
        ),
        (
            "unknown label",
            format!("{}{}", common::vote("x", "y", "tie"), common::vote("x", "y", "draw")),
            Format::Jsonl,
        ),
        ("unknown CSV label", "model_a,model_b,winner\nx,y,model_c\n".into(), Format::Csv),
        (
            "K-wise winner beyond the models shown",
            format!("{good}{{\"model_a\": \"x\", \"model_b\": \"y\", \"model_c\": \"z\", \"winner\": \"model_d\"}}\n"),
            Format::Jsonl,
        ),
        (
            "K-wise tie",
            format!("{good}{{\"model_a\": \"x\", \"model_b\": \"y\", \"model_c\": \"z\", \"winner\": \"tie\"}}\n"),
            Format::Jsonl,
        ),
        (
            "K-wise worst that is the best",
            format!("{good}{{\"model_a\": \"x\", \"model_b\": \"y\", \"model_c\": \"z\", \"winner\": \"c\", \"worst\": \"model_c\"}}\n"),
            Format::Jsonl,
        ),
        (
            "K-wise model shown twice",
            format!("{good}{{\"model_a\": \"x\", \"model_b\": \"y\", \"model_c\": \"x\", \"winner\": \"a\"}}\n"),
            Format::Jsonl,
        ),
        (
            "model_d without model_c",
            format!("{good}{{\"model_a\": \"x\", \"model_b\": \"y\", \"model_d\": \"z\", \"winner\": \"a\"}}\n"),
            Format::Jsonl,
        ),
        (
            "worst in a pair",
            format!("{good}{{\"model_a\": \"x\", \"model_b\": \"y\", \"worst\": \"b\", \"winner\": \"a\"}}\n"),
            Format::Jsonl,
        ),
        (
            "K-wise model_c a number",
            format!("{good}{{\"model_a\": \"x\", \"model_b\": \"y\", \"model_c\": 3, \"winner\": \"a\"}}\n"),
            Format::Jsonl,
        ),
        (
            "CSV K-wise row with a tie",
            "model_a,model_b,model_c,winner\nx,y,z,model_a\nx,y,z,tie\n".into(),
            Format::Csv,
        ),
        (
            "CSV K-wise model shown twice",
            "model_a,model_b,model_c,model_d,winner,worst\nx,y,z,w,d,a\nx,y,z,y,d,a\n".into(),
            Format::Csv,
        ),
        (
            "unknown FastChat label",
            "[{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"tie\"},\n{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"Tie\"}]".into(),
            Format::Fastchat,
        ),
        (
            // Refused at the element's first line by one reader, at the broken line
            // by the other: a FastChat file however its format was found.
            "FastChat element broken on its second line, format found",
            "[\n  {\n [\u{1}  \"model_a\": \"x\"\n  }\n]".into(),
            Format::Auto,
        ),
        (
            "byte-order mark, JSONL",
            format!("\u{feff}{}", common::vote("x", "y", "model_a")),
            Format::Auto,
        ),
        ("byte-order mark, CSV", "\u{feff}model_a,model_b,winner\nx,y,model_a\n".into(), Format::Auto),
        (
            "byte-order mark, FastChat",
            "\u{feff}[{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"model_a\"}]".into(),
            Format::Auto,
        ),
    ];
    for (what, text, format) in cases {
        assert_agree(what, text.as_bytes(), format);
    }
}

#[test]
fn an_error_deep_in_a_large_file_is_refused_alike() {
    let good = common::vote("model-one", "model-two", "model_a");
    let mut text = good.repeat(120_000);
    text.push_str("{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"draw\"}\n");
    text.push_str(&good.repeat(10));
    assert_agree("deep error", text.as_bytes(), Format::Jsonl);
}

/// A model name: plain, with escapes, or in other scripts.
fn name(rng: &mut StdRng) -> (String, String) {
    const PLAIN: [&str; 6] = ["sdxl", "lcm", "model-007", "PixArt α", "模型", "🙂 smile"];
    let plain = PLAIN[rng.random_range(0..PLAIN.len())].to_string();
    // The same name as JSON may spell it: escaped or not.
    let json = match rng.random_range(0..5) {
        0 => plain.replace('-', "\\u002d").replace('s', "\\u0073"),
        1 => plain
            .chars()
            .map(|c| {
                if c.len_utf8() > 1 {
                    escape_utf16(c)
                } else {
                    c.to_string()
                }
            })
            .collect(),
        _ => plain.clone(),
    };
    (plain, json)
}

fn escape_utf16(c: char) -> String {
    let mut units = [0u16; 2];
    c.encode_utf16(&mut units)
        .iter()
        .map(|u| format!("\\u{u:04x}"))
        .collect()
}

/// Any JSON value for a field the readers skip.
fn extra_value(rng: &mut StdRng, depth: u32) -> String {
    match rng.random_range(0..if depth > 2 { 8 } else { 10 }) {
        0 => "null".into(),
        1 => "true".into(),
        2 => "false".into(),
        3 => "-0".into(),
        4 => "1.5e+10".into(),
        5 => "0.0E-3".into(),
        6 => "\"a \\\"quoted\\\" \\\\ \\/ \\b\\f\\n\\r\\t \\ud83d\\ude00 é\"".into(),
        7 => "12345678901234567890123".into(),
        8 => format!(
            "[{}, {} ]",
            extra_value(rng, depth + 1),
            extra_value(rng, depth + 1)
        ),
        _ => format!(
            "{{\"k\": {}, \"\\u006b2\" : {}}}",
            extra_value(rng, depth + 1),
            extra_value(rng, depth + 1)
        ),
    }
}

const WINNERS: [&str; 6] = [
    "model_a",
    "model_b",
    "tie",
    "tie (bothbad)",
    "both_bad",
    "left",
];

/// A JSON vote object with its fields in any order, extra ones, odd spacing and
/// duplicate keys.
fn vote_object(rng: &mut StdRng) -> String {
    let mut fields: Vec<String> = Vec::new();
    let (plain_a, a) = name(rng);
    let (_, b) = name(rng);
    let kwise = rng.random_bool(0.15);
    if kwise {
        // Three or four different models, the best and maybe the worst by position.
        let mut plain = vec![plain_a];
        let mut json = vec![a];
        while plain.len() < 3 + usize::from(rng.random_bool(0.5)) {
            let (p, j) = name(rng);
            if !plain.contains(&p) {
                plain.push(p);
                json.push(j);
            }
        }
        let letters = ["a", "b", "c", "d"];
        for (letter, j) in letters.iter().zip(&json) {
            fields.push(format!("\"model_{letter}\": \"{j}\""));
        }
        let k = json.len();
        let best = rng.random_range(0..k);
        let spell = |p: usize, rng: &mut StdRng| {
            if rng.random_bool(0.5) {
                format!("model_{}", letters[p])
            } else {
                letters[p].to_string()
            }
        };
        fields.push(format!("\"winner\": \"{}\"", spell(best, rng)));
        match rng.random_range(0..3) {
            0 => fields.push("\"worst\": null".into()),
            1 => {
                let worst = (best + rng.random_range(1..k)) % k;
                fields.push(format!("\"worst\": \"{}\"", spell(worst, rng)));
            }
            _ => {}
        }
    } else if rng.random_bool(0.1) {
        // GenAI-Bench's names.
        fields.push(format!("\"left_model\": \"{a}\""));
        fields.push(format!("\"right_model\": \"{b}\""));
        let label = ["leftvote", "rightvote", "tievote", "bothbad_vote"][rng.random_range(0..4)];
        fields.push(format!("\"vote_type\": \"{label}\""));
    } else {
        fields.push(format!("\"model_a\": \"{a}\""));
        fields.push(format!("\"model_b\": \"{b}\""));
        let w = WINNERS[rng.random_range(0..WINNERS.len())];
        fields.push(format!("\"winner\": \"{w}\""));
    }
    if rng.random_bool(0.5) {
        fields.push(format!(
            "\"anony\": {}",
            ["true", "false", "null"][rng.random_range(0..3)]
        ));
    }
    if rng.random_bool(0.5) {
        let t = [
            "1700000000",
            "1700000000.25",
            "1.7e9",
            "null",
            "-0",
            "17000000000000000001",
        ];
        fields.push(format!("\"tstamp\": {}", t[rng.random_range(0..t.len())]));
    }
    if rng.random_bool(0.3) {
        fields.push(format!("\"category\": \"{}\"", name(rng).1));
    }
    if rng.random_bool(0.2) {
        fields.push("\"counts_for_leaderboard\": true".into());
    }
    if rng.random_bool(0.3) {
        let judge = ["\"abc\"", "42", "null", "[\"x\"]", "\"\\u00e9\""][rng.random_range(0..5)];
        fields.push(format!("\"judge\": {judge}"));
    }
    for _ in 0..rng.random_range(0..3) {
        let v = extra_value(rng, 0);
        fields.push(format!("\"extra_{}\": {v}", rng.random_range(0..100)));
    }
    if !kwise && rng.random_bool(0.05) {
        fields.push("\"model_c\": null".into());
    }
    if !kwise && rng.random_bool(0.1) {
        // A duplicate key: the last one counts, for both readers.
        let (_, c) = name(rng);
        fields.push(format!("\"model_b\": \"{c}\""));
    }
    // Any order (a duplicate stays after the first).
    for i in (1..fields.len()).rev() {
        let j = rng.random_range(0..=i);
        if !fields[i].starts_with("\"model_b\"") && !fields[j].starts_with("\"model_b\"") {
            fields.swap(i, j);
        }
    }
    let sep = [",", ", ", " ,\t", ",  "][rng.random_range(0..4)];
    let colon_space = rng.random_bool(0.5);
    let mut body = fields.join(sep);
    if !colon_space {
        body = body.replace("\": ", "\":");
    }
    let pad = [" ", "", "\t"][rng.random_range(0..3)];
    format!("{{{pad}{body}{pad}}}")
}

fn odd_jsonl(rng: &mut StdRng, lines: usize) -> String {
    let mut text = String::new();
    let crlf = rng.random_bool(0.5);
    for _ in 0..lines {
        text.push_str(&vote_object(rng));
        text.push_str(if crlf { "\r\n" } else { "\n" });
        if rng.random_bool(0.05) {
            text.push_str("   \n");
        }
    }
    if rng.random_bool(0.5) {
        // No final newline.
        text.truncate(text.trim_end().len());
    }
    text
}

fn odd_fastchat(rng: &mut StdRng, elements: usize) -> String {
    let pretty = rng.random_bool(0.5);
    let items: Vec<String> = (0..elements)
        .map(|_| {
            let o = vote_object(rng);
            if pretty {
                o.replace(", ", ",\n    ")
            } else {
                o
            }
        })
        .collect();
    format!("[\n  {}\n]", items.join(",\n  "))
}

fn odd_csv(rng: &mut StdRng, rows: usize) -> String {
    let mut text =
        String::from("winner,extra,model_b,tstamp,\"model_a\",anony,category,worst,model_c\r\n");
    for _ in 0..rows {
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let (a, _) = name(rng);
        let (mut b, _) = name(rng);
        let mut w = WINNERS[rng.random_range(0..WINNERS.len())].to_string();
        // A battle of three: three different models, the worst maybe named.
        let mut kwise = (String::new(), String::new());
        if rng.random_bool(0.2) {
            while b == a {
                b = name(rng).0;
            }
            let mut c = name(rng).0;
            while c == a || c == b {
                c = name(rng).0;
            }
            w = ["model_c", "a", "model_b"][rng.random_range(0..3)].to_string();
            let worst = match w.as_str() {
                "model_c" => "b",
                _ => ["", "model_c"][rng.random_range(0..2)],
            };
            kwise = (worst.to_string(), quote(&c));
        }
        let extra = [
            "",
            "plain",
            "\"with, comma\"",
            "\"with \"\"quotes\"\"\"",
            "\"two\nlines\"",
        ][rng.random_range(0..5)];
        let _ = write!(
            text,
            "{w},{extra},{},{},{},{},{},{},{}\r\n",
            quote(&b),
            ["", "1700000000", " 1.5 "][rng.random_range(0..3)],
            if rng.random_bool(0.5) {
                quote(&a)
            } else {
                a.clone()
            },
            ["", "true", "False", "1"][rng.random_range(0..4)],
            ["", "art", "\"a, b\""][rng.random_range(0..3)],
            kwise.0,
            kwise.1,
        );
    }
    text
}

/// CSV as exports without prompts write it: no quote anywhere, so that the file can be
/// read in shares; LF or CRLF line ends, blank lines, unicode names, battles of three.
fn plain_csv(rng: &mut StdRng, rows: usize) -> String {
    let end = if rng.random_bool(0.5) { "\r\n" } else { "\n" };
    let mut text = format!("winner,model_a,model_b,anony,tstamp,model_c,worst,category{end}");
    let model = |rng: &mut StdRng| {
        ["m1", "m2", "Modèle 3", "模型4", " m5 ", "m6"][rng.random_range(0..6)].to_string()
    };
    for _ in 0..rows {
        let a = model(rng);
        let mut b = model(rng);
        let (mut w, mut c, mut worst) = (
            WINNERS[rng.random_range(0..WINNERS.len())].to_string(),
            String::new(),
            String::new(),
        );
        if rng.random_bool(0.2) {
            while b.trim() == a.trim() {
                b = model(rng);
            }
            c = model(rng);
            while c.trim() == a.trim() || c.trim() == b.trim() {
                c = model(rng);
            }
            w = ["model_c", "a", "b"][rng.random_range(0..3)].to_string();
            if w == "a" {
                worst = "model_c".into();
            }
        }
        let _ = write!(
            text,
            "{w},{a},{b},{},{},{c},{worst},{}{end}",
            ["", "true", "0"][rng.random_range(0..3)],
            ["", "1700000000", " 2.5 "][rng.random_range(0..3)],
            ["", "art", "photo"][rng.random_range(0..3)],
        );
        if rng.random_bool(0.1) {
            text.push_str(end);
        }
    }
    if rng.random_bool(0.3) {
        text.truncate(text.trim_end().len());
    }
    text
}

/// Lines that share their layout (as exported files do) but not their values.
fn uniform_jsonl(rng: &mut StdRng, lines: usize) -> String {
    let mut text = String::new();
    for _ in 0..lines {
        let (_, a) = name(rng);
        let (_, b) = name(rng);
        let w = WINNERS[rng.random_range(0..WINNERS.len())];
        let anony = ["true", "false", "null", "1"][rng.random_range(0..4)];
        let t = ["1700000000", "1.5e9", "null", "\"x\""][rng.random_range(0..4)];
        let _ = writeln!(
            text,
            "{{\"model_a\":\"{a}\",\"model_b\":\"{b}\",\"winner\":\"{w}\",\"anony\":{anony},\"tstamp\":{t}}}"
        );
    }
    text
}

/// Lines in one layout per file — fields, order, spacing and line ends drawn per
/// file, as the lean lane reads them — with values near what it takes: nulls, escapes,
/// blank names, numbers of every shape, other types, unknown outcomes. Most files
/// hold a line the readers refuse; each line still goes through the lean lane first.
fn layout_jsonl(rng: &mut StdRng, lines: usize) -> String {
    const FIELDS: [&str; 8] = [
        "anony",
        "tstamp",
        "category",
        "task",
        "judge",
        "voter",
        "counts_for_leaderboard",
        "extra",
    ];
    let mut fields = vec!["model_a", "model_b", "winner"];
    fields.extend(FIELDS.iter().filter(|_| rng.random_bool(0.5)));
    for i in (1..fields.len()).rev() {
        fields.swap(i, rng.random_range(0..=i));
    }
    let (colon, comma) = [(":", ","), (": ", ", "), (" : ", " , ")][rng.random_range(0..3)];
    let end = ["\n", "\r\n", " \n"][rng.random_range(0..3)];
    let rare = |rng: &mut StdRng, usual: &str, odd: &[&str]| -> String {
        if rng.random_bool(0.9) {
            usual.to_string()
        } else {
            odd[rng.random_range(0..odd.len())].to_string()
        }
    };
    let mut text = String::new();
    for _ in 0..lines {
        let mut members = Vec::new();
        for field in &fields {
            let value = match *field {
                "model_a" | "model_b" => {
                    let (_, plain) = name(rng);
                    let usual = format!("\"{plain}\"");
                    rare(rng, &usual, &["\"m\\u0041\"", "\" \"", "\"\"", "null", "7"])
                }
                "winner" => {
                    let usual = format!("\"{}\"", WINNERS[rng.random_range(0..WINNERS.len())]);
                    rare(
                        rng,
                        &usual,
                        &["\"model_\\u0061\"", "\"model_c\"", "null", "\"x\""],
                    )
                }
                "anony" | "counts_for_leaderboard" => {
                    let usual = ["true", "false"][rng.random_range(0..2)];
                    rare(
                        rng,
                        usual,
                        &["null", "1", "\"true\"", "tru", "falsey", "nul"],
                    )
                }
                "tstamp" => {
                    let usual = format!("{}", 1_700_000_000u64 + rng.random_range(0..10_000_000));
                    rare(
                        rng,
                        &usual,
                        &[
                            "0",
                            "01",
                            "-5",
                            "1.5",
                            "1.5e9",
                            "1e999",
                            "1234567890123456",
                            "999999999999999",
                            "null",
                            "\"1\"",
                            "[1]",
                        ],
                    )
                }
                "category" | "task" => rare(rng, "\"art\"", &["null", "\"a\\rt\"", "3"]),
                "judge" | "voter" => rare(rng, "\"v1\"", &["null", "12", "{\"id\":1}", "\"v\\n\""]),
                _ => rare(rng, "1", &["[1,{\"a\":2}]", "\"x\"", "{}", "-0.5e-3"]),
            };
            members.push(format!("\"{field}\"{colon}{value}"));
        }
        let _ = write!(text, "{{{}}}{end}", members.join(comma));
    }
    if rng.random_bool(0.3) {
        text.truncate(text.trim_end().len());
    }
    text
}

#[test]
fn odd_but_valid_files_give_the_same_votes() {
    let mut rng = StdRng::seed_from_u64(18);
    for round in 0..60 {
        let n = rng.random_range(1..40);
        let jsonl = odd_jsonl(&mut rng, n);
        assert_agree(&format!("jsonl {round}"), jsonl.as_bytes(), Format::Jsonl);
        assert_agree(
            &format!("jsonl auto {round}"),
            jsonl.as_bytes(),
            Format::Auto,
        );
        let fastchat = odd_fastchat(&mut rng, n);
        assert_agree(
            &format!("fastchat {round}"),
            fastchat.as_bytes(),
            Format::Fastchat,
        );
        let csv = odd_csv(&mut rng, n);
        assert_agree(&format!("csv {round}"), csv.as_bytes(), Format::Csv);
        let plain = plain_csv(&mut rng, n);
        assert_agree(&format!("plain csv {round}"), plain.as_bytes(), Format::Csv);
        let uniform = uniform_jsonl(&mut rng, n);
        assert_agree(
            &format!("uniform {round}"),
            uniform.as_bytes(),
            Format::Jsonl,
        );
    }
}

/// The lean lane reads lines that repeat a layout; whatever the layout and the values,
/// it must read what the reference reads, or leave the line to the full parser.
#[test]
fn lines_in_any_layout_are_read_alike() {
    let mut rng = StdRng::seed_from_u64(1_000_003);
    let mut valid = 0;
    for round in 0..400 {
        let n = rng.random_range(1..12);
        let text = layout_jsonl(&mut rng, n);
        assert_agree(&format!("layout {round}"), text.as_bytes(), Format::Jsonl);
        valid += usize::from(
            reference::for_each_vote(text.as_bytes(), Format::Jsonl, |_| Ok(())).is_ok(),
        );
    }
    // Both outcomes are exercised: files read in full, and files refused.
    assert!((40..360).contains(&valid), "{valid} of 400 files valid");
}

#[test]
fn the_readers_read_every_vote_of_the_odd_files() {
    // The agreement above would hold for two readers that both read nothing.
    let mut rng = StdRng::seed_from_u64(7);
    let jsonl = odd_jsonl(&mut rng, 25);
    let mut n = 0;
    reference::for_each_vote(jsonl.as_bytes(), Format::Jsonl, |_| {
        n += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(n, 25);
}

/// Mutations of valid files: cut short, a byte changed, removed or doubled, a
/// character inserted. Most are malformed; every one must be refused alike, or read
/// alike when still valid.
#[test]
fn damaged_files_are_refused_alike() {
    let mut rng = StdRng::seed_from_u64(2026);
    const INSERTS: [&[u8]; 12] = [
        b"\"", b"\\", b"{", b"}", b"[", b"]", b",", b":", b"\n", b"\xff", b"\xc3", b"\\u12",
    ];
    for round in 0..1500 {
        let n = rng.random_range(1..6);
        let (mut bytes, format) = match round % 4 {
            0 => (odd_jsonl(&mut rng, n).into_bytes(), Format::Jsonl),
            1 => (odd_fastchat(&mut rng, n).into_bytes(), Format::Fastchat),
            2 => (odd_csv(&mut rng, n).into_bytes(), Format::Csv),
            _ if round % 8 == 3 => (uniform_jsonl(&mut rng, 3 * n).into_bytes(), Format::Jsonl),
            _ => (layout_jsonl(&mut rng, 3 * n).into_bytes(), Format::Jsonl),
        };
        for _ in 0..rng.random_range(1..3) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.random_range(0..bytes.len());
            match rng.random_range(0..5) {
                0 => bytes.truncate(at),
                1 => bytes[at] = rng.random(),
                2 => {
                    bytes.remove(at);
                }
                3 => bytes.insert(at, bytes[at]),
                _ => {
                    let insert = INSERTS[rng.random_range(0..INSERTS.len())];
                    bytes.splice(at..at, insert.iter().copied());
                }
            }
        }
        assert_agree(&format!("damaged {round}"), &bytes, format);
    }
}

/// CSV without quotes is read in shares (one thread each); damaged — a row cut short,
/// a bad value, a quote or a lone carriage return deep in the file — it must still be
/// refused or read exactly as the one-thread reader does.
#[test]
fn plain_csv_read_in_shares_is_refused_alike_when_damaged() {
    let mut rng = StdRng::seed_from_u64(2027);
    const INSERTS: [&[u8]; 6] = [b"\"", b",", b"\n", b"\r", b"\xff", b"x"];
    for round in 0..800 {
        let n = rng.random_range(1..30);
        let mut bytes = plain_csv(&mut rng, n).into_bytes();
        for _ in 0..rng.random_range(0..3) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.random_range(0..bytes.len());
            match rng.random_range(0..4) {
                0 => bytes.truncate(at),
                1 => {
                    bytes.remove(at);
                }
                2 => bytes.insert(at, bytes[at]),
                _ => {
                    let insert = INSERTS[rng.random_range(0..INSERTS.len())];
                    bytes.splice(at..at, insert.iter().copied());
                }
            }
        }
        assert_agree(&format!("plain csv damaged {round}"), &bytes, Format::Csv);
    }
}

#[test]
fn the_shared_data_sets_give_the_same_votes() {
    let Some(dir) = common::data_dir() else {
        return;
    };
    for file in [
        "genai-arena/clean_battle_20240220.json",
        "genai-arena/genai_arena_20240220_t2i.jsonl",
        "genai-arena/genai_arena_20240220_t2i_anony.jsonl",
        "llmfao/llmfao.csv",
        "llmfao/llmfao.jsonl",
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        assert_agree(file, &bytes, Format::Auto);
    }
}
