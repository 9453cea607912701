//! Ledger records: import visibility (commit, discard, append, replace, delete), exact totals
//! per grouping and filter, drill-down pages and export batches, all checked against
//! [`ledger_model`](super::ledger_model) on the same generated rows.

use super::ledger_model as model;
use domain::ledger_dashboard::{
    CommitMode, LedgerFilter, LedgerGroupBy, LedgerMonth, LedgerRow, LedgerRowKey, LedgerSort, LedgerSortColumn, Money,
};
use services::{ports::AnalyticsStore, StoreError};
use std::sync::Arc;

const ENTITIES: [&str; 7] =
    ["Elara Holdings", "Elara France SAS", "東京支社", "شركة الخليج للتجارة", "O'Brien \"Ltd\"", "'; DROP TABLE ledger_rows; --", ""];
const REGIONS: [&str; 5] = ["EMEA", "NA", "APAC", "الشرق الأوسط", ""];
const DEPARTMENTS: [&str; 4] = ["Sales", "Finance", "R&D", ""];
const DIVISIONS: [&str; 3] = ["Retail", "Wholesale", "Services"];
/// (group, code, name); FIXED_ASSETS is outside the profit and loss.
const ACCOUNTS: [(&str, &str, &str); 11] = [
    ("REVENUE", "4000", "Product revenue"),
    ("REVENUE", "4100", "Service revenue"),
    ("COGS", "5000", "Cost of goods sold"),
    ("OPEX", "6100", "Salaries"),
    ("OPEX", "6200", "Rent"),
    ("OTHER_INCOME", "7500", "Gain on disposal"),
    ("OTHER_EXPENSE", "7600", "Exchange loss"),
    ("DEPRECIATION", "6800", "Depreciation"),
    ("INTEREST", "7100", "Interest expense"),
    ("TAX", "8900", "Income tax"),
    ("FIXED_ASSETS", "2100", "Machinery"),
];

/// SplitMix64: deterministic rows on every run and platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn month(s: &str) -> LedgerMonth {
    LedgerMonth::parse(s).expect("month")
}

fn money(s: &str) -> Money {
    Money::parse(s).expect("money")
}

