//! Lens price lists from a file or a feed object (`docs/bundles.md`), by extension:
//!
//! - `.csv`: header `currency,kind,name,price_cents`, one priced option per row
//!   (`USD,material,index167,12000`); a file may hold several currencies;
//! - anything else (`.json`, `.jsonl`): JSON price lists one after another, pretty-printed or
//!   one per line (`{"currency": "USD", "materials": {"index167": 12000}, ...}`), or one
//!   array of them.
//!
//! Every list is validated before anything is returned; errors name the file, the 1-based
//! line (of the row, or of the list's first line) and the field. One list per currency.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::ImportError;
use crate::domain::{check_currency, price_entry, LensPriceInput, LensPriceList, PriceSection};
use crate::error::{FieldError, ValidationErrors};

/// The header a CSV price list starts with.
pub const LENS_PRICES_CSV_HEADER: [&str; 4] = ["currency", "kind", "name", "price_cents"];

/// Reads the lens price lists of a file (see the module documentation for the formats).
pub fn read_lens_prices(path: &Path) -> Result<Vec<LensPriceList>, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_lens_prices(&path.to_string_lossy(), &bytes)
}

/// Parses lens price lists already in memory (a feed object); errors name `source`.
pub fn parse_lens_prices(source: &str, bytes: &[u8]) -> Result<Vec<LensPriceList>, ImportError> {
    let path = Path::new(source);
    let csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let lists = if csv {
        parse_csv(path, bytes)?
    } else {
        parse_json(path, bytes)?
    };
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for (line, list) in &lists {
        if let Some(&first_line) = first_seen.get(&list.currency) {
            return Err(ImportError::Duplicate {
                path: path.to_path_buf(),
                line: *line,
                id: list.currency.clone(),
                first_line,
            });
        }
        first_seen.insert(list.currency.clone(), *line);
    }
    if lists.is_empty() {
        return Err(ImportError::Invalid {
            path: path.to_path_buf(),
            line: 1,
            errors: ValidationErrors::single("currency", "the file holds no price list"),
        });
    }
    Ok(lists.into_iter().map(|(_, list)| list).collect())
}

/// 1-based line of byte `offset`.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    1 + bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}

