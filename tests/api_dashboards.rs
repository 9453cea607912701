//! The ledger dashboard page (issue 5): KPI figures and chart data against sums computed here
//! from the seeded rows, the drill-down's paging and sorting, membership, and the CSV/XLSX
//! export through the running server (real sessions, CSRF and authorisation layers).

mod common;

use common::{add_user, sign_in, spawn_app, TestApp, PASSWORD};
use domain::{
    ledger_dashboard::{change_bp, format_change, CommitMode, LedgerFilter, LedgerMonth, LedgerRow, Money},
    GlobalRole,
};
use reqwest::{Client, StatusCode as Http};

const MONTHS: [&str; 6] = ["2023-10", "2023-11", "2023-12", "2024-01", "2024-02", "2024-03"];
const ENTITIES: [&str; 3] = ["Elara GmbH", "東京支社", "Gulf & Co"];
const GROUPS: [(&str, &str, &str); 6] = [
    ("REVENUE", "4000", "Product revenue"),
    ("COGS", "5000", "Materials"),
    ("OPEX", "6200", "Rent"),
    ("TAX", "8000", "Income tax"),
    ("OTHER_INCOME", "7000", "Interest received"),
    ("FIXED_ASSETS", "1500", "Machinery"),
];

/// 180 rows: every month × group × entity mix, amounts with 4 decimals, a few revenue returns,
/// and descriptions that need CSV quoting or defusing.
fn ledger(import_id: &str, rows: std::ops::Range<u64>) -> Vec<LedgerRow> {
    rows.map(|i| {
        let month = MONTHS[(i % 6) as usize];
        let (group, code, name) = GROUPS[((i / 6) % 6) as usize];
        let entity = ENTITIES[((i / 36) % 3) as usize];
        let amount = Money::from_scaled(((i * 7_919) % 100_000) as i64 * 100 + i as i64);
        let income = group == "REVENUE" || group == "OTHER_INCOME";
        let ret = income && i % 17 == 0;
        let (debit, credit) = if income && !ret { (Money::ZERO, amount) } else { (amount, Money::ZERO) };
        LedgerRow {
            dataset_id: "ds-1".into(),
            import_id: import_id.into(),
            row: i + 1,
            company_code: if i % 2 == 0 { "C01".into() } else { "C02".into() },
            entity: entity.into(),
            region: if entity == "東京支社" { "APAC".into() } else { "EMEA".into() },
            department: if i % 4 < 2 { "R&D".into() } else { "Sales".into() },
            division: String::new(),
            account_group: group.into(),
            account_code: code.into(),
            account_name: name.into(),
            date: format!("{month}-{:02}", 1 + i % 28),
            month: LedgerMonth::parse(month).unwrap(),
            debit,
            credit,
            balance: debit.checked_sub(credit).unwrap(),
            currency: "EUR".into(),
            description: match i {
                4 => "=HYPERLINK(\"http://x\")".into(),
                6 => "rent, \"office\"\nline two".into(),
                _ => format!("line {i}"),
            },
            extra: if i % 5 == 0 { format!(r#"{{"project":"P-{i}"}}"#) } else { String::new() },
        }
    })
    .collect()
}

struct Setup {
    app: TestApp,
    analyst: Client,
    /// Every visible row (committed imports only).
    rows: Vec<LedgerRow>,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    add_user(&app, "owner@example.com", GlobalRole::User).await;
    let owner = sign_in(&app, "owner@example.com", PASSWORD).await;
    let res = owner.post(app.url("/projects")).form(&[("name", "Alpha"), ("slug", "alpha")]).send().await.unwrap();
    assert_eq!(res.status(), Http::SEE_OTHER);
    let project = app.stores.primary.project_by_slug(&domain::ProjectSlug::parse("alpha").unwrap()).await.unwrap().unwrap();
    add_user(&app, "analyst@example.com", GlobalRole::User).await;
    owner.post(app.url("/projects/alpha/members")).form(&[("email", "analyst@example.com"), ("role", "analyst")]).send().await.unwrap();
    let analyst = sign_in(&app, "analyst@example.com", PASSWORD).await;
    // Test-only seeding through the port: two committed imports and one left uncommitted.
    let (a, b, hidden) = (ledger("imp-1", 0..100), ledger("imp-2", 100..180), ledger("imp-3", 180..200));
    let store = &app.stores.analytics;
    for (import, rows) in [("imp-1", &a), ("imp-2", &b), ("imp-3", &hidden)] {
        store.insert_ledger_rows(&test_support::pid(&project.id), import, rows).await.unwrap();
    }
    store.commit_import(&test_support::pid(&project.id), "ds-1", "imp-1", CommitMode::Append).await.unwrap();
    store.commit_import(&test_support::pid(&project.id), "ds-1", "imp-2", CommitMode::Append).await.unwrap();
    Setup { app, analyst, rows: [a, b].concat() }
}

/// Profit and loss by hand: (revenue, gross profit, EBITDA, net income) in ten-thousandths.
fn pnl<'a>(rows: impl Iterator<Item = &'a LedgerRow>) -> [i64; 4] {
    let mut by = std::collections::HashMap::<&str, i64>::new();
    for r in rows {
        *by.entry(r.account_group.as_str()).or_default() += r.balance.scaled();
    }
    let g = |k: &str| by.get(k).copied().unwrap_or(0);
    let revenue = -g("REVENUE");
    let gross = revenue - g("COGS");
    let ebitda = gross - g("OPEX") + -g("OTHER_INCOME") - g("OTHER_EXPENSE");
    let net = ebitda - g("DEPRECIATION") - g("INTEREST") - g("TAX");
    [revenue, gross, ebitda, net]
}

fn in_months(r: &LedgerRow, from: &str, to: &str) -> bool {
    let m = r.month.to_string();
    m.as_str() >= from && m.as_str() <= to
}

async fn page(s: &Setup, client: &Client, path_and_query: &str) -> (Http, String) {
    let res = client.get(s.app.url(path_and_query)).send().await.unwrap();
    let status = res.status();
    (status, res.text().await.unwrap())
}

/// The HTML from `start` to the next `end`.
fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let at = html.find(start).unwrap_or_else(|| panic!("{start} in the page"));
    let rest = &html[at..];
    &rest[..rest[start.len()..].find(end).map(|e| e + start.len()).unwrap_or(rest.len())]
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
}

