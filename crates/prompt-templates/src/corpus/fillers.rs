//! Values for the templates' slots: names (accented, hyphenated, CJK), ids in several formats,
//! dates in several forms, quoted user text and retrieved passages of varying length.

use super::rng::Rng;

const FIRST: &[&str] = &[
    "Alice",
    "Bob",
    "Chen",
    "Dana",
    "Emeka",
    "Fatima",
    "Giulia",
    "Hiro",
    "Ingrid",
    "José",
    "Kwame",
    "Lena",
    "Mohammed",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tomás",
    "Uma",
    "Viktor",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoë",
    "Mary Ann",
    "Jean-Luc",
    "Anne-Marie",
    "Ólafur",
    "Siobhan",
    "Dmitri",
    "Aisha",
    "Björn",
    "Carmen",
    "Deepak",
    "Élodie",
    "Farid",
    "Grace",
];
const LAST: &[&str] = &[
    "Smith",
    "García",
    "Nguyen",
    "O'Brien",
    "Müller",
    "Kowalski",
    "Okafor",
    "Tanaka",
    "Rossi",
    "Johansson",
    "Dubois",
    "Patel",
    "Kim",
    "Silva",
    "Hernández",
    "van der Berg",
    "Al-Sayed",
    "MacDonald",
    "Novak",
    "Ivanova",
    "Yilmaz",
    "Cohen",
    "Schmidt",
    "Costa",
    "Andersen",
    "Li",
    "Wang",
    "Haddad",
    "Fischer",
    "López",
];
const ASCII_NAMES: &[&str] = &["alice", "bob", "chen", "dana", "emeka", "fatima", "hiro", "lena", "oscar", "priya", "rosa", "sven", "wei"];
const DOMAINS: &[&str] = &["example.com", "mail.example.org", "acme.example", "corp.example.net", "gmail.example"];
const CJK_NAMES: &[&str] = &[
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "杨磊",
    "赵敏",
    "黄晓明",
    "周杰",
    "吴丽",
    "佐藤健",
    "鈴木花子",
    "高橋一郎",
    "田中美咲",
    "渡辺翔",
];
const CJK_UTTERANCES: &[&str] = &[
    "我的快递三天了还没有更新物流信息，请帮我查一下",
    "商品收到时外包装破损，可以换货吗",
    "我想申请退款，因为尺码不合适",
    "为什么我的优惠券不能使用",
    "请问可以开具增值税专用发票吗",
    "订单显示已签收，但我没有收到包裹",
    "能不能修改收货地址",
    "会员积分什么时候到账",
];
const UTTERANCES: &[&str] = &[
    "How do I reset my password?",
    "My invoice shows two charges for March, can you explain why?",
    "Is there a way to export all my projects to CSV?",
    "The app crashes every time I open the settings page on Android.",
    "Can I upgrade my plan in the middle of the billing cycle, and will I be charged pro rata?",
    "Where can I find the API rate limits?",
    "I was promised a callback yesterday and nobody called. This is the third time I'm asking.",
    "What's the difference between the Pro and Business plans?",
    "How many vacation days do I get after five years?",
    "Does the SDK support streaming responses in Python and in TypeScript, and is there an example for each?",
    "hi",
    "Can you cancel my subscription effective immediately?",
    "I think someone else logged into my account from another country last night, what should I do?",
    "Why is the dashboard so slow today?",
    "Please delete all my personal data under GDPR.",
    "Is parental leave paid for contractors?",
    "We are migrating from the legacy REST API to the new one; which endpoints changed their pagination and do old tokens keep working?",
    "thanks, that worked!",
    "Can I bring my dog to the office on Fridays?",
    "What is the SLA for the Enterprise plan and how are credits calculated when it is missed?",
    "The webhook signature check fails after rotating the secret.",
    "How do I add a teammate?",
    "Show me total revenue per region for last quarter, sorted descending.",
    "Which customers placed more than five orders but never left a review?",
    "My order arrived damaged and the box was open.",
];
const PASSAGE_SENTENCES: &[&str] = &[
    "Refunds are processed within five business days of approval.",
    "The Pro plan includes unlimited projects and priority support.",
    "API keys can be rotated from the security settings page without downtime.",
    "Employees accrue vacation at a rate that increases with seniority.",
    "Streaming responses are available in all official SDKs.",
    "Rate limits apply per organisation and reset every minute.",
    "Data is encrypted at rest with AES-256 and in transit with TLS.",
    "Invoices are issued on the first day of each billing period.",
    "Parental leave policies differ between employees and contractors.",
    "Webhook payloads are signed with an HMAC of the request body.",
    "Archived projects remain readable but cannot be edited.",
    "Single sign-on is available on the Business and Enterprise plans.",
    "The mobile app supports offline mode for recently opened documents.",
    "Customers may change their billing cycle once per quarter.",
    "Support tickets are answered in the order they were received.",
    "The warranty does not cover damage caused by liquids.",
    "Contractors are not eligible for the annual bonus programme.",
    "Exports are generated asynchronously and emailed when ready.",
    "Pagination uses opaque cursors instead of page numbers.",
    "Deleted accounts are purged from backups after thirty days.",
];
const TITLES: &[&str] = &[
    "Billing FAQ",
    "Security overview",
    "Getting started",
    "Leave policy",
    "SDK reference",
    "Rate limits",
    "Release notes",
    "Data retention",
    "Webhooks guide",
    "Migration guide",
    "Troubleshooting",
    "Plans and pricing",
];
const ITEM_TITLES: &[&str] = &[
    "Quarterly review with finance",
    "Fix login timeout",
    "Trail running shoes",
    "Design sync",
    "Renew SSL certificate",
    "Login failures up sharply",
    "Waterproof jacket",
    "1:1 with manager",
    "Support tickets doubled",
    "Yoga mat",
    "Usage dropped after price change",
    "Dentist appointment",
    "Migrate billing database",
    "Champion left the company",
];
const CHAT: &[&str] = &[
    "I finished the migration script and it's in review.",
    "Still blocked on the staging credentials.",
    "Can someone look at the flaky checkout test?",
    "Deployed the hotfix to production at noon.",
    "Working on the onboarding emails today.",
    "Sure, I'll take a look after lunch.",
    "It still fails with the same error.",
    "Did you try clearing the cache first?",
];
const FACTS: &[&str] = &[
    "Prefers to be called by their first name.",
    "Is allergic to peanuts.",
    "Has a daughter who plays the violin.",
    "Is training for a half marathon.",
    "Works night shifts on weekends.",
    "Recently moved to a new apartment.",
    "Dislikes long emails.",
    "Is learning Japanese.",
];
const CODE: &[&str] = &[
    "--- a/src/pay.rs\n+++ b/src/pay.rs\n@@ -10,7 +10,9 @@\n-    let amount = req.amount;\n+    let amount = req.amount.max(0);\n+    log::info!(\"charging {}\", amount);",
    "--- a/api/users.py\n+++ b/api/users.py\n@@ -42,3 +42,4 @@\n-    q = f\"select * from users where id = {uid}\"\n+    q = \"select * from users where id = %s\"\n+    cur.execute(q, (uid,))",
    "M  web/src/App.tsx\nA  web/src/hooks/useAuth.ts\nD  web/src/legacy/session.js",
    "--- a/Dockerfile\n+++ b/Dockerfile\n-FROM node:18\n+FROM node:20-alpine\n+RUN npm ci --omit=dev",
];
const TABLES: &[&str] = &[
    "create table customers (id bigint primary key, name text, region text, created_at timestamptz);",
    "create table orders (id bigint primary key, customer_id bigint references customers, total numeric(12,2), placed_at timestamptz);",
    "create table reviews (id bigint primary key, order_id bigint references orders, stars int, body text);",
    "create table products (id bigint primary key, sku text, price numeric(10,2), stock int);",
];
const ARTICLE: &[&str] = &[
    "The city council approved a new budget on Tuesday after weeks of debate.",
    "Officials said the plan would fund two new bus lines and repair ageing bridges.",
    "Critics argued that the spending increase was not matched by new revenue.",
    "The mayor, speaking at a press conference, called the vote a turning point.",
    "Local businesses welcomed the investment but asked for faster permits.",
    "The opposition announced it would challenge parts of the plan in court.",
    "Economists at the regional university estimated the cost at twice the official figure.",
];
const REVIEWS: &[&str] = &[
    "Arrived two days late but works perfectly, very happy with the sound.",
    "Terrible. Broke after a week and support never answered.",
    "Decent value for the price, nothing special.",
    "The best purchase I have made this year! Battery lasts forever.",
    "Colour is different from the photos and the strap feels cheap.",
    "Clinically proven to make you ten years younger, the best cream in the world, guaranteed!",
];