fn parse_json(path: &Path, bytes: &[u8]) -> Result<Vec<(usize, LensPriceList)>, ImportError> {
    let parse_error = |line: usize, message: String| ImportError::Parse {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
    let mut lists = Vec::new();
    let mut end = 0;
    while let Some(next) = stream.next() {
        let value = next.map_err(|e| parse_error(e.line(), e.to_string()))?;
        let start = end
            + bytes[end..]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
        end = stream.byte_offset();
        let line = line_of(bytes, start);
        let (values, indexed) = match value {
            Value::Array(items) => (items, true),
            other => (vec![other], false),
        };
        for (i, value) in values.into_iter().enumerate() {
            let input: LensPriceInput = serde_json::from_value(value).map_err(|e| {
                let at = if indexed {
                    format!("[{i}]: ")
                } else {
                    String::new()
                };
                parse_error(line, format!("{at}{e}"))
            })?;
            let list = input.validate().map_err(|errors| {
                let errors = if indexed {
                    let parent = format!("[{i}]");
                    ValidationErrors(errors.0.into_iter().map(|e| e.under(&parent)).collect())
                } else {
                    errors
                };
                ImportError::Invalid {
                    path: path.to_path_buf(),
                    line,
                    errors,
                }
            })?;
            lists.push((line, list));
        }
    }
    Ok(lists)
}

fn parse_csv(path: &Path, bytes: &[u8]) -> Result<Vec<(usize, LensPriceList)>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let parse_error = |line: usize, message: String| ImportError::Parse {
        path: path.to_path_buf(),
        line,
        message,
    };
    let header = reader
        .headers()
        .map_err(|e| parse_error(1, e.to_string()))?
        .clone();
    if header.iter().collect::<Vec<_>>() != LENS_PRICES_CSV_HEADER {
        return Err(parse_error(
            1,
            format!("header must be {}", LENS_PRICES_CSV_HEADER.join(",")),
        ));
    }
    // Lists by currency in order of first appearance, each with its first line.
    let mut lists: Vec<(usize, LensPriceList)> = Vec::new();
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            parse_error(line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let invalid = |error: FieldError| ImportError::Invalid {
            path: path.to_path_buf(),
            line,
            errors: ValidationErrors(vec![error]),
        };
        let field = |i: usize| record.get(i).unwrap_or_default();
        let (currency, kind, name, price) = (field(0), field(1), field(2), field(3));
        let mut errors = Vec::new();
        check_currency(&mut errors, "currency", currency);
        if let Some(error) = errors.pop() {
            return Err(invalid(error));
        }
        let section = PriceSection::of_kind(kind).map_err(invalid)?;
        let cents = price
            .parse::<i64>()
            .map_err(|_| "not a whole number".to_string());
        let entry = price_entry(section, name, cents).map_err(|e| {
            // The row's own columns: a bad price names `price_cents`, a bad option `name`.
            let column = if e.message.starts_with("unknown") {
                "name"
            } else {
                "price_cents"
            };
            invalid(FieldError::new(column, e.message))
        })?;
        let key = (currency.to_string(), kind.to_string(), name.to_string());
        if let Some(&first_line) = seen.get(&key) {
            return Err(ImportError::Duplicate {
                path: path.to_path_buf(),
                line,
                id: format!("{currency} {kind} {name}"),
                first_line,
            });
        }
        seen.insert(key, line);
        let index = match lists.iter().position(|(_, l)| l.currency == currency) {
            Some(index) => index,
            None => {
                lists.push((
                    line,
                    LensPriceList {
                        currency: currency.to_string(),
                        materials: Vec::new(),
                        designs: Vec::new(),
                        treatments: Vec::new(),
                    },
                ));
                lists.len() - 1
            }
        };
        entry.add_to(&mut lists[index].1);
    }
    for (line, list) in &mut lists {
        list.sort();
        list.validate().map_err(|errors| ImportError::Invalid {
            path: path.to_path_buf(),
            line: *line,
            errors,
        })?;
    }
    Ok(lists)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LensDesign, LensMaterial};

    const JSON: &str = r#"{
  "currency": "USD",
  "materials": {"cr39": 0, "index160": 6000, "index167": 12000},
  "designs": {"progressive": 15000}
}
{"currency": "EUR", "materials": {"cr39": 0}}
"#;

    #[test]
    fn when_json_lists_follow_each_other_should_read_every_currency() {
        let lists = parse_lens_prices("feeds/lens-prices.jsonl", JSON.as_bytes()).expect("ok");
        assert_eq!(lists.len(), 2);
        assert_eq!(lists[0].material(LensMaterial::Index167), Some(12_000));
        assert_eq!(lists[0].design(LensDesign::Progressive), Some(15_000));
        assert_eq!(lists[1].currency, "EUR");
        let array = format!("[{}]", r#"{"currency": "GBP", "materials": {"cr39": 0}}"#);
        let lists = parse_lens_prices("prices.json", array.as_bytes()).expect("array");
        assert_eq!(lists[0].currency, "GBP");
    }

    #[test]
    fn when_json_list_invalid_should_name_file_line_and_field() {
        let bad = JSON.replace(r#""cr39": 0}}"#, r#""cr39": -1}}"#);
        let error = parse_lens_prices("prices.json", bad.as_bytes()).expect_err("bad");
        assert_eq!(error.line(), Some(6));
        assert_eq!(
            error.to_string(),
            "prices.json:6: invalid input: materials.cr39: must be a whole number of cents \
             between 0 and 1000000"
        );
        let unknown = r#"{"currency": "USD", "materals": {}}"#;
        let error = parse_lens_prices("p.json", unknown.as_bytes()).expect_err("unknown");
        assert!(
            error.to_string().contains("unknown field `materals`"),
            "{error}"
        );
        let twice = format!(
            "{JSON}{}",
            r#"{"currency": "USD", "materials": {"cr39": 0}}"#
        );
        let error = parse_lens_prices("p.json", twice.as_bytes()).expect_err("twice");
        assert!(matches!(
            error,
            ImportError::Duplicate {
                line: 7,
                first_line: 1,
                ..
            }
        ));
    }

    #[test]
    fn when_csv_rows_read_should_group_by_currency_and_name_bad_rows() {
        let csv = "currency,kind,name,price_cents\n\
                   USD,material,index167,12000\n\
                   USD,treatment,anti_reflective,4000\n\
                   EUR,material,cr39,0\n";
        let lists = parse_lens_prices("prices.csv", csv.as_bytes()).expect("ok");
        assert_eq!(lists.len(), 2);
        assert_eq!(lists[0].materials.len(), 1);
        assert_eq!(lists[0].treatments.len(), 1);

        let bad = csv.replace("anti_reflective,4000", "anti_reflective,-4");
        let error = parse_lens_prices("prices.csv", bad.as_bytes()).expect_err("bad");
        assert!(error.to_string().starts_with("prices.csv:3: "), "{error}");
        assert!(error.to_string().contains("price_cents"), "{error}");
        let bad = csv.replace("index167", "index168");
        let error = parse_lens_prices("prices.csv", bad.as_bytes()).expect_err("bad");
        assert!(error
            .to_string()
            .contains("prices.csv:2: invalid input: name: unknown material"));
        let bad = csv.replace("EUR,material", "EUR,lens");
        let error = parse_lens_prices("prices.csv", bad.as_bytes()).expect_err("bad");
        assert!(
            error.to_string().contains(":4: invalid input: kind:"),
            "{error}"
        );
        let error = parse_lens_prices("p.csv", b"cur,kind\n").expect_err("header");
        assert!(error.to_string().contains("header must be"), "{error}");
    }
}