/// The `href` of the first link in `html`.
fn first_href(html: &str) -> String {
    let at = html.find("href=\"").expect("a link") + 6;
    unescape(&html[at..at + html[at..].find('"').unwrap()])
}

/// The `href` of the link marked `data-testid="{testid}"`.
fn link(html: &str, testid: &str) -> String {
    let at = html.find(&format!("data-testid=\"{testid}\"")).unwrap_or_else(|| panic!("{testid} link"));
    first_href(&html[html[..at].rfind("<a ").unwrap()..])
}

/// `data-row` of each record row, in order.
fn record_keys(html: &str) -> Vec<String> {
    html.split("data-testid=\"record\" data-row=\"").skip(1).map(|p| p[..p.find('"').unwrap()].to_owned()).collect()
}

#[tokio::test]
async fn kpis_and_charts_match_the_seeded_rows() {
    let s = setup().await;
    let (status, html) = page(&s, &s.analyst, "/projects/alpha/dashboards?region=EMEA&from=2024-01&to=2024-03").await;
    assert_eq!(status, Http::OK);
    let emea = |r: &&LedgerRow| r.region == "EMEA";
    let current = pnl(s.rows.iter().filter(emea).filter(|r| in_months(r, "2024-01", "2024-03")));
    let previous = pnl(s.rows.iter().filter(emea).filter(|r| in_months(r, "2023-10", "2023-12")));
    assert!(current[0] > 0 && previous[0] > 0, "the data has revenue in both periods");
    for (i, label) in ["Revenue", "Gross profit", "EBITDA", "Net income"].iter().enumerate() {
        let card = section(&html, &format!("data-kpi=\"{label}\""), "data-testid=\"kpi\"");
        let (cur, prev) = (Money::from_scaled(current[i]), Money::from_scaled(previous[i]));
        assert!(card.contains(&format!("<strong>{cur}</strong>")), "{label}: {cur} in {card}");
        let change = change_bp(cur, prev).map(format_change).unwrap();
        assert!(card.contains(&change), "{label}: {change} in {card}");
        let arrow = if cur > prev { "kpi-change up" } else { "kpi-change down" };
        assert!(card.contains(arrow), "{label}: {arrow}");
    }
    assert!(html.contains("2024-01 to 2024-03, compared with 2023-10 to 2023-12"));
    assert_eq!(html.matches("data-testid=\"chart\"").count(), 5);

    // Revenue by entity: both EMEA entities, exact in the table and as numbers in the chart.
    let chart = section(&html, "Revenue and expenses by entity", "data-testid=\"ledger-chart\"");
    for entity in ["Elara GmbH", "Gulf & Co"] {
        let revenue = pnl(s.rows.iter().filter(emea).filter(|r| r.entity == entity && in_months(r, "2024-01", "2024-03")))[0];
        let exact = Money::from_scaled(revenue).to_string();
        assert!(chart.contains(&exact), "{entity} revenue {exact}");
        let number = (revenue as f64 / 10_000.0).to_string();
        assert!(chart.contains(&number), "{entity} revenue {number} in the chart option");
        assert!(chart.contains(&entity.replace('&', "&amp;")));
    }
    assert!(!chart.contains("東京支社"), "the region filter leaves APAC out");
    // Donut: the OPEX slice; waterfall: the net income total.
    let opex: i64 = s
        .rows
        .iter()
        .filter(emea)
        .filter(|r| r.account_group == "OPEX" && in_months(r, "2024-01", "2024-03"))
        .map(|r| r.balance.scaled())
        .sum();
    assert!(section(&html, "Expense breakdown", "data-testid=\"ledger-chart\"").contains(&Money::from_scaled(opex).to_string()));
    assert!(
        section(&html, "Profit and loss waterfall", "data-testid=\"top-accounts\"").contains(&Money::from_scaled(current[3]).to_string())
    );
    // Top accounts: the machinery account (not P&L) is there with its debit total.
    let fixed: i64 = s
        .rows
        .iter()
        .filter(emea)
        .filter(|r| r.account_code == "1500" && in_months(r, "2024-01", "2024-03"))
        .map(|r| r.balance.scaled())
        .sum();
    assert!(section(&html, "data-testid=\"top-accounts\"", "</table>").contains(&Money::from_scaled(fixed).to_string()));
    // Cross-filter links for the script: a month keeps the region filter.
    assert!(html
        .contains("data-links=\"{&quot;2024-01&quot;:&quot;/projects/alpha/dashboards?region=EMEA&amp;from=2024-01&amp;to=2024-01&quot;"));

    // The revenue card drills down to the revenue records of the period.
    let href = first_href(section(&html, "data-kpi=\"Revenue\"", "data-testid=\"kpi\""));
    assert!(href.contains("drill=1") && href.contains("account_group=REVENUE"), "{href}");
    let (status, drill) = page(&s, &s.analyst, &href).await;
    assert_eq!(status, Http::OK);
    let n = s.rows.iter().filter(emea).filter(|r| r.account_group == "REVENUE" && in_months(r, "2024-01", "2024-03")).count();
    assert!(drill.contains(&format!("of {n} (page 1 of 1)")), "{n} revenue records");
    assert_eq!(record_keys(&drill).len(), n);

    // No records at all for a filter: said so, not an error.
    let (status, empty) = page(&s, &s.analyst, "/projects/alpha/dashboards?entity=nobody").await;
    assert_eq!(status, Http::OK);
    assert!(empty.contains("No ledger records match these filters"));
    let (status, bad) = page(&s, &s.analyst, "/projects/alpha/dashboards?from=2024-13").await;
    assert!(status.is_client_error() && bad.contains("is not a month"), "{status}");
    s.app.shutdown().await;
}