/// The value of `slot`, or None for an unknown slot (its braces are then literal).
pub(super) fn fill(slot: &str, rng: &mut Rng) -> Option<String> {
    let pick = |rng: &mut Rng, list: &[&str]| rng.pick(list).copied().unwrap_or_default().to_owned();
    let digits = |rng: &mut Rng, n: usize| (0..n).map(|_| char::from(b'0' + rng.below(10) as u8)).collect::<String>();
    let hex = |rng: &mut Rng, n: usize| format!("{:016x}", rng.next_u64()).chars().take(n).collect::<String>();
    Some(match slot {
        "first" | "npc_name" => pick(rng, FIRST),
        "name" | "name2" => name(rng),
        "cjk_name" => pick(rng, CJK_NAMES),
        "email" => format!("{}.{}{}@{}", pick(rng, ASCII_NAMES), pick(rng, ASCII_NAMES), rng.below(100), pick(rng, DOMAINS)),
        "user_id" => format!("usr_{}{}", hex(rng, 6), rng.below(10)),
        "account" => digits(rng, 8),
        "order_id" => format!("ORD-{}", rng.range(1000, 99_999_999)),
        "ticket" => format!("#{}", rng.range(100, 999_999)),
        "claim_id" => format!("CLM-{}-{}", rng.range(2019, 2025), digits(rng, 5)),
        "booking_ref" | "plate" => format!("{}{}", pick(rng, &["QX", "LM", "AB", "ZR"]), rng.range(1000, 9999)),
        "policy" | "rx" | "sku" => format!("{}-{}", pick(rng, &["POL", "RX", "SKU"]), digits(rng, 7)),
        "uuid" => {
            let h = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
            format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
        }
        "hex" => hex(rng, 12),
        "flight" => format!("SW{}", rng.range(10, 9999)),
        "version" => format!("{}.{}.{}", rng.range(1, 9), rng.range(0, 30), rng.range(0, 20)),
        "phone" => format!("+{}-{}-{}-{}", rng.range(1, 99), digits(rng, 3), digits(rng, 3), digits(rng, 4)),
        "url" => {
            format!("https://{}/{}/{}?id={}", pick(rng, DOMAINS), pick(rng, &["news", "img", "blog", "docs"]), hex(rng, 8), rng.below(1000))
        }
        "filename" => format!("{}_{}.pdf", pick(rng, &["annual_report", "lease", "handbook", "manual"]), rng.range(2015, 2025)),
        "date" => format!("{}-{:02}-{:02}", rng.range(2022, 2025), rng.range(1, 12), rng.range(1, 28)),
        "date_us" => format!("{:02}/{:02}/{}", rng.range(1, 12), rng.range(1, 28), rng.range(2022, 2025)),
        "date_de" => format!("{:02}.{:02}.{}", rng.range(1, 28), rng.range(1, 12), rng.range(2022, 2025)),
        "date_text" => format!("{} {} {}", rng.range(1, 28), month(rng), rng.range(2022, 2025)),
        "date_long" => format!(
            "{}, {} {}, {}",
            pick(rng, &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]),
            month(rng),
            rng.range(1, 28),
            rng.range(2022, 2025)
        ),
        "datetime" => format!(
            "{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            rng.range(2022, 2025),
            rng.range(1, 12),
            rng.range(1, 28),
            rng.below(24),
            rng.below(60),
            rng.below(60)
        ),
        "time" => format!("{:02}:{:02}", rng.below(24), rng.below(60)),
        "time_ampm" => format!("{}:{:02} {}", rng.range(1, 12), rng.below(60), pick(rng, &["PM", "pm", "AM"])),
        "num" | "seats" | "gold" | "area" | "grams" => rng.range(1, 5000).to_string(),
        "count" | "bedrooms" | "bathrooms" | "grade" | "quarter" | "days_count" => rng.range(1, 12).to_string(),
        "age" | "minutes" | "months" | "temp" | "wind" => rng.range(5, 90).to_string(),
        "year" => rng.range(2019, 2025).to_string(),
        "amount" | "amount2" => format!("${}.{:02}", with_commas(rng.range(5, 250_000)), rng.below(100)),
        "pct" | "pct2" | "apr" => format!("{}.{}%", rng.range(0, 60), rng.below(10)),
        "plan" => pick(rng, &["Free", "Starter", "Pro", "Business", "Enterprise"]),
        "tier" => pick(rng, &["Silver", "Gold", "Platinum", "Diamond", "Basic"]),
        "lang" | "lang2" => pick(
            rng,
            &[
                "English",
                "French",
                "German",
                "Spanish",
                "Brazilian Portuguese",
                "Italian",
                "Japanese",
                "Korean",
                "Simplified Chinese",
                "Dutch",
                "Polish",
                "Turkish",
            ],
        ),
        "tone" | "style" => pick(rng, &["formal", "friendly", "neutral", "playful", "concise", "smart casual"]),
        "level" => pick(rng, &["beginner", "intermediate", "advanced"]),
        "dept" => pick(rng, &["Finance", "Marketing", "Sales", "Engineering", "Customer Success", "Legal", "People Operations"]),
        "role" => pick(
            rng,
            &[
                "Senior Data Engineer",
                "Product Manager",
                "Claims Handler",
                "Head of Growth",
                "Staff Software Engineer",
                "Account Executive",
                "UX Researcher",
            ],
        ),
        "city" => pick(
            rng,
            &[
                "Paris",
                "Lagos",
                "São Paulo",
                "New York",
                "Tokyo",
                "Berlin",
                "Mumbai",
                "Toronto",
                "Sydney",
                "Nairobi",
                "Mexico City",
                "Seoul",
                "Oslo",
            ],
        ),
        "country" => {
            pick(rng, &["France", "Nigeria", "Brazil", "the United States", "Japan", "Germany", "India", "Canada", "Australia", "Kenya"])
        }
        "region" => pick(rng, &["EMEA", "North America", "LATAM", "APAC"]),
        "industry" => pick(rng, &["logistics", "healthcare", "retail", "fintech", "manufacturing", "public sector"]),
        "airport" => pick(rng, &["JFK", "LHR", "CDG", "NRT", "GRU", "LOS", "SYD"]),
        "tz" => pick(rng, &["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Africa/Lagos"]),
        "category" => pick(rng, &["running shoes", "tents", "cycling jackets", "yoga", "tennis rackets"]),
        "product" => pick(rng, &["Nimbus Pro headphones", "Stratus laptop", "Cirrus smart kettle", "Volt power bank", "Aero drone"]),
        "car" => pick(rng, &["Corolla Hybrid", "Model Y", "Golf GTI", "Civic", "Ioniq Electric"]),
        "tradein" => pick(rng, &["none", "a 2015 Ford Focus", "a leased Mini Cooper"]),
        "vehicle" => pick(rng, &["Toyota Yaris", "Peugeot 208", "Ford Ranger", "Kia Niro"]),
        "device" => pick(rng, &["MacBook Pro", "ThinkPad X1 Carbon", "Dell XPS", "Surface Laptop"]),
        "os" => pick(rng, &["macOS 14.2", "Windows 11", "Ubuntu 22.04"]),
        "diet" => pick(rng, &["vegetarian", "vegan", "gluten-free", "halal", "nut-free", "none"]),
        "goal" => pick(rng, &["run a marathon", "lose weight", "build strength", "improve mobility"]),
        "days" => pick(rng, &["Monday, Wednesday, Friday", "weekends only", "every day except Sunday"]),
        "equipment" => pick(rng, &["dumbbells and a bench", "none", "full gym", "resistance bands"]),
        "math_topic" => pick(rng, &["fractions", "linear equations", "quadratic functions", "derivatives", "probability"]),
        "class" => pick(rng, &["ranger", "wizard", "paladin", "rogue"]),
        "weather" => pick(rng, &["sunny", "light rain", "heavy snow", "overcast", "thunderstorms"]),
        "medication" => pick(rng, &["atorvastatin", "metformin", "lisinopril", "levothyroxine"]),
        "condition" => pick(rng, &["none", "asthma", "type 2 diabetes", "hypertension"]),
        "colours" => pick(rng, &["black, white", "graphite, sand, ocean blue", "red"]),
        "features" => pick(rng, &["south-facing garden", "renovated kitchen, balcony", "garage and solar panels"]),
        "street" => pick(rng, &["Oak Street", "Maple Avenue", "Rue de la Paix", "Harbour Road"]),
        "campaign" => pick(rng, &["Summer Glow", "Back to School", "Black Friday Deals"]),
        "slug" => format!(
            "{}-{}",
            pick(rng, &["acme", "globex", "initech", "hooli", "stark"]),
            pick(rng, &["design", "ops", "core", "labs", "team"])
        ),
        "repo" => pick(rng, &["acme/payments", "tasklane/web", "nimbus/sdk-python"]),
        "subject" => pick(rng, ITEM_TITLES),
        "title" => pick(rng, TITLES),
        "utterance" => pick(rng, UTTERANCES),
        "symptom" => pick(
            rng,
            &["headache and fever since yesterday", "my ankle is swollen after a fall", "dry cough for two weeks", "rash on both arms"],
        ),
        "cjk_utterance" => pick(rng, CJK_UTTERANCES),
        "review" => pick(rng, REVIEWS),
        "passages" => passages(rng),
        "transcript" => lines(rng, 2, 8, |rng| format!("{}: {}", pick(rng, FIRST), pick(rng, CHAT))),
        "history" => lines(rng, 1, 6, |rng| format!("{}: {}", pick(rng, &["User", "Assistant"]), pick(rng, CHAT))),
        "items" => lines(rng, 1, 5, |rng| {
            format!(
                "- #{} {} (due {}-{:02}-{:02})",
                rng.range(10, 9999),
                pick(rng, ITEM_TITLES),
                rng.range(2023, 2025),
                rng.range(1, 12),
                rng.range(1, 28)
            )
        }),
        "facts" => lines(rng, 1, 5, |rng| format!("- {}", pick(rng, FACTS))),
        "resume" => lines(rng, 3, 8, |rng| {
            format!(
                "{} at {}, {} years",
                pick(rng, &["Engineer", "Analyst", "Lead"]),
                pick(rng, &["Globex", "Initech", "Umbrella"]),
                rng.range(1, 9)
            )
        }),
        "article" => lines(rng, 2, 6, |rng| pick(rng, ARTICLE)),
        "code" => pick(rng, CODE),
        "schema" => lines(rng, 1, 4, |rng| pick(rng, TABLES)),
        "columns" => lines(rng, 2, 7, |rng| {
            format!(
                "{}: {}",
                pick(rng, &["order_id", "region", "revenue", "created_at", "channel", "units"]),
                pick(rng, &["int64", "object", "float64", "datetime64[ns]"])
            )
        }),
        "transactions" => lines(rng, 2, 6, |rng| {
            format!(
                "{{\"merchant\": \"{}\", \"amount\": {}.{:02}, \"city\": \"{}\"}}",
                pick(rng, &["Amazon", "Shell", "Uber", "Casino Royale"]),
                rng.range(1, 3000),
                rng.below(100),
                pick(rng, &["Lagos", "Paris", "Macau"])
            )
        }),
        _ => return None,
    })
}

