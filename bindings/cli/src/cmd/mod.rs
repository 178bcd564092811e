//! One module per verb: its arguments (`Args`) and what it does (`run`), through the front
//! door only.

pub mod append;
pub mod balance;
pub mod checkpoint;
pub mod consistency;
pub mod demo;
pub mod export;
pub mod find;
pub mod head;
pub mod init;
pub mod inspections_due;
pub mod keygen;
pub mod lineage;
pub mod migrate;
pub mod neq;
pub mod overdue;
pub mod prove;
pub mod report;
pub mod rule_kit;
pub mod rules;
pub mod sign;
pub mod stock;
pub mod summary;
pub mod synth;
pub mod trace;
pub mod verify;
pub mod vkey;
pub mod witness;

/// Parses a whole date `YYYY-MM-DD` for clap (a month `YYYY-MM` is refused).
pub fn parse_day(value: &str) -> Result<custodia::model::Date, String> {
    match custodia::model::Date::parse(value) {
        Ok(d) if d.day_start_unix().is_some() => Ok(d),
        _ => Err(format!("`{value}` is not a date `YYYY-MM-DD`")),
    }
}

/// Parses a typed id (`SiteId`, `LotId`, `EventId`) for clap, with the id's own explanation.
pub fn parse_id<T>(value: &str) -> Result<T, String>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| e.to_string())
}