#[tokio::test]
async fn the_drill_down_pages_and_sorts() {
    let s = setup().await;
    let filter = LedgerFilter::from_query("region=EMEA&from=2024-01").unwrap();
    let mut expected: Vec<&LedgerRow> = s.rows.iter().filter(|r| filter.matches(r)).collect();
    assert!(expected.len() > 50, "more than one page: {}", expected.len());
    // Debit descending, ties in key order.
    expected.sort_by(|a, b| b.debit.cmp(&a.debit).then_with(|| a.key().cmp(&b.key())));
    let key = |r: &LedgerRow| format!("{}/{}/{}", r.dataset_id, r.import_id, r.row);
    let want: Vec<String> = expected.iter().map(|r| key(r)).collect();

    let base = "/projects/alpha/dashboards?region=EMEA&from=2024-01&drill=1";
    let (_, first) = page(&s, &s.analyst, &format!("{base}&sort=debit&desc=1")).await;
    assert_eq!(record_keys(&first), want[..50]);
    assert!(first.contains(&format!("Records 1 to 50 of {}", want.len())));
    // The next page through its link, as a person without JavaScript would.
    let next = link(&first, "next-page");
    let (_, second) = page(&s, &s.analyst, &next).await;
    assert_eq!(record_keys(&second), want[50..want.len().min(100)]);
    // Clicking the active header again flips the order.
    let header = link(&first, "sort-debit");
    assert!(header.contains("sort=debit") && !header.contains("desc=1"), "{header}");
    assert!(link(&first, "sort-credit").contains("sort=credit"));
    assert!(link(&second, "prev-page").ends_with("desc=1"), "page 1 has no page parameter");
    // Ascending by entity, ties by key.
    let (_, by_entity) = page(&s, &s.analyst, &format!("{base}&sort=entity")).await;
    let mut asc = s.rows.iter().filter(|r| filter.matches(r)).collect::<Vec<_>>();
    asc.sort_by(|a, b| a.entity.cmp(&b.entity).then_with(|| a.key().cmp(&b.key())));
    assert_eq!(record_keys(&by_entity), asc.iter().take(50).map(|r| key(r)).collect::<Vec<_>>());
    assert!(!record_keys(&by_entity).iter().any(|k| k.contains("imp-3")), "uncommitted rows stay hidden");
    s.app.shutdown().await;
}

