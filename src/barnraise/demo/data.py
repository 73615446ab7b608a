"""The raw material of the demo marketplace: people, categories and listing ideas."""

from typing import Any

CITY_NAME = "Burlington, VT"
CITY_LAT, CITY_LNG = 44.4759, -73.2121
CITY_TIMEZONE = "America/New_York"
CURRENCY = "USD"

FIRST_NAMES = [
    "Alice",
    "Bob",
    "Carmen",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonah",
    "Kemi",
    "Liam",
    "Maya",
    "Nikolai",
    "Olivia",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Victor",
    "Wren",
    "Xavier",
    "Yara",
    "Zeke",
    "Amara",
    "Ben",
    "Chloe",
    "Diego",
    "Esme",
    "Finn",
    "Gita",
    "Hugo",
    "Isla",
    "Jamal",
    "Kira",
    "Leo",
    "Mina",
    "Noah",
    "Orla",
    "Priya",
    "Rafael",
    "Sofia",
    "Theo",
    "Una",
    "Vera",
    "Will",
    "Ximena",
    "Yusuf",
]
LAST_NAMES = [
    "Martin",
    "Nguyen",
    "Okafor",
    "Patel",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Walsh",
    "Kowalski",
    "Haddad",
    "Lindqvist",
    "Moreau",
    "Brennan",
    "Costa",
    "Duarte",
    "Ferreira",
    "Gallagher",
]
BIOS = [
    "Grows vegetables on two acres in the Intervale and sells what the family can't eat.",
    "Carpenter by trade, weekend mountain biker, always has a spare tool to lend.",
    "Grad student at UVM. Tutors maths and physics, walks dogs between classes.",
    "Runs a small cleaning business; eco products and a careful eye for detail.",
    "Retired teacher who loves fixing old bikes and passing them on.",
    "Graphic designer working from a home studio in the Old North End.",
    "Hosts guests in a converted barn loft near the lake; loves recommending trails.",
    "New in town, looking for help with the move and good coffee.",
    "Beekeeper and candle maker; you will find me at the Saturday market.",
    "Owns a pickup and strong arms. Happy to help you move on weekends.",
    "Software engineer who rents out a quiet desk in a sunny shared office.",
    "Parent of three, always hunting for good second-hand kids' gear.",
]

# slug, name, parent slug, kinds, attribute schema
CATEGORIES = [
    ("goods", "Goods", None, ["sale", "request"], []),
    (
        "produce",
        "Farm produce",
        "goods",
        ["sale"],
        [
            {"name": "organic", "type": "boolean", "filterable": True},
            {
                "name": "season",
                "type": "enum",
                "values": ["spring", "summer", "autumn", "winter"],
                "filterable": True,
            },
        ],
    ),
    (
        "bikes",
        "Bikes",
        "goods",
        ["sale", "rental"],
        [
            {
                "name": "frame_size",
                "type": "enum",
                "values": ["S", "M", "L", "XL"],
                "filterable": True,
                "required": True,
            },
            {"name": "condition", "type": "enum", "values": ["new", "good", "fair"], "filterable": True},
        ],
    ),
    (
        "furniture",
        "Furniture",
        "goods",
        ["sale"],
        [
            {"name": "condition", "type": "enum", "values": ["new", "good", "fair"], "filterable": True},
        ],
    ),
    ("handmade", "Handmade", "goods", ["sale"], []),
    ("spaces", "Spaces", None, ["rental"], []),
    (
        "rooms",
        "Rooms and stays",
        "spaces",
        ["rental"],
        [
            {"name": "bedrooms", "type": "integer", "min": 0, "max": 20, "filterable": True},
            {"name": "wifi", "type": "boolean", "filterable": True},
        ],
    ),
    (
        "desks",
        "Desks and studios",
        "spaces",
        ["rental"],
        [
            {"name": "wifi", "type": "boolean", "filterable": True},
        ],
    ),
    (
        "equipment",
        "Tools and equipment",
        None,
        ["rental", "sale"],
        [
            {"name": "power", "type": "enum", "values": ["manual", "electric", "petrol"], "filterable": True},
        ],
    ),
    (
        "vehicles",
        "Vehicles",
        None,
        ["rental"],
        [
            {"name": "seats", "type": "integer", "min": 1, "max": 9, "filterable": True},
        ],
    ),
    ("services", "Services", None, ["service", "request"], []),
    ("cleaning", "Home cleaning", "services", ["service", "request"], []),
    ("moving", "Moving help", "services", ["service", "request"], []),
    (
        "design",
        "Design",
        "services",
        ["service", "request"],
        [
            {"name": "speciality", "type": "enum", "values": ["logo", "web", "print"], "filterable": True},
        ],
    ),
    (
        "tutoring",
        "Tutoring",
        "services",
        ["service", "request"],
        [
            {
                "name": "subject",
                "type": "enum",
                "values": ["maths", "physics", "languages", "music"],
                "filterable": True,
            },
        ],
    ),
    ("pets", "Pet care", "services", ["service", "request"], []),
    ("errands", "Tasks and errands", "services", ["request", "service"], []),
]

