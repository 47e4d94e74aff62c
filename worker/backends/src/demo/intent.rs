//! What a prompt means to the demo generators: the things it names (with colours and
//! counts), the time of day, the terrain, the weather and the light. The prompt reader
//! (`prompt.rs`) fills an [`Intent`]; the scene planner and the painters read it.

use super::color::Rgb;

/// Everything the demo generators know how to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Circle,
    Square,
    Triangle,
    Star,
    Heart,
    Diamond,
    Spiral,
    Planet,
    Portal,
    Balloon,
    Sun,
    Moon,
    Cloud,
    Rainbow,
    Bird,
    Butterfly,
    Mountain,
    Tree,
    Flower,
    Mushroom,
    House,
    Tower,
    Arch,
    Car,
    Boat,
    Person,
    Cat,
    Beast,
    Fish,
    Fruit,
    Cup,
    Bowl,
    Cake,
    Candle,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Time {
    Day,
    Sunset,
    Night,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Terrain {
    /// A plain backdrop and a floor: still lifes, abstract shapes, products.
    Studio,
    /// A wall and a wooden table.
    Table,
    Meadow,
    Ocean,
    Desert,
    Snow,
    Forest,
    City,
    Space,
    Underwater,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Count {
    One,
    Exactly(u32),
    /// A plural without a number ("stars", "a flock of birds").
    Several,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Subject {
    pub kind: Kind,
    pub color: Option<Rgb>,
    /// A second colour (roof, hair, sail) when the prompt names one.
    pub accent: Option<Rgb>,
    /// Colours to cycle through when there are several ("circles in pink, teal and orange").
    pub palette: Vec<Rgb>,
    pub count: Count,
    /// Kind-specific look: conifer vs round tree, portrait vs full figure, …
    pub variant: u8,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Intent {
    pub subjects: Vec<Subject>,
    pub time: Option<Time>,
    pub terrain: Option<Terrain>,
    pub rain: bool,
    pub snowfall: bool,
    pub fog: bool,
    pub dramatic: bool,
    pub neon: bool,
    /// Things drawn dark against a bright sky.
    pub silhouette: bool,
    pub lightning: bool,
    pub sky: Option<Rgb>,
    pub water: Option<Rgb>,
    pub backdrop: Option<Rgb>,
    pub ground: Option<Rgb>,
    /// The panel the quoted text is on, and the letters.
    pub board: Option<Rgb>,
    pub ink: Option<Rgb>,
    /// The colour of the light ("a blue stage light", "green neon").
    pub light: Option<Rgb>,
    /// Colours named but not attached to anything.
    pub loose: Vec<Rgb>,
    /// Quoted text, upper-cased.
    pub text: Option<String>,
    /// A portrait or headshot: one person drawn head and shoulders.
    pub portrait: bool,
}