#[tokio::test]
async fn only_members_see_the_dashboard() {
    let s = setup().await;
    add_user(&s.app, "other@example.com", GlobalRole::User).await;
    let other = sign_in(&s.app, "other@example.com", PASSWORD).await;
    for path in ["/projects/alpha/dashboards", "/projects/alpha/dashboards?drill=1", "/projects/nope/dashboards"] {
        let (status, html) = page(&s, &other, path).await;
        assert_eq!(status, Http::NOT_FOUND, "{path}");
        assert!(!html.contains("Product revenue"), "{path}");
    }
    let anon = common::browser(&s.app);
    let res = anon.get(s.app.url("/projects/alpha/dashboards")).send().await.unwrap();
    assert_eq!(res.status(), Http::SEE_OTHER);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/login"));
    // A new project without rows explains where data comes from.
    s.analyst.post(s.app.url("/projects")).form(&[("name", "Beta"), ("slug", "beta")]).send().await.unwrap();
    let (status, html) = page(&s, &s.analyst, "/projects/beta/dashboards").await;
    assert_eq!(status, Http::OK);
    assert!(html.contains("No ledger records yet") && html.contains("datasets page"));
    s.app.shutdown().await;
}

/// A minimal CSV reader (quoted fields, doubled quotes, CRLF records).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field, mut quoted) = (Vec::new(), Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    rows
}