/// `count` rows of one import over 2023-01..2024-12, amounts with up to 4 decimals; income on
/// the credit side, the rest on the debit side, one row in seven reversed.
fn generate(dataset: &str, import: &str, count: u64, seed: u64) -> Vec<LedgerRow> {
    let mut rng = Rng(seed);
    (1..=count)
        .map(|row| {
            let (group, code, name) = rng.pick(&ACCOUNTS);
            let m = month("2023-01").plus((rng.next() % 24) as i32).expect("month in range");
            let day = rng.next() % 29;
            let amount = Money::from_scaled((rng.next() % 10_000_000_000) as i64 + 1);
            let credit_side = matches!(group, "REVENUE" | "OTHER_INCOME") != rng.next().is_multiple_of(7);
            let (debit, credit) = if credit_side { (Money::ZERO, amount) } else { (amount, Money::ZERO) };
            LedgerRow {
                dataset_id: dataset.into(),
                import_id: import.into(),
                row,
                company_code: format!("C{:02}", rng.next() % 3),
                entity: rng.pick(&ENTITIES).into(),
                region: rng.pick(&REGIONS).into(),
                department: rng.pick(&DEPARTMENTS).into(),
                division: rng.pick(&DIVISIONS).into(),
                account_group: group.into(),
                account_code: code.into(),
                account_name: name.into(),
                date: if day == 0 { String::new() } else { format!("{m}-{day:02}") },
                month: m,
                debit,
                credit,
                balance: debit.checked_sub(credit).expect("small amounts"),
                currency: "EUR".into(),
                description: format!("JE-{row:05} {import}"),
                extra: if row % 3 == 0 { format!(r#"{{"cost centre":"CC-{row}","ñ":"✓"}}"#) } else { String::new() },
            }
        })
        .collect()
}

async fn migrated(store: &Arc<dyn AnalyticsStore>) {
    store.migrate().await.expect("migrate");
}

async fn load(store: &Arc<dyn AnalyticsStore>, project: &str, rows: &[LedgerRow]) {
    let import = &rows[0].import_id;
    for chunk in rows.chunks(250) {
        store.insert_ledger_rows(&crate::pid(project), import, chunk).await.expect("insert ledger rows");
    }
}

async fn commit(store: &Arc<dyn AnalyticsStore>, project: &str, rows: &[LedgerRow], mode: CommitMode) {
    store.commit_import(&crate::pid(project), &rows[0].dataset_id, &rows[0].import_id, mode).await.expect("commit");
}

/// Every read agrees with the model over `visible` for `filter`.
async fn check_reads(store: &Arc<dyn AnalyticsStore>, project: &str, visible: &[LedgerRow], filter: &LedgerFilter, what: &str) {
    for group_by in LedgerGroupBy::ALL {
        let got = store.ledger_totals(&crate::pid(project), filter, group_by).await.expect("totals");
        assert_eq!(got, model::totals(visible, filter, group_by).expect("in range"), "{what}: totals by {group_by:?}");
    }
    let sort = LedgerSort::default();
    let got = store.ledger_records(&crate::pid(project), filter, sort, 0, 500).await.expect("records");
    assert_eq!(got, model::page(visible, filter, sort, 0, 500), "{what}: records");
    let got = store.ledger_export_batch(&crate::pid(project), filter, None, 10_000).await.expect("export");
    assert_eq!(got, model::export(visible, filter, None, 10_000), "{what}: export");
}

fn all_rows() -> LedgerFilter {
    LedgerFilter::default()
}

pub async fn ledger_totals_match_the_model(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let a1 = generate("ds-a", "imp-a1", 700, 1);
    let a2 = generate("ds-a", "imp-a2", 300, 2);
    let b1 = generate("ds-b", "imp-b1", 400, 3);
    for rows in [&a1, &a2, &b1] {
        load(&store, "p1", rows).await;
        commit(&store, "p1", rows, CommitMode::Append).await;
    }
    let visible: Vec<LedgerRow> = [a1, a2, b1].concat();
    let filters = [
        all_rows(),
        LedgerFilter { datasets: vec!["ds-a".into()], ..all_rows() },
        LedgerFilter { datasets: vec!["ds-b".into(), "ds-unknown".into()], ..all_rows() },
        LedgerFilter { entities: vec!["東京支社".into(), "شركة الخليج للتجارة".into()], ..all_rows() },
        LedgerFilter { entities: vec!["".into()], regions: vec!["".into()], ..all_rows() },
        LedgerFilter { regions: vec!["EMEA".into()], company_codes: vec!["C01".into()], ..all_rows() },
        LedgerFilter { departments: vec!["R&D".into()], divisions: vec!["Retail".into(), "Services".into()], ..all_rows() },
        LedgerFilter { account_groups: vec!["REVENUE".into(), "COGS".into(), "FIXED_ASSETS".into()], ..all_rows() },
        LedgerFilter { month_from: Some(month("2023-12")), month_to: Some(month("2024-02")), ..all_rows() },
        LedgerFilter { month_from: Some(month("2024-06")), ..all_rows() },
        LedgerFilter { month_to: Some(month("2023-01")), ..all_rows() },
        LedgerFilter {
            datasets: vec!["ds-a".into()],
            entities: vec!["Elara Holdings".into()],
            account_groups: vec!["OPEX".into()],
            month_from: Some(month("2023-04")),
            month_to: Some(month("2024-09")),
            ..all_rows()
        },
        // Nothing matches: a reversed range, an unknown value, a case that differs.
        LedgerFilter { month_from: Some(month("2024-05")), month_to: Some(month("2024-04")), ..all_rows() },
        LedgerFilter { entities: vec!["nobody".into()], ..all_rows() },
        LedgerFilter { account_groups: vec!["revenue".into()], ..all_rows() },
    ];
    for (i, filter) in filters.iter().enumerate() {
        check_reads(&store, "p1", &visible, filter, &format!("filter {i}")).await;
    }
    // Totals per month add up to the whole (the dashboard relies on it).
    let by_month = store.ledger_totals(&crate::pid("p1"), &all_rows(), LedgerGroupBy::Month).await.expect("by month");
    let whole = store.ledger_totals(&crate::pid("p1"), &all_rows(), LedgerGroupBy::None).await.expect("whole");
    let sum = |ts: &[domain::ledger_dashboard::LedgerTotal]| Money::sum(ts.iter().map(|t| t.balance)).expect("sum");
    assert_eq!(sum(&by_month), sum(&whole));
    assert_eq!(whole.iter().map(|t| t.rows).sum::<u64>(), 1_400);
    // Too long a filter list is refused, not truncated.
    let huge = LedgerFilter { entities: (0..=domain::ledger_dashboard::MAX_FILTER_VALUES).map(|i| i.to_string()).collect(), ..all_rows() };
    assert!(matches!(store.ledger_totals(&crate::pid("p1"), &huge, LedgerGroupBy::None).await, Err(StoreError::Invalid(_))));
}

pub async fn ledger_filter_values_are_distinct_and_sorted(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let a = generate("ds-a", "imp-a", 200, 11);
    let b = generate("ds-b", "imp-b", 200, 12);
    let hidden = generate("ds-a", "imp-hidden", 50, 13);
    for rows in [&a, &b] {
        load(&store, "p1", rows).await;
        commit(&store, "p1", rows, CommitMode::Append).await;
    }
    let odd = LedgerRow { entity: "ZZZ uncommitted".into(), ..hidden[0].clone() };
    store.insert_ledger_rows(&crate::pid("p1"), "imp-hidden", &[odd]).await.expect("insert");
    let visible = [a.clone(), b.clone()].concat();
    for datasets in [vec![], vec!["ds-a".to_string()], vec!["ds-b".to_string()], vec!["ds-none".to_string()]] {
        let got = store.ledger_filter_values(&crate::pid("p1"), &datasets).await.expect("filter values");
        assert_eq!(got, model::filter_values(&visible, &datasets), "{datasets:?}");
    }
    let all = store.ledger_filter_values(&crate::pid("p1"), &[]).await.expect("filter values");
    assert!(all.entities.contains(&String::new()) && all.entities.contains(&"東京支社".to_string()));
    assert!(!all.entities.contains(&"ZZZ uncommitted".to_string()), "an uncommitted import shows nowhere");
    assert_eq!(store.ledger_filter_values(&crate::pid("p2"), &[]).await.expect("other project"), Default::default());
}

pub async fn uncommitted_imports_are_invisible_and_discarded(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let done = generate("ds", "imp-done", 120, 21);
    let running = generate("ds", "imp-running", 80, 22);
    let failed = generate("ds", "imp-failed", 60, 23);
    load(&store, "p1", &done).await;
    commit(&store, "p1", &done, CommitMode::Append).await;
    load(&store, "p1", &running).await;
    load(&store, "p1", &failed).await;
    check_reads(&store, "p1", &done, &all_rows(), "with two imports unfinished").await;
    store.discard_import(&crate::pid("p1"), "imp-failed").await.expect("discard");
    store.discard_import(&crate::pid("p1"), "imp-failed").await.expect("discarding twice is harmless");
    store.discard_import(&crate::pid("p1"), "imp-never-written").await.expect("discarding nothing");
    // A commit after the discard shows that its rows are gone, not hidden.
    commit(&store, "p1", &failed, CommitMode::Append).await;
    commit(&store, "p1", &running, CommitMode::Append).await;
    commit(&store, "p1", &running, CommitMode::Append).await;
    let visible = [done.clone(), running.clone()].concat();
    check_reads(&store, "p1", &visible, &all_rows(), "after the discard and the commits").await;
    assert!(matches!(store.discard_import(&crate::pid("p1"), "imp-done").await, Err(StoreError::Conflict(_))), "a committed import stays");
    check_reads(&store, "p1", &visible, &all_rows(), "after a refused discard").await;
    // A commit in another project or dataset does not reveal the rows.
    let other = generate("ds", "imp-other", 30, 24);
    load(&store, "p1", &other).await;
    store.commit_import(&crate::pid("p2"), "ds", "imp-other", CommitMode::Append).await.expect("commit elsewhere");
    store.commit_import(&crate::pid("p1"), "ds-elsewhere", "imp-other", CommitMode::Append).await.expect("commit to another dataset");
    check_reads(&store, "p1", &visible, &all_rows(), "commits that do not match the rows").await;
    check_reads(&store, "p2", &[], &all_rows(), "the other project").await;
}

pub async fn insert_rejects_bad_batches_whole(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let rows = generate("ds", "imp", 20, 31);
    let mut wrong_import = rows.clone();
    wrong_import[10].import_id = "imp-other".into();
    assert!(matches!(store.insert_ledger_rows(&crate::pid("p1"), "imp", &wrong_import).await, Err(StoreError::Invalid(_))));
    let mut bad_date = rows.clone();
    bad_date[19].date = "2024-02-30".into();
    assert!(matches!(store.insert_ledger_rows(&crate::pid("p1"), "imp", &bad_date).await, Err(StoreError::Invalid(_))));
    store.insert_ledger_rows(&crate::pid("p1"), "imp", &[]).await.expect("an empty batch");
    commit(&store, "p1", &rows, CommitMode::Append).await;
    check_reads(&store, "p1", &[], &all_rows(), "nothing of a refused batch").await;
    assert!(matches!(store.commit_import(&crate::pid("p1"), "ds", "", CommitMode::Append).await, Err(StoreError::Invalid(_))));
}

pub async fn replace_hides_older_imports_and_append_adds(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let first = generate("ds", "imp-1", 150, 41);
    let second = generate("ds", "imp-2", 90, 42);
    let replacement = generate("ds", "imp-3", 70, 43);
    let late = generate("ds", "imp-4", 40, 44);
    let neighbour = generate("ds-n", "imp-n", 60, 45);
    for rows in [&first, &second, &neighbour] {
        load(&store, "p1", rows).await;
        commit(&store, "p1", rows, CommitMode::Append).await;
    }
    check_reads(&store, "p1", &[first.clone(), second.clone(), neighbour.clone()].concat(), &all_rows(), "two appends").await;
    // imp-4 is still being written when imp-3 replaces the dataset.
    load(&store, "p1", &late).await;
    load(&store, "p1", &replacement).await;
    commit(&store, "p1", &replacement, CommitMode::Replace).await;
    check_reads(&store, "p1", &[replacement.clone(), neighbour.clone()].concat(), &all_rows(), "after the replace").await;
    commit(&store, "p1", &late, CommitMode::Append).await;
    let visible = [replacement.clone(), late.clone(), neighbour.clone()].concat();
    check_reads(&store, "p1", &visible, &all_rows(), "an import running during the replace").await;
    // The replaced imports' rows are removed, not only hidden.
    commit(&store, "p1", &first, CommitMode::Append).await;
    check_reads(&store, "p1", &visible, &all_rows(), "re-committing a replaced import").await;
    // A replace of a new dataset is a plain commit.
    let fresh = generate("ds-new", "imp-new", 30, 46);
    load(&store, "p1", &fresh).await;
    commit(&store, "p1", &fresh, CommitMode::Replace).await;
    check_reads(&store, "p1", &[visible, fresh].concat(), &all_rows(), "replace into a new dataset").await;
}

pub async fn delete_dataset_removes_its_rows(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let a1 = generate("ds-a", "imp-a1", 100, 51);
    let a2 = generate("ds-a", "imp-a2", 100, 52);
    let b = generate("ds-b", "imp-b", 100, 53);
    let other_project = generate("ds-a", "imp-p2", 50, 54);
    for rows in [&a1, &a2, &b] {
        load(&store, "p1", rows).await;
        commit(&store, "p1", rows, CommitMode::Append).await;
    }
    load(&store, "p2", &other_project).await;
    commit(&store, "p2", &other_project, CommitMode::Append).await;
    store.delete_dataset_rows(&crate::pid("p1"), "ds-a").await.expect("delete");
    check_reads(&store, "p1", &b, &all_rows(), "after deleting ds-a").await;
    check_reads(&store, "p2", &other_project, &all_rows(), "the same dataset id in another project").await;
    commit(&store, "p1", &a1, CommitMode::Append).await;
    check_reads(&store, "p1", &b, &all_rows(), "re-committing a deleted import").await;
    store.delete_dataset_rows(&crate::pid("p1"), "ds-unknown").await.expect("deleting nothing");
    let again = generate("ds-a", "imp-a3", 40, 55);
    load(&store, "p1", &again).await;
    commit(&store, "p1", &again, CommitMode::Append).await;
    check_reads(&store, "p1", &[b.clone(), again].concat(), &all_rows(), "a new import after the deletion").await;
}

pub async fn drill_down_pages_are_sorted_and_stable(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let a = generate("ds-a", "imp-a", 90, 61);
    let b = generate("ds-b", "imp-b", 60, 62);
    for rows in [&a, &b] {
        load(&store, "p1", rows).await;
        commit(&store, "p1", rows, CommitMode::Append).await;
    }
    let visible = [a, b].concat();
    let filter = LedgerFilter { account_groups: vec!["REVENUE".into(), "OPEX".into(), "COGS".into()], ..all_rows() };
    let expected_total = visible.iter().filter(|r| filter.matches(r)).count() as u64;
    for column in LedgerSortColumn::ALL {
        for descending in [false, true] {
            let sort = LedgerSort { column, descending };
            let mut walked = Vec::new();
            for page in 0.. {
                let got = store.ledger_records(&crate::pid("p1"), &filter, sort, page, 7).await.expect("page");
                assert_eq!(got, model::page(&visible, &filter, sort, page, 7), "{sort:?} page {page}");
                assert_eq!(got.total, expected_total);
                if got.rows.is_empty() {
                    break;
                }
                walked.extend(got.rows);
            }
            assert_eq!(walked, model::sorted(&visible, &filter, sort), "{sort:?}: every row once, in order");
        }
    }
    // Page sizes are clamped; far pages are empty.
    let sort = LedgerSort::default();
    assert_eq!(store.ledger_records(&crate::pid("p1"), &all_rows(), sort, 0, 0).await.expect("size 0").rows.len(), 1);
    assert_eq!(
        store.ledger_records(&crate::pid("p1"), &all_rows(), sort, 0, 100_000).await.expect("huge size"),
        model::page(&visible, &all_rows(), sort, 0, 500)
    );
    assert!(store.ledger_records(&crate::pid("p1"), &all_rows(), sort, 1_000_000, 50).await.expect("far page").rows.is_empty());
}

pub async fn export_batches_walk_every_row(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let a = generate("ds-a", "imp-a", 130, 71);
    let b1 = generate("ds-b", "imp-b1", 70, 72);
    let b2 = generate("ds-b", "imp-b2", 70, 73);
    for rows in [&a, &b1, &b2] {
        load(&store, "p1", rows).await;
        commit(&store, "p1", rows, CommitMode::Append).await;
    }
    let visible = [a, b1, b2].concat();
    for filter in [all_rows(), LedgerFilter { regions: vec!["EMEA".into(), "".into()], ..all_rows() }] {
        let mut after: Option<LedgerRowKey> = None;
        let mut walked = Vec::new();
        loop {
            let batch = store.ledger_export_batch(&crate::pid("p1"), &filter, after.as_ref(), 33).await.expect("batch");
            assert_eq!(batch, model::export(&visible, &filter, after.as_ref(), 33));
            walked.extend(batch.iter().cloned());
            if batch.len() < 33 {
                break;
            }
            after = batch.last().map(LedgerRow::key);
        }
        assert_eq!(walked, model::export(&visible, &filter, None, usize::MAX));
    }
}

pub async fn ledger_money_is_exact(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let base = generate("ds", "imp", 1, 81).remove(0);
    let row = |n: u64, group: &str, balance: &str| LedgerRow {
        row: n,
        account_group: group.into(),
        entity: "E".into(),
        month: month("2024-03"),
        debit: money(balance).max(Money::ZERO),
        credit: money(balance).checked_neg().expect("neg").max(Money::ZERO),
        balance: money(balance),
        ..base.clone()
    };
    let rows = vec![
        row(1, "OPEX", "0.1"),
        row(2, "OPEX", "0.2"),
        row(3, "TAX", "0.0001"),
        row(4, "TAX", "-0.0001"),
        row(5, "REVENUE", "-400000000000000.1234"),
        row(6, "REVENUE", "-400000000000000.8766"),
        row(7, "COGS", "922337203685477.5807"),
    ];
    store.insert_ledger_rows(&crate::pid("p1"), "imp", &rows).await.expect("insert");
    store.commit_import(&crate::pid("p1"), "ds", "imp", CommitMode::Append).await.expect("commit");
    let totals = store.ledger_totals(&crate::pid("p1"), &all_rows(), LedgerGroupBy::AccountGroup).await.expect("totals");
    let balance = |g: &str| totals.iter().find(|t| t.account_group == g).map(|t| t.balance);
    assert_eq!(balance("OPEX"), Some(money("0.3")), "0.1 + 0.2 is 0.3 exactly");
    assert_eq!(balance("TAX"), Some(Money::ZERO));
    assert_eq!(balance("REVENUE"), Some(money("-800000000000001")));
    assert_eq!(balance("COGS"), Some(Money::from_scaled(i64::MAX)), "the largest amount survives");
    assert_eq!(totals, model::totals(&rows, &all_rows(), LedgerGroupBy::AccountGroup).expect("in range"));
    let got = store.ledger_records(&crate::pid("p1"), &all_rows(), LedgerSort::default(), 0, 50).await.expect("records");
    assert_eq!(got.rows, rows, "amounts read back as written");
    // A sum beyond the exact range fails instead of wrapping or rounding.
    let more = vec![LedgerRow { import_id: "imp-2".into(), ..row(8, "COGS", "1") }];
    store.insert_ledger_rows(&crate::pid("p1"), "imp-2", &more).await.expect("insert");
    store.commit_import(&crate::pid("p1"), "ds", "imp-2", CommitMode::Append).await.expect("commit");
    assert!(model::totals(&[rows, more].concat(), &all_rows(), LedgerGroupBy::None).is_none());
    assert!(store.ledger_totals(&crate::pid("p1"), &all_rows(), LedgerGroupBy::None).await.is_err(), "an overflowing total is an error");
}

pub async fn ledger_text_and_projects_are_kept_apart(store: Arc<dyn AnalyticsStore>) {
    migrated(&store).await;
    let tricky = "p1' OR '1'='1";
    let mine = generate("ds", "imp", 150, 91);
    let theirs: Vec<LedgerRow> = generate("ds", "imp", 150, 92);
    load(&store, "p1", &mine).await;
    commit(&store, "p1", &mine, CommitMode::Append).await;
    load(&store, tricky, &theirs).await;
    commit(&store, tricky, &theirs, CommitMode::Append).await;
    check_reads(&store, "p1", &mine, &all_rows(), "p1").await;
    check_reads(&store, tricky, &theirs, &all_rows(), "the tricky project").await;
    check_reads(&store, "p", &[], &all_rows(), "a prefix of a project id").await;
    // Hostile and non-Latin filter values are data, compared exactly.
    for value in ["'; DROP TABLE ledger_rows; --", "O'Brien \"Ltd\"", "東京支社", "شركة الخليج للتجارة", "%", "_", "\\", "' OR 1=1 --"]
    {
        let filter = LedgerFilter { entities: vec![value.into()], ..all_rows() };
        check_reads(&store, "p1", &mine, &filter, value).await;
        let filter = LedgerFilter { datasets: vec![value.into()], ..all_rows() };
        check_reads(&store, "p1", &mine, &filter, value).await;
    }
    let tokyo = LedgerFilter { entities: vec!["東京支社".into()], ..all_rows() };
    let n = store.ledger_totals(&crate::pid("p1"), &tokyo, LedgerGroupBy::None).await.expect("totals").iter().map(|t| t.rows).sum::<u64>();
    assert!(n > 0, "some rows are in Tokyo");
}

pub async fn ledger_dashboard_matches_the_model(store: Arc<dyn AnalyticsStore>) {
    use services::ledger_dashboard::{assemble, dashboard, period_of};
    migrated(&store).await;
    let rows = generate("ds", "imp", 800, 101);
    load(&store, "p1", &rows).await;
    commit(&store, "p1", &rows, CommitMode::Append).await;
    let filters = [
        all_rows(),
        LedgerFilter { month_from: Some(month("2024-01")), month_to: Some(month("2024-06")), ..all_rows() },
        LedgerFilter { entities: vec!["東京支社".into()], month_from: Some(month("2023-07")), ..all_rows() },
    ];
    for filter in filters {
        let got = dashboard(store.as_ref(), &crate::pid("p1"), &filter).await.expect("dashboard");
        let totals = |f: &LedgerFilter, g| model::totals(&rows, f, g).expect("in range");
        let months: Vec<LedgerMonth> = totals(&filter, LedgerGroupBy::Month).iter().filter_map(|t| LedgerMonth::parse(&t.key)).collect();
        let period = period_of(&filter, &months).expect("a period");
        let current = LedgerFilter { month_from: Some(period.from), month_to: Some(period.to), ..filter.clone() };
        let previous_period = period.previous().expect("after 1900");
        let previous = LedgerFilter { month_from: Some(previous_period.from), month_to: Some(previous_period.to), ..filter.clone() };
        let want = assemble(
            period,
            Some(previous_period),
            &totals(&filter, LedgerGroupBy::Month),
            &totals(&previous, LedgerGroupBy::None),
            &totals(&current, LedgerGroupBy::Entity),
            &totals(&current, LedgerGroupBy::Region),
            &totals(&current, LedgerGroupBy::Account),
        )
        .expect("assemble");
        assert_eq!(got, want, "{filter:?}");
        assert!(!got.kpis.revenue.current.is_zero() && !got.waterfall.is_empty());
    }
}
