//! The result code every fallible function returns. The enum itself lives in
//! `result_codes.rs`, generated from `custodia::ErrorCode::ALL` by the test below, so the C
//! codes are the core's codes, one to one, by number and by name.

use std::ffi::c_char;

use custodia::ErrorCode;

pub use crate::result_codes::custodia_result;

impl custodia_result {
    /// The result for a core error code. Every code has one: the test
    /// `result_codes_match_error_codes` fails otherwise, and `result_codes.rs` is regenerated
    /// from the core's table.
    pub(crate) fn of(code: ErrorCode) -> custodia_result {
        match custodia_result::from_u32(code.get()) {
            Some(result) => result,
            // INVARIANT (result-codes): unreachable while the test above passes; a build whose
            // generated table is stale reports the code's family-independent catch-all rather
            // than a number C does not know.
            None => custodia_result::Internal,
        }
    }
}

/// The name of a result code after `CUSTODIA_RESULT_`, as a static string: `"OK"`,
/// `"INSUFFICIENT_STOCK"`, ... for printing and logs (compare numbers, never names, in code).
///
/// Returns a pointer to a static NUL-terminated string, owned by the library and never freed,
/// or NULL for a number that is not a result code. Never fails; callable from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn custodia_result_name(result: u32) -> *const c_char {
    crate::boundary::guard(std::ptr::null(), || {
        match custodia_result::from_u32(result) {
            Some(r) => r.name().as_ptr(),
            None => std::ptr::null(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// The text of `result_codes.rs` for the core's current table.
    fn generate() -> String {
        let mut codes: Vec<ErrorCode> = ErrorCode::ALL.to_vec();
        codes.sort_by_key(|c| c.get());
        let mut s = String::new();
        let w = &mut s;
        let _ = writeln!(
            w,
            "// @generated from `custodia::ErrorCode::ALL` by `cargo test -p custodia-c --lib \
             result_codes`;\n// `CUSTODIA_BLESS=1` rewrites it. Do not edit by hand.\n"
        );
        let _ = writeln!(
            w,
            "/// What a call did: `CUSTODIA_RESULT_OK` (0), or the code of the error that stopped it,\n\
             /// the number and name of a `custodia::ErrorCode` (see `docs/ERRORS.md` for each code's\n\
             /// meaning and values). The thousands digit is the family: 1 input, 2 validation,\n\
             /// 3 custody, 4 authorisation, 5 signature, 6 rule, 7 integrity, 8 storage, 9 usage.\n\
             /// Numbers are never renumbered or reused; new codes may be added, so treat an unknown\n\
             /// number by its family. Compare numbers, never message text.\n\
             #[repr(u32)]\n\
             #[derive(Clone, Copy, PartialEq, Eq, Debug)]\n\
             pub enum custodia_result {{\n    /// The call succeeded.\n    Ok = 0,"
        );
        for c in &codes {
            let _ = writeln!(
                w,
                "    /// `{}`: {}, {} family.\n    {} = {},",
                c.name(),
                c.get(),
                c.family().name(),
                c.name(),
                c.get()
            );
        }
        let _ = writeln!(w, "}}\n\nimpl custodia_result {{");
        let _ = writeln!(
            w,
            "    /// Every value, in number order.\n    #[cfg(test)]\n    pub(crate) const ALL: [custodia_result; {}] = [\n        custodia_result::Ok,",
            codes.len() + 1
        );
        for c in &codes {
            let _ = writeln!(w, "        custodia_result::{},", c.name());
        }
        let _ = writeln!(w, "    ];\n");
        let _ = writeln!(
            w,
            "    /// The value with this number, if any.\n    pub(crate) const fn from_u32(value: u32) -> Option<custodia_result> {{\n        match value {{\n            0 => Some(custodia_result::Ok),"
        );
        for c in &codes {
            let _ = writeln!(
                w,
                "            {} => Some(custodia_result::{}),",
                c.get(),
                c.name()
            );
        }
        let _ = writeln!(w, "            _ => None,\n        }}\n    }}\n");
        let _ = writeln!(
            w,
            "    /// The name after `CUSTODIA_RESULT_`.\n    pub(crate) const fn name(self) -> &'static std::ffi::CStr {{\n        match self {{\n            custodia_result::Ok => c\"OK\","
        );
        for c in &codes {
            let _ = writeln!(
                w,
                "            custodia_result::{} => c\"{}\",",
                c.name(),
                c.screaming_name()
            );
        }
        let _ = writeln!(w, "        }}\n    }}\n}}");
        s
    }

    #[test]
    fn result_codes_file_is_generated_from_the_core_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/result_codes.rs");
        let want = generate();
        let have = std::fs::read_to_string(path).unwrap_or_default();
        if std::env::var_os("CUSTODIA_BLESS").is_some() {
            if have != want {
                std::fs::write(path, &want).unwrap();
            }
            return;
        }
        assert!(
            have == want,
            "src/result_codes.rs is stale: run `CUSTODIA_BLESS=1 cargo test -p custodia-c --lib \
             result_codes`, then re-bless the header"
        );
    }

    #[test]
    fn result_codes_match_error_codes() {
        // One to one: every core code has a C value with its number and name, and every C value
        // but OK is a core code.
        assert_eq!(custodia_result::ALL.len(), ErrorCode::ALL.len() + 1);
        assert_eq!(custodia_result::Ok as u32, 0);
        assert_eq!(custodia_result::name(custodia_result::Ok), c"OK");
        for code in ErrorCode::ALL {
            let r = custodia_result::from_u32(code.get())
                .unwrap_or_else(|| panic!("no C value for {}", code.get()));
            assert_eq!(r as u32, code.get());
            assert_eq!(custodia_result::of(*code), r);
            assert_eq!(r.name().to_str().unwrap(), code.screaming_name());
            assert_eq!(format!("{r:?}"), code.name());
        }
        for r in custodia_result::ALL.iter().skip(1) {
            let code = ErrorCode::from_u32(*r as u32).unwrap();
            assert_eq!(code.screaming_name(), r.name().to_str().unwrap());
        }
        let mut numbers: Vec<u32> = custodia_result::ALL.iter().map(|r| *r as u32).collect();
        numbers.dedup();
        assert_eq!(numbers.len(), custodia_result::ALL.len());
        assert!(custodia_result_name(1).is_null());
    }
}