# What a new listing starts with in these categories (the listing wizard's defaults; the
# rest comes from the kind: catalog/defaults.py).
CATEGORY_DEFAULTS: dict[str, dict[str, Any]] = {
    "rooms": {"unit": "night", "check_in": "15:00", "check_out": "11:00"},
    "desks": {"unit": "day", "hours": "business"},
    "vehicles": {"unit": "day"},
    "equipment": {"unit": "day"},
}

# category slug -> (kind, unit, price range in cents, titles, attribute choices)
ListingIdea = tuple[str, str, tuple[int, int], list[str], dict[str, list[Any]]]
LISTING_IDEAS: dict[str, ListingIdea] = {
    "produce": (
        "sale",
        "item",
        (300, 1500),
        [
            "Heirloom tomatoes, 2 lb box",
            "Maple syrup, quart jar",
            "Fresh eggs, one dozen",
            "Honey from the Intervale, 1 lb",
            "Garlic braid",
            "Mixed salad greens bag",
            "Apple cider, half gallon",
            "Winter squash trio",
        ],
        {"organic": [True, False], "season": ["summer", "autumn"]},
    ),
    "bikes": (
        "sale",
        "item",
        (8000, 90000),
        [
            "Commuter bike with rack and lights",
            "Vintage steel road bike",
            "Kids' 20-inch bike",
            "Gravel bike, barely used",
            "Cargo bike for groceries",
        ],
        {"frame_size": ["S", "M", "L"], "condition": ["good", "fair", "new"]},
    ),
    "furniture": (
        "sale",
        "item",
        (2000, 40000),
        [
            "Solid oak dining table",
            "Pair of mid-century chairs",
            "Bookshelf, pine",
            "Desk with drawers",
            "Cosy reading armchair",
        ],
        {"condition": ["good", "fair"]},
    ),
    "handmade": (
        "sale",
        "item",
        (800, 8000),
        [
            "Beeswax candles, set of 4",
            "Hand-thrown mug",
            "Knitted wool hat",
            "Cutting board, maple",
        ],
        {},
    ),
    "rooms": (
        "rental",
        "night",
        (6000, 22000),
        [
            "Barn loft near the lake",
            "Quiet room in a Victorian house",
            "Cabin with wood stove",
            "Garden studio with private entrance",
        ],
        {"bedrooms": [1, 2, 3], "wifi": [True, False]},
    ),
    "desks": (
        "rental",
        "day",
        (1500, 4500),
        [
            "Sunny desk in shared office",
            "Photo studio with lights",
            "Quiet writing room",
        ],
        {"wifi": [True]},
    ),
    "equipment": (
        "rental",
        "day",
        (1500, 9000),
        [
            "Snowblower, petrol",
            "Pressure washer",
            "Extension ladder 24 ft",
            "Tile saw",
            "Camping gear set for four",
            "Kayak with paddle",
        ],
        {"power": ["manual", "electric", "petrol"]},
    ),
    "vehicles": (
        "rental",
        "day",
        (4000, 12000),
        [
            "Pickup truck for moving day",
            "Minivan, 7 seats",
            "Small car for city errands",
        ],
        {"seats": [2, 5, 7]},
    ),
    "cleaning": (
        "service",
        "hour",
        (2500, 4500),
        [
            "Eco-friendly home cleaning",
            "Move-out deep clean",
            "Weekly apartment tidy",
        ],
        {},
    ),
    "moving": (
        "service",
        "hour",
        (3000, 6000),
        [
            "Two movers and a truck",
            "Heavy lifting help",
            "Furniture assembly",
        ],
        {},
    ),
    "design": (
        "service",
        "job",
        (15000, 90000),
        [
            "Logo and brand kit",
            "Small business website",
            "Event posters and flyers",
        ],
        {"speciality": ["logo", "web", "print"]},
    ),
    "tutoring": (
        "service",
        "hour",
        (2500, 6000),
        [
            "Maths tutoring, grades 6-12",
            "Physics exam prep",
            "Beginner guitar lessons",
            "French conversation practice",
        ],
        {"subject": ["maths", "physics", "music", "languages"]},
    ),
    "pets": (
        "service",
        "hour",
        (1500, 3000),
        [
            "Dog walking in the Old North End",
            "Cat sitting while you travel",
        ],
        {},
    ),
    "errands": (
        "request",
        "job",
        (2000, 15000),
        [
            "Need help hanging shelves",
            "Looking for someone to assemble an IKEA wardrobe",
            "Grocery pickup for an elderly neighbour",
            "Help clearing snow from driveway",
            "Someone to mow the lawn weekly",
        ],
        {},
    ),
}

DESCRIPTIONS = [
    "Pick-up in town or I can drop it off nearby. Message me with any questions.",
    "Well looked after and ready to go. Happy to show it before you decide.",
    "Available most weekday evenings and weekends.",
    "Fair price, friendly service, many happy neighbours so far.",
]
