//! Name tables: first words of style names, house brands and invented external brands.

/// First words of adult style names ("Aurora Round").
pub(crate) const STYLE_WORDS: &[&str] = &[
    "Aurora", "Beacon", "Cedar", "Dune", "Ember", "Fable", "Grove", "Harbor", "Iris", "Juniper",
    "Kestrel", "Linden", "Meridian", "Nova", "Orion", "Pike", "Quill", "Riven", "Sable", "Tamsin",
    "Umber", "Vesper", "Willow", "Yarrow", "Zephyr", "Alder", "Birch", "Cove", "Delta", "Echo",
    "Flint", "Gale", "Haven", "Indigo", "Jasper", "Kai", "Lark", "Maple", "Nash", "Onyx", "Piper",
    "Quinn", "Reed", "Sterling", "Thatcher", "Ursa", "Vale", "Wren", "Atlas", "Bowie", "Carver",
    "Dorian", "Ellis", "Finch", "Greer", "Hollis", "Ivy", "Jude", "Kit", "Lennox", "Marlow",
    "Nolan", "Perry", "Remy", "Sloane", "Tate", "Vance", "Wilder", "Arlo", "Blake", "Cassius",
    "Dax", "Emery", "Fletcher", "Grady", "Hayes", "Isla", "Juno", "Keaton", "Levi", "Milo", "Nico",
    "Otis", "Presley", "Rhodes", "Sage", "Theo", "Uma", "Vera", "Wes", "Zara", "Ansel", "Beck",
    "Clement", "Dexter", "Everett", "Fitz", "Gideon", "Hugo", "Ingram", "Jett", "Knox", "Lowell",
    "Monroe", "Orson", "Porter", "Rowan", "Silas", "Tobin", "Vaughn", "Winslow", "York", "Zane",
    "Harper", "Calder", "Soren", "Talia",
];

/// First words of children's style names ("Comet Round").
pub(crate) const KIDS_WORDS: &[&str] = &[
    "Sprout", "Pip", "Comet", "Pebble", "Rocket", "Bean", "Zippy", "Scout", "Pixie", "Bubbles",
    "Tiger", "Panda", "Otter", "Robin", "Sunny", "Button", "Maple Jr", "Skipper", "Twinkle",
    "Koala", "Dash", "Clover", "Sparky", "Puffin",
];

/// House brands: the retailer's own labels (budget and mid tiers).
pub(crate) const HOUSE_ESSENTIALS: &str = "Framewise Essentials";
pub(crate) const HOUSE_STUDIO: &str = "Framewise Studio";
pub(crate) const HOUSE_KIDS: &str = "Framewise Kids";
pub(crate) const HOUSE_ACTIVE: &str = "Framewise Active";

/// Invented general fashion and optical brands.
pub(crate) const GENERAL_BRANDS: &[&str] = &[
    "Aldous & Fray",
    "Maison Verre",
    "Nordlys Optik",
    "Brightline",
    "Carrow Eyewear",
    "Dalton & Pike",
    "Eastwick",
    "Fennimore",
    "Gallard",
    "Halden",
    "Isola Occhiali",
    "Juniper & Co",
    "Kessler Optics",
    "Lumen Row",
    "Marchetti",
    "Novella",
    "Oberlin",
    "Palisade",
    "Quarry Lane",
    "Rivoli",
    "Saltmarsh",
    "Tessaro",
    "Umbra Studio",
    "Vireo",
    "Westbrook",
    "Zellner",
    "Atelier Brun",
    "Bellamy",
    "Corso Milano",
    "Delacroix Optique",
    "Ellery James",
    "Fiorano",
    "Grayson Hale",
    "Holloway",
    "Ingrid Sol",
    "Jarvis Lane",
    "Kinsale",
    "Larkspur",
    "Montclair",
    "Navarre",
    "Orla Kade",
    "Pemberton",
    "Quintessa",
    "Rosewood",
    "Solenne",
    "Valmont",
    "Whitlock",
    "Harlow Ames",
    "Ostrander",
    "Pell & Quinn",
    "Sutter",
    "Thornfield",
    "Vesna",
    "Meadow Row",
    "Driftwood",
];

/// Invented sunwear-led brands.
pub(crate) const SUN_BRANDS: &[&str] = &[
    "Eclipse Sun",
    "Sol Mar",
    "Helios & Co",
    "Coastline",
    "Sunday Shade",
    "Bluff & Bay",
    "Canyon",
    "Tidewater",
    "Cascade",
];

/// Invented sport and performance brands.
pub(crate) const SPORT_BRANDS: &[&str] = &[
    "Alpine Edge",
    "Trailhead Sport",
    "Velocity Optics",
    "Surf Ridge",
    "Peak Form",
];

/// Invented children's brands.
pub(crate) const KIDS_BRANDS: &[&str] =
    &["Little Lumen", "Tiny Trail", "Minimo Kids", "Acorn Kids"];
