//! The vocabulary the prompt reader understands: things, numbers, colour
//! sinks, times of day and settings. Adding a word here is all it takes for
//! the demo generators to start drawing it.

use super::color::{Rgb, rgb};
use super::intent::{Intent, Kind, Terrain, Time};

use Kind::*;

/// A noun the generators can draw: word, kind, default colour, variant.
pub(super) type Noun = (&'static str, Kind, Option<Rgb>, u8);

pub(super) const NOUNS: &[Noun] = &[
    ("circle", Circle, None, 0),
    ("ball", Circle, None, 0),
    ("sphere", Circle, None, 0),
    ("orb", Circle, None, 1),
    ("bubble", Circle, Some(rgb(0.75, 0.90, 1.0)), 2),
    ("pearl", Circle, Some(rgb(0.95, 0.93, 0.90)), 0),
    ("square", Square, None, 0),
    ("cube", Square, None, 1),
    ("box", Square, Some(rgb(0.72, 0.52, 0.30)), 1),
    ("block", Square, None, 1),
    ("crate", Square, Some(rgb(0.66, 0.46, 0.24)), 1),
    ("gift", Square, Some(rgb(0.85, 0.15, 0.20)), 2),
    ("present", Square, Some(rgb(0.85, 0.15, 0.20)), 2),
    ("book", Square, Some(rgb(0.55, 0.18, 0.16)), 3),
    ("triangle", Triangle, None, 0),
    ("pyramid", Triangle, Some(rgb(0.88, 0.74, 0.48)), 1),
    ("star", Star, Some(rgb(1.0, 0.86, 0.30)), 0),
    ("starfish", Star, Some(rgb(1.0, 0.48, 0.30)), 0),
    ("heart", Heart, Some(rgb(0.88, 0.12, 0.25)), 0),
    ("diamond", Diamond, Some(rgb(0.70, 0.90, 1.0)), 0),
    ("kite", Diamond, Some(rgb(0.90, 0.20, 0.20)), 1),
    ("gem", Diamond, Some(rgb(0.20, 0.75, 0.55)), 0),
    ("crystal", Diamond, Some(rgb(0.65, 0.55, 0.95)), 0),
    ("jewel", Diamond, Some(rgb(0.85, 0.15, 0.35)), 0),
    ("spiral", Spiral, None, 0),
    ("swirl", Spiral, None, 0),
    ("vortex", Spiral, None, 0),
    ("planet", Planet, Some(rgb(0.85, 0.62, 0.38)), 0),
    ("saturn", Planet, Some(rgb(0.88, 0.76, 0.52)), 0),
    ("portal", Portal, Some(rgb(0.45, 0.35, 1.0)), 0),
    ("ring", Portal, Some(rgb(0.95, 0.75, 0.25)), 1),
    ("balloon", Balloon, Some(rgb(0.90, 0.15, 0.20)), 0),
    ("sun", Sun, Some(rgb(1.0, 0.84, 0.25)), 0),
    ("moon", Moon, Some(rgb(0.96, 0.94, 0.82)), 0),
    ("cloud", Cloud, Some(rgb(0.97, 0.97, 0.99)), 0),
    ("rainbow", Rainbow, None, 0),
    ("bird", Bird, Some(rgb(0.20, 0.20, 0.24)), 0),
    ("crow", Bird, Some(rgb(0.08, 0.08, 0.10)), 0),
    ("raven", Bird, Some(rgb(0.08, 0.08, 0.10)), 0),
    ("seagull", Bird, Some(rgb(0.92, 0.92, 0.94)), 0),
    ("gull", Bird, Some(rgb(0.92, 0.92, 0.94)), 0),
    ("eagle", Bird, Some(rgb(0.40, 0.26, 0.14)), 1),
    ("hawk", Bird, Some(rgb(0.45, 0.30, 0.16)), 1),
    ("owl", Bird, Some(rgb(0.55, 0.40, 0.24)), 1),
    ("parrot", Bird, Some(rgb(0.15, 0.70, 0.25)), 1),
    ("swan", Bird, Some(rgb(0.97, 0.97, 0.97)), 1),
    ("phoenix", Bird, Some(rgb(1.0, 0.40, 0.08)), 1),
    ("dragon", Bird, Some(rgb(0.20, 0.55, 0.30)), 2),
    ("butterfly", Butterfly, Some(rgb(0.25, 0.55, 0.95)), 0),
    ("moth", Butterfly, Some(rgb(0.75, 0.68, 0.55)), 0),
    ("mountain", Mountain, None, 0),
    ("peak", Mountain, None, 0),
    ("volcano", Mountain, Some(rgb(0.30, 0.24, 0.22)), 1),
    ("hill", Mountain, Some(rgb(0.35, 0.62, 0.30)), 2),
    ("tree", Tree, None, 0),
    ("oak", Tree, None, 0),
    ("maple", Tree, Some(rgb(0.90, 0.38, 0.12)), 0),
    ("willow", Tree, None, 0),
    ("palm", Tree, None, 0),
    ("pine", Tree, None, 1),
    ("fir", Tree, None, 1),
    ("spruce", Tree, None, 1),
    ("flower", Flower, Some(rgb(0.95, 0.40, 0.55)), 0),
    ("rose", Flower, Some(rgb(0.85, 0.10, 0.20)), 0),
    ("tulip", Flower, Some(rgb(0.95, 0.25, 0.35)), 0),
    ("daisy", Flower, Some(rgb(0.98, 0.98, 0.96)), 0),
    ("sunflower", Flower, Some(rgb(1.0, 0.80, 0.10)), 0),
    ("lotus", Flower, Some(rgb(0.98, 0.65, 0.78)), 0),
    ("blossom", Flower, Some(rgb(0.99, 0.75, 0.82)), 0),
    ("lavender", Flower, Some(rgb(0.62, 0.48, 0.85)), 0),
    ("dandelion", Flower, Some(rgb(0.98, 0.85, 0.2)), 0),
    ("mushroom", Mushroom, Some(rgb(0.85, 0.15, 0.12)), 0),
    ("house", House, None, 0),
    ("cottage", House, None, 0),
    ("cabin", House, Some(rgb(0.55, 0.35, 0.20)), 0),
    ("barn", House, Some(rgb(0.72, 0.15, 0.12)), 0),
    ("hut", House, Some(rgb(0.70, 0.55, 0.35)), 0),
    ("temple", House, Some(rgb(0.88, 0.84, 0.76)), 0),
    ("church", House, Some(rgb(0.90, 0.88, 0.84)), 0),
    ("tower", Tower, None, 0),
    ("castle", Tower, Some(rgb(0.70, 0.68, 0.66)), 1),
    ("lighthouse", Tower, Some(rgb(0.95, 0.95, 0.95)), 2),
    ("skyscraper", Tower, Some(rgb(0.55, 0.65, 0.75)), 3),
    ("spire", Tower, None, 0),
    ("windmill", Tower, Some(rgb(0.90, 0.86, 0.78)), 0),
    ("arch", Arch, Some(rgb(0.80, 0.74, 0.64)), 0),
    ("bridge", Arch, Some(rgb(0.70, 0.64, 0.56)), 1),
    ("gate", Arch, Some(rgb(0.80, 0.20, 0.15)), 0),
    ("doorway", Arch, None, 0),
    ("car", Car, Some(rgb(0.85, 0.12, 0.12)), 0),
    ("truck", Car, Some(rgb(0.25, 0.40, 0.70)), 0),
    ("bus", Car, Some(rgb(0.98, 0.75, 0.10)), 0),
    ("taxi", Car, Some(rgb(0.98, 0.80, 0.10)), 0),
    ("van", Car, None, 0),
    ("boat", Boat, None, 0),
    ("ship", Boat, None, 0),
    ("sailboat", Boat, None, 0),
    ("yacht", Boat, None, 0),
    ("canoe", Boat, Some(rgb(0.70, 0.40, 0.18)), 0),
    ("person", Person, None, 0),
    ("man", Person, None, 0),
    ("woman", Person, None, 0),
    ("child", Person, None, 0),
    ("girl", Person, None, 0),
    ("boy", Person, None, 0),
    ("figure", Person, None, 0),
    ("dancer", Person, None, 0),
    ("chef", Person, Some(rgb(0.96, 0.96, 0.96)), 0),
    ("astronaut", Person, Some(rgb(0.95, 0.95, 0.96)), 0),
    ("knight", Person, Some(rgb(0.70, 0.72, 0.76)), 0),
    ("wizard", Person, Some(rgb(0.30, 0.20, 0.60)), 0),
    ("witch", Person, Some(rgb(0.15, 0.10, 0.20)), 0),
    ("fisherman", Person, Some(rgb(0.85, 0.65, 0.15)), 0),
    ("musician", Person, None, 0),
    ("farmer", Person, None, 0),
    ("grandmother", Person, None, 0),
    ("grandfather", Person, None, 0),
    ("soldier", Person, Some(rgb(0.35, 0.40, 0.28)), 0),
    ("runner", Person, None, 0),
    ("skater", Person, None, 0),
    ("friend", Person, None, 0),
    ("hiker", Person, None, 0),
    ("painter", Person, None, 0),
    ("baker", Person, Some(rgb(0.96, 0.96, 0.96)), 0),
    ("fairy", Person, Some(rgb(0.75, 0.90, 0.70)), 0),
    ("cat", Cat, Some(rgb(0.90, 0.55, 0.20)), 0),
    ("kitten", Cat, Some(rgb(0.70, 0.70, 0.72)), 0),
    ("rabbit", Cat, Some(rgb(0.92, 0.90, 0.86)), 1),
    ("bunny", Cat, Some(rgb(0.92, 0.90, 0.86)), 1),
    ("owlet", Cat, Some(rgb(0.55, 0.40, 0.24)), 0),
    ("dog", Beast, Some(rgb(0.78, 0.58, 0.36)), 0),
    ("puppy", Beast, Some(rgb(0.85, 0.68, 0.45)), 0),
    ("fox", Beast, Some(rgb(0.92, 0.45, 0.12)), 0),
    ("wolf", Beast, Some(rgb(0.55, 0.56, 0.60)), 0),
    ("horse", Beast, Some(rgb(0.50, 0.30, 0.16)), 1),
    ("deer", Beast, Some(rgb(0.62, 0.42, 0.24)), 1),
    ("bear", Beast, Some(rgb(0.38, 0.24, 0.14)), 0),
    ("lion", Beast, Some(rgb(0.85, 0.64, 0.32)), 0),
    ("tiger", Beast, Some(rgb(0.95, 0.50, 0.10)), 0),
    ("cow", Beast, Some(rgb(0.95, 0.95, 0.92)), 1),
    ("sheep", Beast, Some(rgb(0.94, 0.93, 0.90)), 0),
    ("elephant", Beast, Some(rgb(0.58, 0.58, 0.60)), 1),
    ("unicorn", Beast, Some(rgb(0.97, 0.95, 0.98)), 1),
    ("fish", Fish, Some(rgb(1.0, 0.55, 0.10)), 0),
    ("goldfish", Fish, Some(rgb(1.0, 0.55, 0.10)), 0),
    ("koi", Fish, Some(rgb(1.0, 0.45, 0.20)), 0),
    ("whale", Fish, Some(rgb(0.30, 0.40, 0.55)), 1),
    ("dolphin", Fish, Some(rgb(0.55, 0.62, 0.70)), 1),
    ("shark", Fish, Some(rgb(0.55, 0.60, 0.66)), 1),
    ("turtle", Fish, Some(rgb(0.35, 0.55, 0.30)), 1),
    ("apple", Fruit, Some(rgb(0.85, 0.10, 0.12)), 0),
    ("orange", Fruit, Some(rgb(0.98, 0.55, 0.08)), 0),
    ("lemon", Fruit, Some(rgb(0.98, 0.88, 0.20)), 0),
    ("lime", Fruit, Some(rgb(0.50, 0.80, 0.20)), 0),
    ("peach", Fruit, Some(rgb(1.0, 0.68, 0.48)), 0),
    ("cherry", Fruit, Some(rgb(0.70, 0.04, 0.10)), 0),
    ("tomato", Fruit, Some(rgb(0.90, 0.18, 0.10)), 0),
    ("plum", Fruit, Some(rgb(0.45, 0.15, 0.45)), 0),
    ("pear", Fruit, Some(rgb(0.75, 0.82, 0.30)), 0),
    ("strawberry", Fruit, Some(rgb(0.88, 0.10, 0.18)), 0),
    ("blueberry", Fruit, Some(rgb(0.20, 0.25, 0.60)), 0),
    ("grape", Fruit, Some(rgb(0.45, 0.18, 0.50)), 0),
    ("pumpkin", Fruit, Some(rgb(0.95, 0.50, 0.08)), 0),
    ("egg", Fruit, Some(rgb(0.98, 0.95, 0.88)), 1),
    ("donut", Fruit, Some(rgb(0.95, 0.55, 0.70)), 2),
    ("cup", Cup, None, 0),
    ("mug", Cup, None, 0),
    ("teacup", Cup, None, 0),
    ("coffee", Cup, None, 0),
    ("tea", Cup, None, 0),
    ("latte", Cup, None, 0),
    ("cocoa", Cup, None, 0),
    ("bowl", Bowl, None, 0),
    ("soup", Bowl, None, 0),
    ("ramen", Bowl, None, 0),
    ("noodles", Bowl, None, 0),
    ("salad", Bowl, None, 1),
    ("cake", Cake, None, 0),
    ("cupcake", Cake, None, 1),
    ("pie", Cake, Some(rgb(0.85, 0.60, 0.30)), 2),
    ("pancakes", Cake, Some(rgb(0.90, 0.70, 0.40)), 2),
    ("sandwich", Cake, Some(rgb(0.90, 0.76, 0.50)), 2),
    ("burger", Cake, Some(rgb(0.75, 0.50, 0.25)), 2),
    ("candle", Candle, None, 0),
    ("lantern", Candle, Some(rgb(0.90, 0.55, 0.15)), 1),
    ("lamp", Candle, Some(rgb(0.95, 0.80, 0.45)), 1),
    ("torch", Candle, Some(rgb(0.55, 0.35, 0.18)), 1),
];

/// Irregular plurals and collective nouns that imply "several".
pub(super) const PLURAL_NOUNS: &[(&str, &str)] = &[
    ("people", "person"),
    ("men", "man"),
    ("women", "woman"),
    ("children", "child"),
    ("wolves", "wolf"),
    ("cherries", "cherry"),
    ("strawberries", "strawberry"),
    ("blueberries", "blueberry"),
    ("butterflies", "butterfly"),
    ("puppies", "puppy"),
    ("bunnies", "bunny"),
    ("mountains", "mountain"),
    ("stars", "star"),
    ("hills", "hill"),
    ("mice", "cat"),
];

pub(super) const NUMBERS: &[(&str, u32)] = &[
    ("one", 1),
    ("single", 1),
    ("lone", 1),
    ("solitary", 1),
    ("two", 2),
    ("pair", 2),
    ("couple", 2),
    ("twin", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
];

pub(super) const SEVERAL: &[&str] = &[
    "several", "many", "few", "some", "lots", "dozens", "flock", "herd", "school", "crowd",
    "group", "rows", "field", "cluster", "bunch", "family",
];

/// Nouns that take a colour for the most recent subject: `(word, true)` sets its
/// main colour, `(word, false)` its accent.
pub(super) const PARTS: &[(&str, bool)] = &[
    ("dress", true),
    ("shirt", true),
    ("coat", true),
    ("jacket", true),
    ("cloak", true),
    ("robe", true),
    ("robes", true),
    ("sweater", true),
    ("suit", true),
    ("hoodie", true),
    ("uniform", true),
    ("kimono", true),
    ("armor", true),
    ("armour", true),
    ("raincoat", true),
    ("scarf", false),
    ("hat", false),
    ("leaves", true),
    ("foliage", true),
    ("petals", true),
    ("fur", true),
    ("feathers", true),
    ("scales", true),
    ("wings", true),
    ("frosting", true),
    ("icing", true),
    ("walls", true),
    ("paint", true),
    ("roof", false),
    ("door", false),
    ("hair", false),
    ("sail", false),
    ("sails", false),
    ("stripes", false),
    ("eyes", false),
    ("ribbon", false),
    ("cap", false),
];

/// Words after which a colour-named noun ("orange") means the thing itself.
pub(super) const PHRASE_ENDS: &[&str] = &[
    "and", "or", "on", "in", "with", "next", "beside", "at", "of", "under", "over", "near", "by",
    "cut", "slice", "slices", "tree", "trees", "juice", "is", "sitting", "lying", "halves",
];

/// Nouns that turn the noun before them into a mere description ("maple syrup").
pub(super) const MODIFIED: &[&str] = &[
    "syrup",
    "juice",
    "jam",
    "sauce",
    "seeds",
    "slice",
    "slices",
    "shaped",
    "print",
    "pattern",
    "flavored",
    "flavoured",
    "scented",
    "skin",
    "leaf",
    "leaves",
    "tart",
];

/// Words that take a colour for part of the scene rather than a subject.
pub(super) fn scene_sink(word: &str) -> Option<fn(&mut Intent) -> &mut Option<Rgb>> {
    Some(match word {
        "sky" | "skies" | "clouds" | "horizon" | "storm" | "thunderstorm" => |i| &mut i.sky,
        "sea" | "ocean" | "water" | "lake" | "waves" | "river" => |i| &mut i.water,
        "background" | "backdrop" | "wall" | "room" | "studio" => |i| &mut i.backdrop,
        "ground" | "grass" | "sand" | "floor" | "field" | "meadow" | "desert" | "dunes"
        | "canyon" | "cliff" | "cliffs" | "rocks" | "hills" | "plain" | "plains" => {
            |i| &mut i.ground
        }
        "sign" | "board" | "poster" | "banner" | "billboard" | "plaque" | "menu" | "card"
        | "cover" | "signpost" => |i| &mut i.board,
        "letters" | "lettering" | "text" | "words" | "word" | "font" | "ink" => |i| &mut i.ink,
        "light" | "lights" | "lighting" | "spotlight" | "glow" | "neon" => |i| &mut i.light,
        _ => return None,
    })
}

/// The noun a word names, and whether it was a plural.
pub(super) fn noun(word: &str) -> Option<(&'static Noun, bool)> {
    let find = |w: &str| NOUNS.iter().find(|n| n.0 == w);
    if let Some(n) = find(word) {
        return Some((n, false));
    }
    if let Some(&(_, singular)) = PLURAL_NOUNS.iter().find(|(p, _)| *p == word) {
        return find(singular).map(|n| (n, true));
    }
    let stems = [
        word.strip_suffix("ies").map(|s| format!("{s}y")),
        word.strip_suffix("es").map(str::to_string),
        word.strip_suffix('s').map(str::to_string),
    ];
    stems
        .into_iter()
        .flatten()
        .find_map(|s| find(&s))
        .map(|n| (n, true))
}

pub(super) fn time_word(w: &str) -> Option<Time> {
    Some(match w {
        "night" | "midnight" | "nighttime" | "moonlit" | "starry" | "nocturnal" | "neon"
        | "cyberpunk" => Time::Night,
        "sunset" | "sunrise" | "dusk" | "dawn" | "twilight" | "evening" => Time::Sunset,
        "day" | "daytime" | "noon" | "sunny" | "morning" | "daylight" | "afternoon" | "summer" => {
            Time::Day
        }
        _ => return None,
    })
}

pub(super) fn terrain_word(w: &str) -> Option<Terrain> {
    use Terrain::*;
    Some(match w {
        "ocean" | "sea" | "beach" | "coast" | "shore" | "waves" | "lake" | "harbor" | "harbour"
        | "river" | "bay" | "island" | "lagoon" | "seaside" | "pier" | "sailboat" | "surf" => Ocean,
        "desert" | "dune" | "dunes" | "sahara" | "canyon" | "mesa" | "oasis" => Desert,
        "snow" | "snowy" | "winter" | "ice" | "icy" | "arctic" | "frozen" | "glacier"
        | "blizzard" | "frost" | "snowman" | "tundra" => Snow,
        "forest" | "woods" | "woodland" | "jungle" | "grove" | "rainforest" => Forest,
        "city" | "skyline" | "street" | "downtown" | "urban" | "alley" | "metropolis" | "town"
        | "rooftop" | "rooftops" | "cyberpunk" | "village" => City,
        "space" | "galaxy" | "nebula" | "cosmic" | "cosmos" | "orbit" | "asteroid"
        | "astronaut" => Space,
        "underwater" | "coral" | "reef" | "aquarium" | "seabed" | "seafloor" => Underwater,
        "table" | "kitchen" | "plate" | "desk" | "counter" | "tablecloth" | "breakfast"
        | "dinner" | "bakery" | "restaurant" | "diner" | "cafe" => Table,
        "studio" | "minimal" | "minimalist" | "abstract" | "product" | "geometric" | "pattern"
        | "composition" | "background" | "stage" => Studio,
        "meadow" | "garden" | "park" | "grass" | "hills" | "countryside" | "valley" | "farm"
        | "prairie" | "field" | "orchard" | "lawn" => Meadow,
        _ => return None,
    })
}
