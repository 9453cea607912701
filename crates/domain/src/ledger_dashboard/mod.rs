//! Ledger records as the analytics store keeps them, the dashboard's filter, and the profit and
//! loss formulas (issue 5). Wasm-safe: the pages render these types.
//!
//! **Money** is exact: a [`Money`] is an `i64` count of ten-thousandths (4 decimals), stored as
//! such (`INTEGER` on SQLite, `Int64` on ClickHouse, whose 18.16 `Decimal` is still experimental).
//!
//! **Signs.** A stored `balance` keeps the ledger import's meaning, `debit − credit` (debits
//! positive). Income is booked on the credit side, so the profit and loss shows each account
//! group on its *natural side*: income groups (REVENUE, OTHER_INCOME) as `−Σ balance`
//! (= credits − debits), expense groups (COGS, OPEX, OTHER_EXPENSE, DEPRECIATION, INTEREST,
//! TAX) as `Σ balance`. Other groups (balance sheet accounts, unrecognised names) are not part
//! of the profit and loss. A file whose single amount column shows revenue as positive must be
//! imported with its sign flipped (a dataset setting of the import, not a dashboard rule).
//!
//! **Formulas** ([`Pnl`]): revenue = REVENUE; gross profit = revenue − COGS; EBITDA = gross
//! profit − OPEX + OTHER_INCOME − OTHER_EXPENSE (other income and expense are neither
//! depreciation, interest nor tax, so they belong above the EBITDA line); net income = EBITDA −
//! DEPRECIATION − INTEREST − TAX. So net income is the sum of every profit and loss group.

use crate::url::query_value;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::{fmt, str::FromStr};

/// Ten-thousandths per unit of money.
pub const MONEY_SCALE: i64 = 10_000;
/// Decimals a [`Money`] holds.
pub const MONEY_DECIMALS: usize = 4;
/// Longest text stored in one field of a ledger row (the import's cell limit).
pub const MAX_FIELD_BYTES: usize = 32 * 1024;
/// Longest JSON of a row's unmapped columns.
pub const MAX_EXTRA_BYTES: usize = 64 * 1024;
/// Longest dataset or import id.
pub const MAX_ID_BYTES: usize = 200;
/// Most values one filter field may list (a URL cannot make a query unboundedly large).
pub const MAX_FILTER_VALUES: usize = 200;

mod filter;
mod money;
mod month;
mod pnl;
mod reads;
mod rows;
mod views;

