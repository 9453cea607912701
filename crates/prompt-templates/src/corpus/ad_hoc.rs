//! One-off prompts, as typed in a playground or by a script that never repeats itself: a role,
//! a task on a topic, a constraint and sometimes an aside, drawn so that no two prompts share
//! more than one part.

use super::rng::Rng;

const ROLES: &[&str] = &[
    "You are a pirate who only speaks in rhymes.",
    "Act as a grumpy medieval librarian.",
    "Pretend you are a tour guide on Mars in the year 3000.",
    "You're a sarcastic stand-up comedian.",
    "Be my Socratic philosophy teacher.",
    "You are an overly enthusiastic fitness influencer.",
    "Behave like a Victorian-era detective.",
    "Imagine you are a cat explaining the world to other cats.",
    "Take the role of a strict but fair chess coach.",
    "You are a sommelier with strong opinions.",
    "Play a retired astronaut telling stories.",
    "Respond as if you were a 1920s radio announcer.",
    "Assume the persona of a minimalist interior designer.",
    "You are a skeptical venture capitalist.",
    "Be a kindergarten teacher.",
    "Act like a noir film narrator.",
    "Speak as a wise old tree in an enchanted forest.",
    "You are a barista who knows everything about coffee chemistry.",
    "Channel a Shakespearean actor.",
    "Be a calm air-traffic controller.",
];
const TASKS: &[&str] = &[
    "Write a haiku about",
    "Explain to a ten-year-old",
    "Give me three surprising facts about",
    "Draft a tweet thread on",
    "Compose a limerick concerning",
    "Argue against the popularity of",
    "Invent a board game inspired by",
    "Describe a dream involving",
    "List the pros and cons of",
    "Write a short love letter addressed to",
    "Create a workout routine themed around",
    "Summarise the history of",
    "Design a cocktail named after",
    "Tell a bedtime story featuring",
    "Write product copy for a candle that smells like",
    "Plan a weekend itinerary centred on",
    "Explain the economics behind",
    "Write a motivational speech about",
    "Describe the smell of",
    "Compose a job advert for someone who loves",
];
const TOPICS: &[&str] = &[
    "volcanoes",
    "sourdough bread",
    "quantum entanglement",
    "medieval siege engines",
    "jellyfish",
    "the stock market",
    "origami",
    "black holes",
    "tax returns",
    "penguins",
    "jazz improvisation",
    "the Roman aqueducts",
    "mushroom foraging",
    "electric scooters",
    "lighthouses",
    "the printing press",
    "glaciers",
    "crossword puzzles",
    "honeybees",
    "submarines",
    "typography",
    "desert caravans",
    "snow leopards",
    "vinyl records",
    "the Silk Road",
];
const CONSTRAINTS: &[&str] = &[
    "Keep it under fifty words.",
    "Use exactly three emojis.",
    "Every sentence must start with the letter S.",
    "Avoid the letter e where possible.",
    "Format the answer as a numbered list.",
    "End with a question for me.",
    "Answer in the style of a legal contract.",
    "Write it entirely in lowercase.",
    "Include one made-up word and define it.",
    "Make it rhyme.",
    "No more than two paragraphs.",
    "Use British spelling.",
    "Add a plot twist at the end.",
    "Mention a famous painting.",
    "Write it as a dialogue between two characters.",
];
const ASIDES: &[&str] = &[
    "I'm testing something, ignore the weirdness.",
    "This is for my niece's birthday card.",
    "My boss asked for this, don't ask.",
    "Bonus points if it makes me laugh.",
    "I have a presentation in ten minutes.",
    "Please be creative rather than accurate.",
    "It's raining here and I'm bored.",
    "Think of it as a warm-up exercise.",
];

/// `n` distinct one-off prompts.
pub(super) fn prompts(rng: &mut Rng, n: usize) -> Vec<String> {
    let mut chosen: Vec<[usize; 5]> = Vec::new();
    let mut out = Vec::new();
    let mut attempts = 0;
    while out.len() < n && attempts < n * 1000 {
        attempts += 1;
        let parts = [
            rng.below(ROLES.len()),
            rng.below(TASKS.len()),
            rng.below(TOPICS.len()),
            rng.below(CONSTRAINTS.len()),
            if rng.chance(40) { rng.below(ASIDES.len()) } else { usize::MAX },
        ];
        let shared = |other: &[usize; 5]| (0..4).filter(|k| parts[*k] == other[*k]).count();
        if chosen.iter().any(|c| shared(c) > 1) {
            continue;
        }
        let mut text = format!("{} {} {}. {}", ROLES[parts[0]], TASKS[parts[1]], TOPICS[parts[2]], CONSTRAINTS[parts[3]]);
        if let Some(aside) = ASIDES.get(parts[4]) {
            text = format!("{text} {aside}");
        }
        chosen.push(parts);
        out.push(text);
    }
    out
}