fn defused(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

async fn export(s: &Setup, client: &Client, path: &str) -> (Http, Vec<u8>) {
    let res = client.get(s.app.url(path)).send().await.unwrap();
    (res.status(), res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn exports_hold_the_filtered_records() {
    let s = setup().await;
    let query = "entity=Elara%20GmbH&entity=Gulf%20%26%20Co&to=2024-02";
    let filter = LedgerFilter::from_query(query).unwrap();
    let mut expected: Vec<&LedgerRow> = s.rows.iter().filter(|r| filter.matches(r)).collect();
    expected.sort_by_key(|r| r.key());
    assert!(expected.len() > 20);

    let (status, body) = export(&s, &s.analyst, &format!("/projects/alpha/dashboards/export.csv?{query}")).await;
    assert_eq!(status, Http::OK);
    let csv = parse_csv(std::str::from_utf8(&body).unwrap());
    assert_eq!(csv[0][..3], ["dataset_id", "import_id", "row"]);
    let want: Vec<Vec<String>> = expected
        .iter()
        .map(|r| {
            let mut v = vec![r.dataset_id.clone(), r.import_id.clone(), r.row.to_string()];
            for t in [&r.company_code, &r.entity, &r.region, &r.department, &r.division, &r.account_group, &r.account_code, &r.account_name]
            {
                v.push(defused(t));
            }
            v.extend([r.date.clone(), r.month.to_string(), r.debit.to_string(), r.credit.to_string(), r.balance.to_string()]);
            v.extend([defused(&r.currency), defused(&r.description), defused(&r.extra)]);
            v
        })
        .collect();
    assert_eq!(csv[1..], want[..]);
    assert!(csv.iter().any(|r| r[17] == "'=HYPERLINK(\"http://x\")"), "formula defused");
    assert!(csv.iter().any(|r| r[17] == "rent, \"office\"\nline two"), "quoted text round-trips");

    let (status, body) = export(&s, &s.analyst, &format!("/projects/alpha/dashboards/export.xlsx?{query}")).await;
    assert_eq!(status, Http::OK);
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(body)).expect("a workbook");
    let sheet = book.worksheet_range("Records").expect("the Records sheet");
    let rows: Vec<_> = sheet.rows().collect();
    assert_eq!(rows.len(), expected.len() + 1);
    for (cells, r) in rows[1..].iter().zip(&expected) {
        let text = |i: usize| match &cells[i] {
            Data::String(s) => s.clone(),
            Data::Empty => String::new(),
            other => panic!("text cell {i}: {other:?}"),
        };
        let number = |i: usize| match &cells[i] {
            Data::Float(f) => *f,
            other => panic!("number cell {i}: {other:?}"),
        };
        assert_eq!((text(0), text(1), number(2) as u64), (r.dataset_id.clone(), r.import_id.clone(), r.row));
        assert_eq!(
            (text(4), text(8), text(12), text(17)),
            (r.entity.clone(), r.account_group.clone(), r.month.to_string(), r.description.clone())
        );
        assert!((number(15) - r.balance.scaled() as f64 / 10_000.0).abs() < 1e-6, "balance of row {}", r.row);
    }

    // Audited, once per export, with the filter.
    let audit = s.app.stores.primary.audit_chain(0, 1_000).await.unwrap();
    let exports: Vec<_> = audit.iter().filter(|e| e.record.action == "ledger.export").collect();
    assert_eq!(exports.len(), 2);
    assert_eq!(exports[0].record.actor_label, "analyst@example.com");
    assert_eq!(exports[1].record.new_value.as_ref().unwrap()["format"], "xlsx");
    assert!(exports[0].record.new_value.as_ref().unwrap()["filter"].as_str().unwrap().contains("to=2024-02"));

    // Non-members get 404, signed-out callers the login page, a bad filter 422; none is audited.
    add_user(&s.app, "stranger@example.com", GlobalRole::User).await;
    let stranger = sign_in(&s.app, "stranger@example.com", PASSWORD).await;
    assert_eq!(export(&s, &stranger, "/projects/alpha/dashboards/export.csv").await.0, Http::NOT_FOUND);
    assert_eq!(
        export(&s, &s.app.client, "/projects/alpha/dashboards/export.xlsx").await.0,
        Http::SEE_OTHER,
        "signed out: to the login page"
    );
    assert_eq!(export(&s, &s.analyst, "/projects/alpha/dashboards/export.csv?from=x").await.0, Http::UNPROCESSABLE_ENTITY);
    let audit = s.app.stores.primary.audit_chain(0, 1_000).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.record.action == "ledger.export").count(), 2);
    s.app.shutdown().await;
}