pub use self::{filter::*, money::*, month::*, pnl::*, reads::*, rows::*, views::*};

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn month(s: &str) -> LedgerMonth {
        LedgerMonth::parse(s).unwrap()
    }

    #[test]
    fn money_parses_and_prints_exactly() {
        assert_eq!(m("0.1").scaled(), 1_000);
        assert_eq!(m("-1234.5").to_string(), "-1234.50");
        assert_eq!(m("0.1234").to_string(), "0.1234");
        assert_eq!(m("12.3400").to_string(), "12.34");
        assert_eq!(m("12.345").to_string(), "12.345");
        assert_eq!(m("+7").to_string(), "7.00");
        assert_eq!(m(".5").to_string(), "0.50");
        assert_eq!(m("5.").to_string(), "5.00");
        assert_eq!(m("-0.0001").to_string(), "-0.0001");
        assert_eq!(m("1.23450000").scaled(), 12_345, "zeros beyond 4 decimals are fine");
        assert_eq!(m("-922337203685477.5808").scaled(), i64::MIN);
        assert_eq!(m("922337203685477.5807").scaled(), i64::MAX);
        assert_eq!(Money::from_scaled(i64::MIN).to_string(), "-922337203685477.5808");
        assert_eq!(m("0.1").checked_add(m("0.2")).unwrap(), m("0.3"));
        for bad in ["", "-", ".", "1,5", "1e3", "1.2.3", " 1", "abc", "--1", "1-"] {
            assert!(matches!(Money::parse(bad), Err(MoneyError::NotAnAmount(_))), "{bad:?}");
        }
        assert_eq!(Money::parse("0.00001"), Err(MoneyError::TooPrecise("0.00001".into())));
        assert_eq!(Money::parse("922337203685477.5808"), Err(MoneyError::Overflow));
        assert_eq!(Money::from_scaled(i64::MAX).checked_add(Money::from_scaled(1)), Err(MoneyError::Overflow));
        for s in ["0.00", "1.50", "-3.1416", "100000000000.01"] {
            assert_eq!(m(s).to_string(), s, "round trip");
        }
        assert_eq!(serde_json::to_string(&m("1.5")).unwrap(), "\"1.50\"");
        assert_eq!(serde_json::from_str::<Money>("\"-2.25\"").unwrap(), m("-2.25"));
        assert_eq!(Money::from_cents(-150).unwrap(), m("-1.5"));
    }

    #[test]
    fn months_parse_step_and_count() {
        assert_eq!(month("2024-02").yyyymm(), 202_402);
        assert_eq!(LedgerMonth::from_yyyymm(202_402), Some(month("2024-02")));
        assert_eq!(month("2024-01").plus(-1), Some(month("2023-12")));
        assert_eq!(month("2024-11").plus(3), Some(month("2025-02")));
        assert_eq!(month("2024-01").months_to(month("2024-12")), 12);
        assert_eq!(month("2024-05").months_to(month("2024-04")), 0);
        for bad in ["2024-13", "2024-00", "24-01", "2024-1", "1899-12", "2201-01", "2024/01", "２０２４-01"] {
            assert_eq!(LedgerMonth::parse(bad), None, "{bad}");
        }
        let r = MonthRange { from: month("2024-01"), to: month("2024-03") };
        assert_eq!(r.previous(), Some(MonthRange { from: month("2023-10"), to: month("2023-12") }));
        assert_eq!(r.each().map(|m| m.to_string()).collect::<Vec<_>>(), ["2024-01", "2024-02", "2024-03"]);
        assert!(is_iso_date("2024-02-29") && !is_iso_date("2023-02-29") && !is_iso_date("2024-04-31") && !is_iso_date("2024-4-1"));
    }

    #[test]
    fn filter_query_round_trips() {
        let filter = LedgerFilter {
            datasets: vec!["d1".into(), "d2".into()],
            entities: vec!["Elara & Co".into(), "東京支社".into(), "".into(), "~tilde".into()],
            regions: vec!["الشرق الأوسط".into()],
            company_codes: vec!["C'01".into()],
            departments: vec!["R&D".into(), "a=b+c%".into()],
            divisions: vec!["x; DROP TABLE ledger_rows; --".into()],
            account_groups: vec!["REVENUE".into(), "COGS".into()],
            account_codes: vec!["4000".into()],
            month_from: Some(month("2024-01")),
            month_to: Some(month("2024-06")),
        };
        let q = filter.to_query();
        assert!(q.starts_with("dataset=d1&dataset=d2&entity=Elara%20%26%20Co&"), "{q}");
        assert!(q.ends_with("&from=2024-01&to=2024-06"), "{q}");
        assert_eq!(LedgerFilter::from_query(&q).unwrap(), filter);
        assert_eq!(LedgerFilter::from_query(&format!("?{q}")).unwrap(), filter);
        // What a form's <option value=form_value(v)> sends reads back as v.
        for v in ["", "~tilde", "plain"] {
            let sent = format!("entity={}", query_value(&form_value(v)));
            assert_eq!(LedgerFilter::from_query(&sent).unwrap().entities, vec![v.to_owned()], "{v:?}");
        }
        assert_eq!(LedgerFilter::default().to_query(), "");
        assert_eq!(LedgerFilter::from_query("").unwrap(), LedgerFilter::default());
    }

    #[test]
    fn filter_query_from_forms() {
        // An HTML form sends every field; blank means any, `+` is a space, other keys are ignored.
        let f = LedgerFilter::from_query("entity=&region=North+America&from=&to=2024-03&page=2&sort=debit").unwrap();
        assert_eq!(f, LedgerFilter { regions: vec!["North America".into()], month_to: Some(month("2024-03")), ..Default::default() });
        assert_eq!(LedgerFilter::from_query("from=2024-13"), Err(LedgerFilterError::BadMonth("2024-13".into())));
        assert!(matches!(LedgerFilter::from_query("entity=%E0%A4"), Err(LedgerFilterError::BadEncoding(_))));
        assert!(matches!(LedgerFilter::from_query("entity=%zz"), Err(LedgerFilterError::BadEncoding(_))));
        let many: Vec<String> = (0..=MAX_FILTER_VALUES).map(|i| format!("entity=e{i}")).collect();
        assert_eq!(LedgerFilter::from_query(&many.join("&")), Err(LedgerFilterError::TooManyValues("entity")));
    }

    fn row(group: &str, balance: &str) -> LedgerRow {
        LedgerRow {
            dataset_id: "d".into(),
            import_id: "i".into(),
            row: 1,
            company_code: String::new(),
            entity: "E".into(),
            region: String::new(),
            department: String::new(),
            division: String::new(),
            account_group: group.into(),
            account_code: "4000".into(),
            account_name: String::new(),
            date: String::new(),
            month: month("2024-03"),
            debit: Money::ZERO,
            credit: Money::ZERO,
            balance: m(balance),
            currency: String::new(),
            description: String::new(),
            extra: String::new(),
        }
    }

    #[test]
    fn filter_matches_rows() {
        let r = row("REVENUE", "-1");
        assert!(LedgerFilter::default().matches(&r));
        assert!(LedgerFilter { entities: vec!["X".into(), "E".into()], ..Default::default() }.matches(&r));
        assert!(!LedgerFilter { entities: vec!["e".into()], ..Default::default() }.matches(&r), "exact case");
        assert!(LedgerFilter { account_codes: vec!["4000".into()], ..Default::default() }.matches(&r));
        assert!(!LedgerFilter { account_codes: vec!["4001".into()], ..Default::default() }.matches(&r));
        assert!(LedgerFilter { regions: vec!["".into()], ..Default::default() }.matches(&r), "blank selects blank");
        assert!(LedgerFilter { month_from: Some(month("2024-03")), month_to: Some(month("2024-03")), ..Default::default() }.matches(&r));
        assert!(!LedgerFilter { month_from: Some(month("2024-04")), ..Default::default() }.matches(&r));
        assert!(
            LedgerFilter { month_from: Some(month("2024-04")), month_to: Some(month("2024-03")), ..Default::default() }.is_empty_range()
        );
    }

    #[test]
    fn storable_rows() {
        assert_eq!(row("REVENUE", "1").check_storable(), Ok(()));
        assert!(LedgerRow { import_id: String::new(), ..row("X", "1") }.check_storable().is_err());
        assert!(LedgerRow { date: "2024-02-30".into(), ..row("X", "1") }.check_storable().is_err());
        assert!(LedgerRow { row: u64::MAX, ..row("X", "1") }.check_storable().is_err());
        assert!(LedgerRow { description: "x".repeat(MAX_FIELD_BYTES + 1), ..row("X", "1") }.check_storable().is_err());
    }

    #[test]
    fn pnl_formulas_on_natural_sides() {
        // Revenue booked as credits (negative balances), expenses as debits; one revenue return.
        let balances = [
            ("REVENUE", m("-1000.00")),
            ("REVENUE", m("50.00")),
            ("COGS", m("400.00")),
            ("OPEX", m("250.50")),
            ("OTHER_INCOME", m("-20.00")),
            ("OTHER_EXPENSE", m("5.00")),
            ("DEPRECIATION", m("30.00")),
            ("INTEREST", m("10.25")),
            ("TAX", m("60.00")),
            ("FIXED_ASSETS", m("99999.00")),
        ];
        let p = Pnl::from_balances(balances.iter().map(|(g, b)| (*g, *b))).unwrap();
        assert_eq!(p.revenue, m("950"));
        assert_eq!(p.other_income, m("20"));
        assert_eq!(p.gross_profit().unwrap(), m("550"));
        // 550 − 250.50 + 20 − 5
        assert_eq!(p.ebitda().unwrap(), m("314.50"));
        // 314.50 − 30 − 10.25 − 60
        assert_eq!(p.net_income().unwrap(), m("214.25"));
        assert_eq!(p.expenses().unwrap(), m("755.75"));
        // Net income is minus the sum of every P&L balance.
        let pnl_sum = Money::sum(balances.iter().filter(|(g, _)| groups::is_pnl(g)).map(|(_, b)| *b)).unwrap();
        assert_eq!(p.net_income().unwrap(), pnl_sum.checked_neg().unwrap());
        let huge = [("REVENUE", Money::from_scaled(i64::MIN))];
        assert_eq!(Pnl::from_balances(huge.iter().map(|(g, b)| (*g, *b))), Err(MoneyError::Overflow));
    }

    #[test]
    fn changes_in_basis_points() {
        assert_eq!(change_bp(m("110"), m("100")), Some(1_000));
        assert_eq!(change_bp(m("90"), m("100")), Some(-1_000));
        assert_eq!(change_bp(m("-50"), m("-100")), Some(5_000), "a loss halved is an improvement");
        assert_eq!(change_bp(m("1"), m("3")), Some(-6_667));
        assert_eq!(change_bp(m("2"), m("3")), Some(-3_333));
        assert_eq!(change_bp(m("5"), m("0")), None);
        assert_eq!(change_bp(Money::from_scaled(i64::MAX), Money::from_scaled(1)), None, "beyond i64 basis points");
        assert_eq!(format_change(1_234), "+12.34%");
        assert_eq!(format_change(-5), "-0.05%");
        let kpis = Kpis::compare(
            &Pnl { revenue: m("120"), cogs: m("20"), ..Default::default() },
            &Pnl { revenue: m("100"), cogs: m("50"), ..Default::default() },
        )
        .unwrap();
        assert_eq!(kpis.gross_profit, Kpi { current: m("100"), previous: m("50"), change_bp: Some(10_000) });
        assert_eq!(kpis.net_income.current, m("100"));
        assert_eq!(kpis.tax.change_bp, None);
    }
}