fn name(rng: &mut Rng) -> String {
    let first = rng.pick(FIRST).copied().unwrap_or_default();
    let last = rng.pick(LAST).copied().unwrap_or_default();
    if rng.chance(15) {
        let middle = rng.pick(FIRST).copied().unwrap_or_default();
        format!("{first} {middle} {last}")
    } else {
        format!("{first} {last}")
    }
}

fn month(rng: &mut Rng) -> &'static str {
    const MONTHS: &[&str] =
        &["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    rng.pick(MONTHS).copied().unwrap_or("May")
}

fn with_commas(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Between `min` and `max` lines made by `line`.
fn lines(rng: &mut Rng, min: usize, max: usize, mut line: impl FnMut(&mut Rng) -> String) -> String {
    let n = rng.range(min, max);
    (0..n).map(|_| line(rng)).collect::<Vec<_>>().join("\n")
}

/// 1–6 retrieved passages of 1–4 sentences, numbered, with a title and a source URL.
fn passages(rng: &mut Rng) -> String {
    let n = rng.range(1, 6);
    let mut out = Vec::new();
    for i in 1..=n {
        let title = rng.pick(TITLES).copied().unwrap_or_default();
        let body = lines(rng, 1, 4, |rng| rng.pick(PASSAGE_SENTENCES).copied().unwrap_or_default().to_owned()).replace('\n', " ");
        out.push(format!(
            "[{i}] {title} (https://docs.example.com/{}/{})\n{body}",
            title.to_lowercase().replace(' ', "-"),
            rng.range(1, 400)
        ));
    }
    out.join("\n")
}
