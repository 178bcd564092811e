//! JSON Schemas compiled: each schema turned into a table of rules ([`Rules`]), read by two
//! functions: one decides on a tape whether a signed event passes the schema of its kind (the
//! fast path of decoding a canonical line), the other names every fault of a `serde_json`
//! value (events that are not canonical lines, unsigned events at signing, the rule input
//! document, the plugin manifest: [`Schema`]). The library links no general JSON Schema engine.
//!
//! It knows only the keywords custodia's schemas use (listed in [`Rules`]), and a schema holding
//! any other keyword, a keyword's value of another shape, or a `pattern` without a check in
//! [`Pattern`], does not compile: a new keyword in a schema cannot be passed over. On a tape its
//! answers are "valid" and "ask the full path" (`false`): the full path decodes the `Value` tree
//! and names the fault or accepts the event. The tests compare both functions' verdicts, and
//! the pointers of the faults named, with those of `jsonschema` (a general engine, a
//! dev-dependency) on every keyword and on thousands of mutated events and rule input
//! documents; debug builds decode every event both ways.
//!
//! The semantics are JSON Schema 2020-12's: a keyword about one type of value (`minLength`,
//! `items`, `properties`, ...) passes every value of another type; `integer` is a number without
//! a fractional part (`1.0` is one); `$ref` to a JSON Pointer in the same document (`#/...`) or
//! in another by its `$id` (`<$id>#/...`, or `<$id>` for its root); `if`/`then`/`else`;
//! `anyOf`, `allOf`, `oneOf`. A fault is reported as `jsonschema` does (JSON Schema's "basic"
//! output): at the value that breaks a keyword, `anyOf` and `oneOf` at the value they judge.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::envelope::schema::Pattern;
use crate::envelope::tape::{Elements, Node, View};

/// A node of the table: index into [`Compiled::rules`].
type Id = u32;

/// Deepest nesting of schemas followed for one value (a tape is at most 128 deep; a `$ref`
/// chain without a value between is a few deep in the schema): a schema that refers to itself
/// without descending into the value stops here, as "ask the full path".
const DEPTH_MAX: u32 = 1024;

/// `uniqueItems` on an array of other values than strings is checked by comparing every pair,
/// up to this many elements; a longer one is left to the full path (the schema's are at most
/// 64 witnesses).
const PAIRWISE_MAX: usize = 64;

/// `uniqueItems` on an array of up to this many elements is checked by comparing every pair.
const SHORT_ARRAY: usize = 8;

/// Keywords that only annotate, and are ignored (`$defs` only holds what `$ref` names). Not
/// `$id`: inside a definition it would change what `$ref`s below it name (the root's, which
/// names the schema, is never compiled here: only its `$defs` are).
const ANNOTATIONS: [&str; 5] = ["$schema", "$defs", "title", "description", "$comment"];

/// One type of JSON value, a bit each (`type`).
mod ty {
    pub(super) const NULL: u8 = 1;
    pub(super) const BOOLEAN: u8 = 2;
    /// `number`: any number.
    pub(super) const NUMBER: u8 = 4;
    pub(super) const STRING: u8 = 8;
    pub(super) const ARRAY: u8 = 16;
    pub(super) const OBJECT: u8 = 32;
    /// `integer`: a number without a fractional part (`1.0` included). A number has the bits of
    /// `number` and, if integral, of `integer`: a tape's numbers are all integers.
    pub(super) const INTEGER: u8 = 64;
}

/// A value of `const` or `enum`.
#[derive(Clone, Debug, PartialEq)]
enum Literal {
    Null,
    Bool(bool),
    Int(i128),
    Str(Box<str>),
}

impl Literal {
    fn of(value: &Value) -> Result<Literal, String> {
        Ok(match value {
            Value::Null => Literal::Null,
            Value::Bool(b) => Literal::Bool(*b),
            Value::Number(n) => Literal::Int(integer(value).ok_or(format!("the number {n}"))?),
            Value::String(s) => Literal::Str(s.as_str().into()),
            other => return Err(format!("the literal {other}")),
        })
    }

    /// JSON equality with a `Value` (`1` equals `1.0`).
    fn is_value(&self, value: &Value) -> bool {
        match (self, value) {
            (Literal::Null, Value::Null) => true,
            (Literal::Bool(a), Value::Bool(b)) => a == b,
            (Literal::Int(a), Value::Number(_)) => integer(value) == Some(*a),
            (Literal::Str(a), Value::String(b)) => a.as_ref() == b.as_str(),
            _ => false,
        }
    }

    /// JSON equality with a value of a tape (`1` equals `1.0`, but a tape holds no fractions).
    fn is(&self, value: &View<'_>) -> bool {
        match (self, value) {
            (Literal::Null, View::Null) => true,
            (Literal::Bool(a), View::Bool(b)) => a == b,
            (Literal::Int(a), View::Int(b)) => a == b,
            (Literal::Str(a), View::Str(b)) => same(a.as_bytes(), b.as_bytes()),
            _ => false,
        }
    }
}

impl std::fmt::Display for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(n) => write!(f, "{n}"),
            Literal::Str(s) => f.write_str(&json_string(s)),
        }
    }
}

/// What one schema object asks of a value: every keyword the event schema uses.
#[derive(Clone, Debug, Default)]
struct Rules {
    /// `false` as a schema.
    never: bool,
    /// `type`: the types allowed, or 0 for any.
    types: u8,
    /// `const` and `enum`: the value must be one of each list.
    one_of_values: Vec<Box<[Literal]>>,
    /// `minLength`, `maxLength` (in characters), `pattern`.
    min_length: Option<u64>,
    max_length: Option<u64>,
    /// The pattern's check, and its source text (for messages).
    pattern: Option<(Pattern, &'static str)>,
    /// `minimum`, `maximum`.
    minimum: Option<i128>,
    maximum: Option<i128>,
    /// `items`, `minItems`, `maxItems`, `uniqueItems`.
    items: Option<Id>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    unique_items: bool,
    /// `properties`, sorted by name (looked up by binary search).
    properties: Vec<(Box<str>, Id)>,
    /// `required` names among `properties`, a bit per property's place.
    required: u64,
    /// `required` names not among `properties`.
    required_elsewhere: Vec<Box<str>>,
    /// `additionalProperties: false`.
    closed: bool,
    /// `additionalProperties` as a schema other than `false`.
    additional: Option<Id>,
    /// `$ref` and `allOf`: every one must pass.
    all_of: Vec<Id>,
    /// `anyOf`: one must pass (empty: no such keyword).
    any_of: Vec<Id>,
    /// `oneOf`: exactly one must pass (empty: no such keyword).
    one_of: Vec<Id>,
    /// `if`, `then`, `else`.
    condition: Option<(Id, Option<Id>, Option<Id>)>,
}

/// The schema of every kind's events, compiled.
pub(crate) struct Compiled {
    rules: Vec<Rules>,
    /// Per kind, sorted by kind: the rules of its unsigned events, and of its signed events
    /// (`id` and `signatures` required).
    kinds: Vec<(Box<str>, Id, Id)>,
}

impl Compiled {
    /// Compiles the schema of each of `kinds` (`$defs/event_<kind>` of `schema`, the event
    /// schema), unsigned and signed. An error names what is not known here.
    pub(crate) fn new(schema: &Value, kinds: &[String]) -> Result<Compiled, String> {
        let mut compiler = Compiler::new(&[schema])?;
        let mut roots = Vec::new();
        for kind in kinds {
            let unsigned = compiler.place(0, &format!("/$defs/event_{kind}"))?;
            // `allOf: [def, {required: [id, signatures]}]`, as one set of rules.
            let mut rules = compiler.rules(unsigned)?.clone();
            for name in ["id", "signatures"] {
                require(&mut rules, name)?;
            }
            let signed = compiler.push(rules)?;
            roots.push((kind.as_str().into(), unsigned, signed));
        }
        roots.sort_by(|a: &(Box<str>, Id, Id), b| a.0.cmp(&b.0));
        Ok(Compiled {
            rules: compiler.rules,
            kinds: roots,
        })
    }

    /// The rules of `kind`'s events, signed or not; `None` for a kind not compiled here.
    fn root(&self, kind: &str, signed: bool) -> Option<Id> {
        let place = self
            .kinds
            .binary_search_by(|(known, _, _)| known.as_ref().cmp(kind))
            .ok()?;
        let (_, unsigned, signed_root) = self.kinds.get(place)?;
        Some(if signed { *signed_root } else { *unsigned })
    }

    /// Whether a signed event of `kind` passes; `None` for a kind not compiled here.
    pub(crate) fn is_valid(&self, kind: &str, event: Node<'_>) -> Option<bool> {
        let root = self.root(kind, true)?;
        Some(self.valid(root, event, 0))
    }

    /// Where an event of `kind` (signed or not) breaks its schema, in the order found (none:
    /// it passes); `None` for a kind not compiled here.
    pub(crate) fn event_faults(
        &self,
        kind: &str,
        signed: bool,
        event: &Value,
    ) -> Option<Vec<Fault>> {
        let root = self.root(kind, signed)?;
        let mut faults = Vec::new();
        // Most events pass: decided without naming anything first.
        if !self.value_valid(root, event, 0) {
            self.named_faults(root, event, &mut faults);
        }
        Some(faults)
    }

    fn valid(&self, id: Id, node: Node<'_>, depth: u32) -> bool {
        let Some(r) = self.rules.get(id as usize) else {
            return false;
        };
        if r.never || depth > DEPTH_MAX {
            return false;
        }
        let view = node.view();
        if r.types != 0 && r.types & view.type_bit() == 0 {
            return false;
        }
        if !r
            .one_of_values
            .iter()
            .all(|values| values.iter().any(|v| v.is(&view)))
        {
            return false;
        }
        let own = match view {
            View::Str(s) => self.string(r, s),
            View::Int(n) => r.minimum.is_none_or(|m| n >= m) && r.maximum.is_none_or(|m| n <= m),
            View::Arr(elements) => self.array(r, elements, depth),
            View::Obj(object) => self.object(r, object, depth),
            View::Null | View::Bool(_) => true,
        };
        own && r.all_of.iter().all(|&s| self.valid(s, node, depth + 1))
            && (r.any_of.is_empty() || r.any_of.iter().any(|&s| self.valid(s, node, depth + 1)))
            && (r.one_of.is_empty()
                || r.one_of
                    .iter()
                    .filter(|&&s| self.valid(s, node, depth + 1))
                    .count()
                    == 1)
            && r.condition.is_none_or(|(test, then, otherwise)| {
                let branch = if self.valid(test, node, depth + 1) {
                    then
                } else {
                    otherwise
                };
                branch.is_none_or(|s| self.valid(s, node, depth + 1))
            })
    }

    fn string(&self, r: &Rules, s: &str) -> bool {
        if r.pattern.is_some_and(|(p, _)| !p.matches(s)) {
            return false;
        }
        if r.min_length.is_none() && r.max_length.is_none() {
            return true;
        }
        // Lengths count characters (code points), as JSON Schema does. `as`: widening.
        let n = s.chars().count() as u64;
        r.min_length.is_none_or(|m| n >= m) && r.max_length.is_none_or(|m| n <= m)
    }

    fn array(&self, r: &Rules, elements: Elements<'_>, depth: u32) -> bool {
        // `as`: widening.
        let n = elements.len() as u64;
        if r.min_items.is_some_and(|m| n < m) || r.max_items.is_some_and(|m| n > m) {
            return false;
        }
        if let Some(items) = r.items
            && !elements.clone().all(|e| self.valid(items, e, depth + 1))
        {
            return false;
        }
        !r.unique_items || unique(elements)
    }

    fn object(&self, r: &Rules, object: crate::envelope::tape::Object<'_>, depth: u32) -> bool {
        let mut found = 0u64;
        // The place in `properties` where the next member is first looked for: a canonical
        // object's members are in the same order (RFC 8785 sorts names by UTF-16 units,
        // which is the order of their bytes for the ASCII names of the schema), so each is
        // found by one or two comparisons, moving forward; a name before it is searched for.
        let mut cursor = 0;
        for (name, value) in object.members() {
            let place = loop {
                match r.properties.get(cursor) {
                    Some((known, _)) if same(known.as_bytes(), name.as_bytes()) => {
                        break Ok(cursor);
                    }
                    Some((known, _)) if before(known.as_bytes(), name.as_bytes()) => {
                        cursor += 1;
                    }
                    _ => {
                        break r
                            .properties
                            .binary_search_by(|(known, _)| known.as_ref().cmp(name));
                    }
                }
            };
            let schema = match place {
                Ok(place) => {
                    found |= 1 << place;
                    r.properties.get(place).map(|(_, s)| *s)
                }
                Err(_) if r.closed => return false,
                Err(_) => r.additional,
            };
            if let Some(schema) = schema
                && !self.valid(schema, value, depth + 1)
            {
                return false;
            }
        }
        found & r.required == r.required
            && r.required_elsewhere
                .iter()
                .all(|name| object.get(name).is_some())
    }
}

/// The faults of a `Value` tree: what [`Compiled::valid`] decides on a tape, on any JSON value
/// (numbers with fractions included), naming every fault.
impl Compiled {
    /// Whether `value` passes the rules `id`: [`Compiled::faults`]'s verdict, without naming
    /// anything (most values checked pass, and `if`, `anyOf` and `oneOf` only ask this).
    fn value_valid(&self, id: Id, value: &Value, depth: u32) -> bool {
        let Some(r) = self.rules.get(id as usize) else {
            return false;
        };
        if r.never || depth > DEPTH_MAX {
            return false;
        }
        if r.types != 0 && r.types & value_type_bits(value) == 0 {
            return false;
        }
        if !r
            .one_of_values
            .iter()
            .all(|values| values.iter().any(|v| v.is_value(value)))
        {
            return false;
        }
        let own = match value {
            Value::String(s) => self.string(r, s),
            Value::Number(_) => bounds_broken(r, value) == (None, None),
            Value::Array(elements) => {
                // `as`: widening.
                let n = elements.len() as u64;
                r.min_items.is_none_or(|m| n >= m)
                    && r.max_items.is_none_or(|m| n <= m)
                    && r.items.is_none_or(|items| {
                        elements
                            .iter()
                            .all(|e| self.value_valid(items, e, depth + 1))
                    })
                    && (!r.unique_items || unique_values(elements))
            }
            Value::Object(members) => self.object_valid(r, members, depth),
            Value::Null | Value::Bool(_) => true,
        };
        own && r
            .all_of
            .iter()
            .all(|&s| self.value_valid(s, value, depth + 1))
            && (r.any_of.is_empty()
                || r.any_of
                    .iter()
                    .any(|&s| self.value_valid(s, value, depth + 1)))
            && (r.one_of.is_empty()
                || r.one_of
                    .iter()
                    .filter(|&&s| self.value_valid(s, value, depth + 1))
                    .count()
                    == 1)
            && r.condition.is_none_or(|(test, then, otherwise)| {
                let branch = if self.value_valid(test, value, depth + 1) {
                    then
                } else {
                    otherwise
                };
                branch.is_none_or(|s| self.value_valid(s, value, depth + 1))
            })
    }

    fn object_valid(&self, r: &Rules, members: &Map<String, Value>, depth: u32) -> bool {
        // A bit per property found, as on a tape. Members come sorted by name (a `Map` is a
        // B-tree), as the properties are: each is found moving forward from the last (and
        // searched for otherwise, should a `Map` ever keep another order).
        let mut found = 0u64;
        let mut cursor = 0;
        for (name, member) in members {
            let place = loop {
                match r.properties.get(cursor) {
                    Some((known, _)) if before(known.as_bytes(), name.as_bytes()) => cursor += 1,
                    Some((known, _)) if same(known.as_bytes(), name.as_bytes()) => {
                        break Some(cursor);
                    }
                    _ => {
                        break r
                            .properties
                            .binary_search_by(|(known, _)| known.as_ref().cmp(name))
                            .ok();
                    }
                }
            };
            let schema = match place {
                Some(place) => {
                    found |= 1 << place;
                    r.properties.get(place).map(|(_, s)| *s)
                }
                None if r.closed => return false,
                None => r.additional,
            };
            if let Some(schema) = schema
                && !self.value_valid(schema, member, depth + 1)
            {
                return false;
            }
        }
        found & r.required == r.required
            && r.required_elsewhere
                .iter()
                .all(|name| members.contains_key(name.as_ref()))
    }

    /// The faults of `value`, which [`Compiled::value_valid`] refused, under the rules `id`:
    /// at least one (the two functions are tested to agree; if they did not, the value is
    /// still refused, at its root).
    fn named_faults(&self, id: Id, value: &Value, out: &mut Vec<Fault>) {
        self.faults(id, value, &mut String::new(), 0, out);
        if out.is_empty() {
            out.push(Fault::at("", "the value breaks the schema".into()));
        }
    }

    /// Whether [`Compiled::value_valid`] and [`Compiled::faults`] agree on `value` under the
    /// rules of `kind`'s signed events, or of the only schema (kind `""`).
    #[cfg(test)]
    pub(crate) fn both_agree(&self, kind: &str, value: &Value) -> bool {
        let Some(root) = self.root(kind, true) else {
            return false;
        };
        let mut faults = Vec::new();
        self.faults(root, value, &mut String::new(), 0, &mut faults);
        self.value_valid(root, value, 0) == faults.is_empty()
    }

    /// Adds to `out` each fault of `value`, at the JSON Pointer `at`, under the rules `id`. Every
    /// keyword is checked (a value of the wrong type still meets the keywords of the others):
    /// a fault is where the value breaks a keyword about it, and the faults of `properties`,
    /// `additionalProperties` and `items` are at the member or element; `anyOf`, `oneOf` and a
    /// `false` schema name the value itself; `$ref`, `allOf`, `then` and `else` pass on their
    /// schemas' faults (JSON Schema's "basic" output, as `jsonschema` gives it).
    fn faults(&self, id: Id, value: &Value, at: &mut String, depth: u32, out: &mut Vec<Fault>) {
        let Some(r) = self.rules.get(id as usize) else {
            out.push(Fault::at(at, format!("no rules {id}")));
            return;
        };
        if depth > DEPTH_MAX {
            out.push(Fault::at(
                at,
                "the schema refers to itself too deeply".into(),
            ));
            return;
        }
        if r.never {
            out.push(Fault::at(
                at,
                format!("{} is not allowed here", shown(value)),
            ));
            return;
        }
        if r.types != 0 && r.types & value_type_bits(value) == 0 {
            out.push(Fault::at(
                at,
                format!("{} is not of type {}", shown(value), type_names(r.types)),
            ));
        }
        for values in &r.one_of_values {
            if !values.iter().any(|v| v.is_value(value)) {
                let reason = match &values[..] {
                    [one] => format!("{one} was expected, not {}", shown(value)),
                    all => format!("{} is not one of {}", shown(value), literal_list(all)),
                };
                out.push(Fault::at(at, reason));
            }
        }
        match value {
            Value::String(s) => string_faults(r, s, value, at, out),
            Value::Number(_) => number_faults(r, value, at, out),
            Value::Array(elements) => self.array_faults(r, elements, value, at, depth, out),
            Value::Object(members) => self.object_faults(r, members, at, depth, out),
            Value::Null | Value::Bool(_) => {}
        }
        for &schema in &r.all_of {
            self.faults(schema, value, at, depth + 1, out);
        }
        if !r.any_of.is_empty()
            && !r
                .any_of
                .iter()
                .any(|&s| self.value_valid(s, value, depth + 1))
        {
            out.push(Fault::at(
                at,
                format!(
                    "{} is valid under none of the schemas of `anyOf`",
                    shown(value)
                ),
            ));
        }
        if !r.one_of.is_empty() {
            let passed = r
                .one_of
                .iter()
                .filter(|&&s| self.value_valid(s, value, depth + 1))
                .count();
            if passed != 1 {
                let how = if passed == 0 { "none" } else { "more than one" };
                out.push(Fault::at(
                    at,
                    format!(
                        "{} is valid under {how} of the schemas of `oneOf`",
                        shown(value)
                    ),
                ));
            }
        }
        if let Some((test, then, otherwise)) = r.condition {
            let branch = if self.value_valid(test, value, depth + 1) {
                then
            } else {
                otherwise
            };
            if let Some(schema) = branch {
                self.faults(schema, value, at, depth + 1, out);
            }
        }
    }

    fn array_faults(
        &self,
        r: &Rules,
        elements: &[Value],
        value: &Value,
        at: &mut String,
        depth: u32,
        out: &mut Vec<Fault>,
    ) {
        // `as`: widening.
        let n = elements.len() as u64;
        if let Some(m) = r.min_items.filter(|m| n < *m) {
            out.push(Fault::at(
                at,
                format!("{} has fewer than {m} items", shown(value)),
            ));
        }
        if let Some(m) = r.max_items.filter(|m| n > *m) {
            out.push(Fault::at(
                at,
                format!("{} has more than {m} items", shown(value)),
            ));
        }
        if r.unique_items && !unique_values(elements) {
            out.push(Fault::at(
                at,
                format!("{} has items that are equal", shown(value)),
            ));
        }
        if let Some(items) = r.items {
            for (i, element) in elements.iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                self.faults(items, element, at, depth + 1, out);
                at.truncate(len);
            }
        }
    }

    fn object_faults(
        &self,
        r: &Rules,
        members: &Map<String, Value>,
        at: &mut String,
        depth: u32,
        out: &mut Vec<Fault>,
    ) {
        let required = r
            .properties
            .iter()
            .enumerate()
            .filter(|(place, _)| r.required >> place & 1 == 1)
            .map(|(_, (name, _))| name.as_ref())
            .chain(r.required_elsewhere.iter().map(AsRef::as_ref));
        for name in required {
            if !members.contains_key(name) {
                out.push(Fault {
                    pointer: at.clone(),
                    missing: Some(name.to_owned()),
                    // The name as a JSON string, as `jsonschema` wrote it.
                    reason: format!("{} is a required property", json_string(name)),
                });
            }
        }
        let mut unexpected = Vec::new();
        for (name, member) in members {
            let schema = match r
                .properties
                .binary_search_by(|(known, _)| known.as_ref().cmp(name))
            {
                Ok(place) => r.properties.get(place).map(|(_, s)| *s),
                Err(_) if r.closed => {
                    unexpected.push(json_string(name));
                    None
                }
                Err(_) => r.additional,
            };
            if let Some(schema) = schema {
                let len = at.len();
                push_token(at, name);
                self.faults(schema, member, at, depth + 1, out);
                at.truncate(len);
            }
        }
        if !unexpected.is_empty() {
            // A few names: an object of thousands of members is named by its pointer.
            const NAMED_MAX: usize = 8;
            let more = unexpected.len().saturating_sub(NAMED_MAX);
            unexpected.truncate(NAMED_MAX);
            let and_more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            out.push(Fault::at(
                at,
                format!(
                    "additional properties are not allowed ({}{and_more} unexpected)",
                    unexpected.join(", ")
                ),
            ));
        }
    }
}

fn string_faults(r: &Rules, s: &str, value: &Value, at: &str, out: &mut Vec<Fault>) {
    if let Some((_, source)) = r.pattern.filter(|(p, _)| !p.matches(s)) {
        out.push(Fault::at(
            at,
            format!("{} does not match `{source}`", shown(value)),
        ));
    }
    if r.min_length.is_none() && r.max_length.is_none() {
        return;
    }
    // Lengths count characters (code points), as JSON Schema does. `as`: widening.
    let n = s.chars().count() as u64;
    if let Some(m) = r.min_length.filter(|m| n < *m) {
        out.push(Fault::at(
            at,
            format!("{} is shorter than {m} characters", shown(value)),
        ));
    }
    if let Some(m) = r.max_length.filter(|m| n > *m) {
        out.push(Fault::at(
            at,
            format!("{} is longer than {m} characters", shown(value)),
        ));
    }
}

fn number_faults(r: &Rules, value: &Value, at: &str, out: &mut Vec<Fault>) {
    let (minimum, maximum) = bounds_broken(r, value);
    if let Some(m) = minimum {
        out.push(Fault::at(
            at,
            format!("{value} is less than the minimum of {m}"),
        ));
    }
    if let Some(m) = maximum {
        out.push(Fault::at(
            at,
            format!("{value} is greater than the maximum of {m}"),
        ));
    }
}

/// The `minimum` and the `maximum` a number breaks, if any. Integers are compared exactly,
/// other numbers as floats (a bound is an integer; `as`: the nearest float, which is how JSON
/// Schema compares them).
#[allow(clippy::cast_precision_loss)]
fn bounds_broken(r: &Rules, value: &Value) -> (Option<i128>, Option<i128>) {
    if r.minimum.is_none() && r.maximum.is_none() {
        return (None, None);
    }
    let (exact, float) = (integer(value), value.as_f64());
    let below = |m: i128| match exact {
        Some(n) => n < m,
        None => float.is_some_and(|f| f < m as f64),
    };
    let above = |m: i128| match exact {
        Some(n) => n > m,
        None => float.is_some_and(|f| f > m as f64),
    };
    (
        r.minimum.filter(|m| below(*m)),
        r.maximum.filter(|m| above(*m)),
    )
}

/// `/` and `name` escaped as a JSON Pointer's token, added to `at`.
fn push_token(at: &mut String, name: &str) {
    at.push('/');
    if name.contains(['~', '/']) {
        at.push_str(&name.replace('~', "~0").replace('/', "~1"));
    } else {
        at.push_str(name);
    }
}

/// `text` written as a JSON string (quoted, escaped).
fn json_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// The type bits of a JSON value.
fn value_type_bits(value: &Value) -> u8 {
    match value {
        Value::Null => ty::NULL,
        Value::Bool(_) => ty::BOOLEAN,
        Value::Number(n) => {
            let integral = n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0);
            if integral {
                ty::NUMBER | ty::INTEGER
            } else {
                ty::NUMBER
            }
        }
        Value::String(_) => ty::STRING,
        Value::Array(_) => ty::ARRAY,
        Value::Object(_) => ty::OBJECT,
    }
}

/// The names of the types of `bits`, for a message.
fn type_names(bits: u8) -> String {
    let names = [
        (ty::NULL, "null"),
        (ty::BOOLEAN, "boolean"),
        (ty::INTEGER, "integer"),
        (ty::NUMBER, "number"),
        (ty::STRING, "string"),
        (ty::ARRAY, "array"),
        (ty::OBJECT, "object"),
    ];
    names
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, name)| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A value for a message: its JSON, cut short past a few hundred bytes (a list of thousands of
/// items is named by its pointer, not printed whole).
fn shown(value: &Value) -> String {
    const SHOWN_MAX: usize = 200;
    let mut text = value.to_string();
    if text.len() <= SHOWN_MAX {
        return text;
    }
    let mut end = SHOWN_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // `end` is a character boundary (found above), so this cuts no character.
    text.truncate(end);
    text.push('…');
    text
}

fn literal_list(values: &[Literal]) -> String {
    let all: Vec<String> = values.iter().map(ToString::to_string).collect();
    format!("[{}]", all.join(", "))
}

/// Whether no two of `elements` are equal (JSON equality: `1` equals `1.0`): up to
/// [`PAIRWISE_MAX`] elements by comparing every pair, beyond by sorting (strings as they are,
/// other values by a key of their JSON), so that a list of 100,000 ids costs a sort, not 5·10⁹
/// comparisons.
fn unique_values(elements: &[Value]) -> bool {
    if elements.len() <= PAIRWISE_MAX {
        return elements
            .iter()
            .enumerate()
            .all(|(i, a)| elements.iter().skip(i + 1).all(|b| !json_equal(a, b)));
    }
    let strings: Option<Vec<&str>> = elements.iter().map(Value::as_str).collect();
    if let Some(mut strings) = strings {
        strings.sort_unstable();
        return strings.windows(2).all(|w| w.first() != w.get(1));
    }
    let mut keys: Vec<String> = elements
        .iter()
        .map(|e| {
            let mut key = String::new();
            equality_key(e, &mut key);
            key
        })
        .collect();
    keys.sort_unstable();
    keys.windows(2).all(|w| w.first() != w.get(1))
}

/// A text equal for JSON-equal values: their JSON (a `Map`'s members sorted by name), an
/// integral number written as an integer (beyond ±2^53, where floats are not exact, numbers are
/// written as floats; two such equal numbers written one as an integer and one as a float are
/// taken as different, an edge no schema here meets).
fn equality_key(value: &Value, out: &mut String) {
    use std::fmt::Write as _;
    match value {
        Value::Number(n) => {
            // Writing to a `String` cannot fail.
            let _ = match integer(value) {
                Some(i) => write!(out, "{i}"),
                None => write!(out, "{n}"),
            };
        }
        Value::Array(elements) => {
            out.push('[');
            for e in elements {
                equality_key(e, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::Object(members) => {
            // Sorted already (a `Map` is a B-tree) unless serde_json's `preserve_order` were on.
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (name, member) in sorted {
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                equality_key(member, out);
                out.push(',');
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// JSON equality of two values (numbers by value).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (integer(a), integer(b)) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(name, v)| y.get(name).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Where a value breaks a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// JSON Pointer of the value at fault (`""`: the whole document); for a missing member,
    /// of the object it is missing from.
    pub pointer: String,
    /// The name of the required member that is missing, if that is the fault.
    pub missing: Option<String>,
    /// What is wrong there.
    pub reason: String,
}

impl Fault {
    fn at(pointer: &str, reason: String) -> Fault {
        Fault {
            pointer: pointer.to_owned(),
            missing: None,
            reason,
        }
    }

    /// The pointer of the value at fault, a missing member's own.
    pub fn field(&self) -> String {
        match &self.missing {
            None => self.pointer.clone(),
            Some(name) => {
                let mut field = self.pointer.clone();
                push_token(&mut field, name);
                field
            }
        }
    }
}

/// A JSON Schema (draft 2020-12) compiled: the subset custodia's own schemas use (`type`,
/// `const`, `enum`, `minLength`, `maxLength`, `pattern`, `minimum`, `maximum`, `items`,
/// `minItems`, `maxItems`, `uniqueItems`, `properties`, `required`, `additionalProperties`,
/// `$ref` within the document or to another by its `$id`, `allOf`, `anyOf`, `oneOf`,
/// `if`/`then`/`else`, and the `pattern`s of `schemas/`, each checked by code); any other
/// keyword or pattern does not compile, so that none is passed over. Used for the plugin
/// manifest and the rule input document (`schemas/`).
///
/// ```
/// use custodia::rules::Schema;
/// use serde_json::json;
///
/// let schema = Schema::new(&json!({"type": "object", "required": ["n"],
///     "properties": {"n": {"type": "integer", "minimum": 1}}}), &[]).unwrap();
/// assert!(schema.faults(&json!({"n": 2})).is_empty());
/// let faults = schema.faults(&json!({"n": 0}));
/// assert_eq!(faults[0].pointer, "/n");
/// assert!(Schema::new(&json!({"format": "date"}), &[]).is_err());
/// ```
pub struct Schema {
    compiled: Compiled,
    root: Id,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema")
            .field("rules", &self.compiled.rules.len())
            .finish_non_exhaustive()
    }
}

impl Schema {
    /// Compiles `root`, whose `$ref`s may name the documents `others` by their `$id`. An error
    /// names what is not known here.
    pub fn new(root: &Value, others: &[&Value]) -> Result<Schema, String> {
        let mut documents = vec![root];
        documents.extend_from_slice(others);
        let mut compiler = Compiler::new(&documents)?;
        let root = compiler.place(0, "")?;
        Ok(Schema {
            compiled: Compiled {
                rules: compiler.rules,
                kinds: Vec::new(),
            },
            root,
        })
    }

    /// Every fault of `value`, in the order found (see [`Fault`]); none if it passes.
    pub fn faults(&self, value: &Value) -> Vec<Fault> {
        let mut faults = Vec::new();
        if !self.compiled.value_valid(self.root, value, 0) {
            self.compiled.named_faults(self.root, value, &mut faults);
        }
        faults
    }
}

/// Whether `a` and `b` are the same bytes: a short name compared here, byte by byte, instead of
/// by a call to `memcmp` (which was a fifth of the validator's time, on names of a few bytes).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    const SHORT: usize = 16;
    a.len() == b.len()
        && if a.len() <= SHORT {
            a.iter().zip(b).all(|(x, y)| x == y)
        } else {
            a == b
        }
}

/// Whether `a` sorts before `b` (by their bytes), compared as [`same`] does.
#[inline]
fn before(a: &[u8], b: &[u8]) -> bool {
    match a.iter().zip(b).find(|(x, y)| x != y) {
        Some((x, y)) => x < y,
        None => a.len() < b.len(),
    }
}

/// Whether no two elements are equal (JSON equality): strings by sorting, other values by
/// comparing every pair, up to [`PAIRWISE_MAX`] (beyond it, "ask the full path").
fn unique(elements: Elements<'_>) -> bool {
    // Most arrays checked are an event's one or two parents: compared pair by pair, without
    // collecting them.
    if elements.len() <= SHORT_ARRAY {
        return elements
            .clone()
            .enumerate()
            .all(|(i, a)| elements.clone().skip(i + 1).all(|b| !equal(a, b)));
    }
    let strings: Option<Vec<&str>> = elements
        .clone()
        .map(|e| match e.view() {
            View::Str(s) => Some(s),
            _ => None,
        })
        .collect();
    if let Some(mut strings) = strings {
        strings.sort_unstable();
        return strings.windows(2).all(|w| w.first() != w.get(1));
    }
    if elements.len() > PAIRWISE_MAX {
        return false;
    }
    let all: Vec<Node<'_>> = elements.collect();
    all.iter()
        .enumerate()
        .all(|(i, a)| all.iter().skip(i + 1).all(|b| !equal(*a, *b)))
}

/// JSON equality of two values of a tape.
fn equal(a: Node<'_>, b: Node<'_>) -> bool {
    match (a.view(), b.view()) {
        (View::Null, View::Null) => true,
        (View::Bool(x), View::Bool(y)) => x == y,
        (View::Int(x), View::Int(y)) => x == y,
        (View::Str(x), View::Str(y)) => x == y,
        (View::Arr(x), View::Arr(y)) => x.len() == y.len() && x.zip(y).all(|(x, y)| equal(x, y)),
        (View::Obj(x), View::Obj(y)) => {
            x.len() == y.len()
                && x.members()
                    .all(|(name, v)| y.get(name).is_some_and(|w| equal(v, w)))
        }
        _ => false,
    }
}

/// `name` made required in `rules`.
fn require(rules: &mut Rules, name: &str) -> Result<(), String> {
    match rules
        .properties
        .binary_search_by(|(known, _)| known.as_ref().cmp(name))
    {
        Ok(place) => {
            let bit = 1u64
                .checked_shl(u32::try_from(place).map_err(|e| e.to_string())?)
                .filter(|b| *b != 0)
                .ok_or("more than 64 properties")?;
            rules.required |= bit;
        }
        Err(_) => rules.required_elsewhere.push(name.into()),
    }
    Ok(())
}

/// An integer of the schema, if it is one (`1.0` included, as JSON Schema reads it).
fn integer(value: &Value) -> Option<i128> {
    let n = value.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u));
    }
    let f = n.as_f64()?;
    // An integral float within ±2^53, where every integer is exact. `as`: exact there.
    #[allow(clippy::cast_possible_truncation)]
    (f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0).then_some(f as i128)
}

fn count(value: &Value) -> Result<u64, String> {
    value
        .as_u64()
        .ok_or_else(|| format!("{value} is not a count"))
}

/// A schema document: its `$id` (what a `$ref` from another document names it by) and its
/// root.
struct Document<'s> {
    id: Option<&'s str>,
    root: &'s Value,
}

struct Compiler<'s> {
    documents: Vec<Document<'s>>,
    rules: Vec<Rules>,
    /// Each schema compiled so far as the target of a reference, by document and JSON Pointer.
    by_place: HashMap<(usize, String), Id>,
}

impl<'s> Compiler<'s> {
    /// A compiler of schemas in `documents`, the first the one compiled: the others are only
    /// what its `$ref`s name by their `$id`.
    fn new(documents: &[&'s Value]) -> Result<Self, String> {
        let documents = documents
            .iter()
            .map(|root| {
                let id = match root.get("$id") {
                    None => None,
                    Some(id) => Some(id.as_str().ok_or("`$id` is not a string")?),
                };
                Ok(Document { id, root })
            })
            .collect::<Result<_, String>>()?;
        Ok(Compiler {
            documents,
            rules: Vec::new(),
            by_place: HashMap::new(),
        })
    }

    fn push(&mut self, rules: Rules) -> Result<Id, String> {
        let id = Id::try_from(self.rules.len()).map_err(|e| e.to_string())?;
        self.rules.push(rules);
        Ok(id)
    }

    fn rules(&self, id: Id) -> Result<&Rules, String> {
        self.rules
            .get(id as usize)
            .ok_or_else(|| format!("no rules {id}"))
    }

    /// The rules of the schema at `pointer` in `document`, compiled when first asked for.
    fn place(&mut self, document: usize, pointer: &str) -> Result<Id, String> {
        let key = (document, pointer.to_owned());
        if let Some(id) = self.by_place.get(&key) {
            return Ok(*id);
        }
        let doc = self
            .documents
            .get(document)
            .ok_or_else(|| format!("no document {document}"))?;
        let schema = doc
            .root
            .pointer(pointer)
            .ok_or_else(|| format!("nothing at `{pointer}`"))?;
        // Placed before compiling, so that a schema referring to itself finds it.
        let id = self.push(Rules::default())?;
        self.by_place.insert(key, id);
        let rules = self.compile_rules(schema, document, pointer.is_empty())?;
        if let Some(slot) = self.rules.get_mut(id as usize) {
            *slot = rules;
        }
        Ok(id)
    }

    /// The rules a `$ref` names: `#<pointer>` in `document`, or `<$id>#<pointer>` in the document
    /// of that `$id` (its root without `#`).
    fn reference(&mut self, target: &Value, document: usize) -> Result<Id, String> {
        let text = target
            .as_str()
            .filter(|t| !t.contains('%'))
            .ok_or_else(|| format!("the reference {target}"))?;
        let (base, pointer) = text.split_once('#').unwrap_or((text, ""));
        let document = if base.is_empty() {
            document
        } else {
            self.documents
                .iter()
                .position(|d| d.id == Some(base))
                .ok_or_else(|| format!("the reference {target}: no such document"))?
        };
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(format!("the reference {target}"));
        }
        self.place(document, pointer)
    }

    /// The rules of a subschema in `document`: a schema of only `$ref` is its target's.
    fn schema(&mut self, schema: &Value, document: usize) -> Result<Id, String> {
        if let Some(map) = schema.as_object()
            && map.len() == 1
            && let Some(target) = map.get("$ref")
        {
            return self.reference(target, document);
        }
        let rules = self.compile_rules(schema, document, false)?;
        self.push(rules)
    }

    /// The rules of `schema`, in `document` (its root if `root`: only there may `$id` be).
    fn compile_rules(
        &mut self,
        schema: &Value,
        document: usize,
        root: bool,
    ) -> Result<Rules, String> {
        let map = match schema {
            Value::Bool(b) => {
                return Ok(Rules {
                    never: !b,
                    ..Rules::default()
                });
            }
            Value::Object(map) => map,
            other => return Err(format!("the schema {other}")),
        };
        let mut r = Rules::default();
        if let Some(properties) = map.get("properties") {
            let properties = properties
                .as_object()
                .ok_or("`properties` is not an object")?;
            for (name, schema) in properties {
                let id = self.schema(schema, document)?;
                r.properties.push((name.as_str().into(), id));
            }
            r.properties.sort_by(|a, b| a.0.cmp(&b.0));
            if r.properties.len() > 64 {
                return Err("more than 64 properties".into());
            }
        }
        for (keyword, value) in map {
            match keyword.as_str() {
                "properties" => {}
                "type" => r.types = types(value)?,
                "const" => r.one_of_values.push(Box::new([Literal::of(value)?])),
                "enum" => r.one_of_values.push(
                    value
                        .as_array()
                        .ok_or("`enum` is not an array")?
                        .iter()
                        .map(Literal::of)
                        .collect::<Result<_, _>>()?,
                ),
                "minLength" => r.min_length = Some(count(value)?),
                "maxLength" => r.max_length = Some(count(value)?),
                "pattern" => {
                    let source = value.as_str().ok_or("`pattern` is not a string")?;
                    r.pattern = Some(
                        Pattern::of(source)
                            .ok_or_else(|| format!("the pattern {source} has no check"))?,
                    );
                }
                "minimum" => r.minimum = Some(integer(value).ok_or("`minimum`")?),
                "maximum" => r.maximum = Some(integer(value).ok_or("`maximum`")?),
                "items" => r.items = Some(self.schema(value, document)?),
                "minItems" => r.min_items = Some(count(value)?),
                "maxItems" => r.max_items = Some(count(value)?),
                "uniqueItems" => {
                    r.unique_items = value.as_bool().ok_or("`uniqueItems` is not a boolean")?;
                }
                "required" => {
                    for name in value.as_array().ok_or("`required` is not an array")? {
                        require(&mut r, name.as_str().ok_or("a required name")?)?;
                    }
                }
                "additionalProperties" => match value {
                    Value::Bool(false) => r.closed = true,
                    other => r.additional = Some(self.schema(other, document)?),
                },
                "$ref" => {
                    let id = self.reference(value, document)?;
                    r.all_of.push(id);
                }
                "allOf" | "anyOf" | "oneOf" => {
                    let list = value
                        .as_array()
                        .ok_or_else(|| format!("`{keyword}` is not an array"))?;
                    if list.is_empty() {
                        return Err(format!("an empty `{keyword}`"));
                    }
                    let ids = list
                        .iter()
                        .map(|schema| self.schema(schema, document))
                        .collect::<Result<Vec<Id>, String>>()?;
                    match keyword.as_str() {
                        "allOf" => r.all_of.extend(ids),
                        "anyOf" => r.any_of = ids,
                        _ => r.one_of = ids,
                    }
                }
                "if" => {
                    let test = self.schema(value, document)?;
                    let then = map
                        .get("then")
                        .map(|s| self.schema(s, document))
                        .transpose()?;
                    let otherwise = map
                        .get("else")
                        .map(|s| self.schema(s, document))
                        .transpose()?;
                    r.condition = Some((test, then, otherwise));
                }
                // Without `if`, `then` and `else` do nothing (JSON Schema ignores them).
                "then" | "else" => {}
                // A document's own name, at its root only: inside, it would change what the
                // `$ref`s below it name.
                "$id" if root => {}
                annotation if ANNOTATIONS.contains(&annotation) => {}
                other => return Err(format!("the keyword `{other}`")),
            }
        }
        Ok(r)
    }
}

/// The bits of a `type` keyword's value.
fn types(value: &Value) -> Result<u8, String> {
    let one = |name: &str| {
        Ok(match name {
            "null" => ty::NULL,
            "boolean" => ty::BOOLEAN,
            "integer" => ty::INTEGER,
            "number" => ty::NUMBER,
            "string" => ty::STRING,
            "array" => ty::ARRAY,
            "object" => ty::OBJECT,
            other => return Err(format!("the type {other}")),
        })
    };
    match value {
        Value::String(name) => one(name),
        Value::Array(names) if !names.is_empty() => names.iter().try_fold(0, |bits, name| {
            Ok(bits | one(name.as_str().ok_or("a type name")?)?)
        }),
        other => Err(format!("the type {other}")),
    }
}

impl View<'_> {
    fn type_bit(&self) -> u8 {
        match self {
            View::Null => ty::NULL,
            View::Bool(_) => ty::BOOLEAN,
            View::Int(_) => ty::NUMBER | ty::INTEGER,
            View::Str(_) => ty::STRING,
            View::Arr(_) => ty::ARRAY,
            View::Obj(_) => ty::OBJECT,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::envelope::tape::Tape;
    use serde_json::json;

    /// `schema` compiled alone, under the kind "".
    fn compiled(schema: &Value) -> Result<Compiled, String> {
        let mut compiler = Compiler::new(&[schema])?;
        let root = compiler.place(0, "")?;
        Ok(Compiled {
            rules: compiler.rules,
            kinds: vec![("".into(), root, root)],
        })
    }

    /// Both verdicts on `text` under `schema`: this validator's on its tape, and `jsonschema`'s
    /// (draft 2020-12) on its `Value`; and this validator's on the `Value` is the engine's, with
    /// a fault the engine names.
    fn verdicts(schema: &Value, text: &str) -> (bool, bool) {
        let ours = compiled(schema).unwrap();
        let tape = Tape::parse(text.as_bytes()).unwrap();
        let mine = ours.is_valid("", tape.root()).unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        let engine = value_verdict(schema, &value);
        (mine, engine)
    }

    /// `jsonschema`'s verdict on `value` under `schema`, after checking that [`Schema::faults`]
    /// gives the same one and that each of its faults is at a pointer where the engine finds
    /// one.
    fn value_verdict(schema: &Value, value: &Value) -> bool {
        let engine = jsonschema::draft202012::new(schema).unwrap();
        let theirs: Vec<String> = engine
            .iter_errors(value)
            .map(|e| e.instance_path().to_string())
            .collect();
        let ours = Schema::new(schema, &[]).unwrap();
        assert!(
            Compiled {
                rules: ours.compiled.rules.clone(),
                kinds: vec![("".into(), ours.root, ours.root)],
            }
            .both_agree("", value),
            "{schema} on {value}"
        );
        let faults = ours.faults(value);
        assert_eq!(
            faults.is_empty(),
            theirs.is_empty(),
            "{schema} on {value}: {faults:?} {theirs:?}"
        );
        for fault in &faults {
            assert!(
                theirs.contains(&fault.pointer),
                "{schema} on {value}: {fault:?} not in {theirs:?}"
            );
        }
        theirs.is_empty()
    }

    #[test]
    fn every_keyword_gives_the_engines_verdict() {
        let twenty: Vec<String> = (0..20).map(|i| format!("\"s{i}\"")).collect();
        let distinct = format!("[{}]", twenty.join(","));
        let repeated = format!("[{},\"s7\"]", twenty.join(","));
        // Longer than the arrays compared pair by pair without collecting, not all strings.
        let objects: Vec<String> = (0..12).map(|i| format!("{{\"a\":{i}}}")).collect();
        let distinct_objects = format!("[{}]", objects.join(","));
        let repeated_objects = format!("[{},{{\"a\":3}}]", objects.join(","));
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (
                json!({"type": "string"}),
                vec![r#""a""#, "1", "null", "[]", "{}", "true"],
            ),
            (
                json!({"type": ["string", "null"]}),
                vec![r#""a""#, "null", "1", "false"],
            ),
            (json!({"type": "integer"}), vec!["1", "-1", r#""1""#, "[1]"]),
            (
                json!({"type": "number"}),
                vec!["0", "18446744073709551615", "null"],
            ),
            (json!({"type": "object"}), vec!["{}", "[]", r#"{"a":1}"#]),
            (json!({"type": "array"}), vec!["[]", "{}", "[[]]"]),
            (
                json!({"type": "boolean"}),
                vec!["true", "false", "0", "null"],
            ),
            (json!({"type": "null"}), vec!["null", "0", r#""""#]),
            (
                json!({"const": "a"}),
                vec![r#""a""#, r#""b""#, "1", r#""a\u0062""#],
            ),
            (json!({"const": 2}), vec!["2", "3", r#""2""#, "-2"]),
            (
                json!({"enum": [1, "a", null, true]}),
                vec!["1", r#""a""#, "null", "true", "false", "2", r#""A""#],
            ),
            (json!({"enum": [-3]}), vec!["-3", "3"]),
            (
                json!({"minLength": 2, "maxLength": 3}),
                vec![
                    r#""é""#,
                    r#""éé""#,
                    r#""ab""#,
                    r#""abcd""#,
                    r#""a\n""#,
                    "5",
                    r#""𝄞𝄞""#,
                ],
            ),
            (
                json!({"pattern": "^[A-Z]{2}$"}),
                vec![r#""MX""#, r#""mx""#, r#""MXN""#, "12", r#""M\u0058""#],
            ),
            (
                json!({"minimum": 0, "maximum": 10}),
                vec!["-1", "0", "10", "11", r#""5""#, "-9223372036854775807"],
            ),
            (
                json!({"minimum": 1800, "maximum": 9999}),
                vec!["1799", "1800", "9999", "10000"],
            ),
            (
                json!({"items": {"type": "string"}, "minItems": 1, "maxItems": 2, "uniqueItems": true}),
                vec![
                    "[]",
                    r#"["a"]"#,
                    r#"["a","a"]"#,
                    r#"["a","b"]"#,
                    r#"["a","b","c"]"#,
                    "[1]",
                    r#""x""#,
                ],
            ),
            (
                json!({"uniqueItems": true}),
                vec![
                    "[1,1]",
                    "[1,2]",
                    r#"[{"a":1},{"a":1}]"#,
                    r#"[{"a":1},{"a":2}]"#,
                    r#"[{"a":1,"b":2},{"b":2,"a":1}]"#,
                    r#"[{"a":1},{"a":1,"b":1}]"#,
                    "[[1],[1]]",
                    "[[1],[1,2]]",
                    r#"[1,"1"]"#,
                    "[null,null]",
                    "[true,false]",
                    r#"["a","b","a"]"#,
                    &distinct,
                    &repeated,
                    &distinct_objects,
                    &repeated_objects,
                ],
            ),
            (json!({"uniqueItems": false}), vec!["[1,1]"]),
            (
                json!({"properties": {"a": {"type": "string"}, "b": {"const": 1}},
                       "required": ["a"], "additionalProperties": false}),
                vec![
                    "{}",
                    r#"{"a":"x"}"#,
                    r#"{"a":1}"#,
                    r#"{"a":"x","b":1}"#,
                    r#"{"a":"x","b":2}"#,
                    r#"{"a":"x","c":1}"#,
                    r#"{"b":1,"a":"x"}"#,
                    r#"{"c":1,"a":"x"}"#,
                    "[]",
                    r#""a""#,
                ],
            ),
            (
                json!({"properties": {"a": true}, "additionalProperties": {"type": "integer"}}),
                vec![r#"{"a":"x","b":1}"#, r#"{"b":"x"}"#, r#"{"a":"x"}"#],
            ),
            (
                json!({"additionalProperties": false}),
                vec!["{}", r#"{"a":1}"#, "[1]"],
            ),
            (
                json!({"required": ["a", "b"]}),
                vec![r#"{"a":1}"#, r#"{"b":1,"a":1}"#, "[]"],
            ),
            (
                json!({"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}),
                vec![r#"{"a":1}"#, r#"{"b":1}"#, r#"{"c":1}"#, "{}", "1"],
            ),
            (
                json!({"allOf": [{"type": "object"}, {"required": ["a"]}]}),
                vec![r#"{"a":1}"#, "{}", "[]"],
            ),
            (
                json!({"if": {"properties": {"v": {"const": 2}}, "required": ["v"]},
                       "then": {"required": ["w"]}, "else": {"required": ["x"]}}),
                vec![
                    r#"{"v":2}"#,
                    r#"{"v":2,"w":1}"#,
                    r#"{"v":1}"#,
                    r#"{"v":1,"x":1}"#,
                    "{}",
                    r#"{"x":1}"#,
                ],
            ),
            (json!({"then": {"required": ["w"]}}), vec!["{}"]),
            (
                json!({"properties": {"p": {"$ref": "#/$defs/s"}},
                       "$defs": {"s": {"type": "string", "minLength": 1}}}),
                vec![r#"{"p":""}"#, r#"{"p":"a"}"#, r#"{"p":1}"#, "{}"],
            ),
            (
                json!({"$ref": "#/$defs/s", "maxLength": 2,
                       "$defs": {"s": {"type": "string", "minLength": 1}}}),
                vec![r#""""#, r#""a""#, r#""abc""#, "1"],
            ),
            (
                json!({"oneOf": [{"type": "integer"}, {"minimum": 2}]}),
                vec!["1", "3", r#""a""#, "null"],
            ),
            (
                json!({"properties": {"k": {"oneOf": [{"$ref": "#/$defs/s/properties/a"}, {"type": "null"}]}},
                       "$defs": {"s": {"properties": {"a": {"enum": ["x", "y"]}}}}}),
                vec![
                    r#"{"k":"x"}"#,
                    r#"{"k":null}"#,
                    r#"{"k":"z"}"#,
                    r#"{"k":1}"#,
                ],
            ),
            (json!(true), vec!["1", "{}"]),
            (json!(false), vec!["1", "{}"]),
            (
                json!({"title": "t", "description": "d", "$comment": "c"}),
                vec!["1"],
            ),
        ];
        let (mut valid, mut invalid) = (0, 0);
        for (schema, texts) in &cases {
            for text in texts {
                let (mine, engine) = verdicts(schema, text);
                assert_eq!(mine, engine, "{schema} on {text}");
                if engine {
                    valid += 1;
                } else {
                    invalid += 1;
                }
            }
        }
        assert!(valid > 40 && invalid > 40, "{valid} {invalid}");
    }

    /// Numbers a tape does not hold (fractions, exponents, beyond 64 bits), checked on the
    /// `Value`: the engine's verdicts.
    #[test]
    fn numbers_with_fractions_get_the_engines_verdict() {
        let schemas = [
            json!({"type": "integer"}),
            json!({"type": "number"}),
            json!({"type": ["integer", "string"]}),
            json!({"minimum": 1, "maximum": 3}),
            json!({"const": 2}),
            json!({"enum": [2, "2"]}),
            json!({"uniqueItems": true}),
        ];
        let values = [
            "1.5",
            "2.0",
            "2",
            "0.5",
            "3.5",
            "3.0",
            "1e2",
            "2e0",
            "-0.0",
            "1e300",
            "18446744073709551616",
            "[2, 2.0]",
            "[1, 1.5]",
            "[[1.0], [1]]",
            r#"[{"a": 1}, {"a": 1.0}]"#,
        ];
        let (mut valid, mut invalid) = (0, 0);
        for schema in &schemas {
            for text in values {
                let value: Value = serde_json::from_str(text).unwrap();
                if value_verdict(schema, &value) {
                    valid += 1;
                } else {
                    invalid += 1;
                }
            }
        }
        assert!(valid > 20 && invalid > 20, "{valid} {invalid}");
    }

    /// `uniqueItems` on lists longer than those compared pair by pair: the engine's verdicts on
    /// strings, numbers (`2` and `2.0` equal), objects (members in any order) and lists.
    #[test]
    fn long_lists_are_unique_as_the_engine_says() {
        let schema = json!({"uniqueItems": true});
        let n = PAIRWISE_MAX + 36;
        let strings: Vec<Value> = (0..n).map(|i| json!(format!("s{i}"))).collect();
        let numbers: Vec<Value> = (0..n).map(|i| json!(i)).collect();
        let objects: Vec<Value> = (0..n).map(|i| json!({"a": i, "b": [i, "x"]})).collect();
        let lists: Vec<Value> = (0..n).map(|i| json!([i, {"c": null}])).collect();
        let (mut valid, mut invalid) = (0, 0);
        for base in [&strings, &numbers, &objects, &lists] {
            let distinct = Value::Array(base.clone());
            let mut repeated = base.clone();
            repeated.push(base[n / 2].clone());
            let mut cases = vec![distinct, Value::Array(repeated)];
            // Equal by JSON equality, not by text: `7.0` for `7`, members in the other order.
            let mut twin = base.clone();
            twin.push(match &base[7] {
                Value::Number(_) => serde_json::from_str("7.0").unwrap(),
                Value::Object(_) => serde_json::from_str(r#"{"b": [7, "x"], "a": 7.0}"#).unwrap(),
                Value::Array(_) => serde_json::from_str(r#"[7.0, {"c": null}]"#).unwrap(),
                other => other.clone(),
            });
            cases.push(Value::Array(twin));
            for case in cases {
                if value_verdict(&schema, &case) {
                    valid += 1;
                } else {
                    invalid += 1;
                }
            }
        }
        assert_eq!((valid, invalid), (4, 8));
    }

    /// The plugin manifest's schema (`schemas/plugin-manifest.schema.json`, which the plugin
    /// host compiles with [`Schema`]): the engine's verdicts on a manifest whose members are
    /// replaced in turn by values near its patterns' and bounds' edges.
    #[test]
    fn the_manifest_schema_gives_the_engines_verdicts() {
        let schema: Value =
            serde_json::from_str(include_str!("../../../schemas/plugin-manifest.schema.json"))
                .unwrap();
        let good = json!({"name": "lot-code-br", "version": "0.1.0", "jurisdiction": "BR",
            "abi_version": 1, "module": "lot_code_br.wasm", "module_sha256": "ab".repeat(32),
            "config": {"min": 3}, "config_sha256": "cd".repeat(32), "description": "d"});
        let replacements = [
            json!(""),
            json!("a"),
            json!("Lot"),
            json!("-a"),
            json!("a".repeat(64)),
            json!("a".repeat(65)),
            json!("1.2.3"),
            json!("01.2.3"),
            json!("1.2.3-rc.1+b"),
            json!("1.2.3-"),
            json!("x.wasm"),
            json!("../x.wasm"),
            json!(".wasm"),
            json!("AB".repeat(32)),
            json!(0),
            json!(1),
            json!(65535),
            json!(65536),
            json!(1.5),
            json!(2.0),
            json!(null),
            json!({}),
            json!([]),
        ];
        let (mut valid, mut invalid) = (0, 0);
        for name in good.as_object().unwrap().keys() {
            for replacement in &replacements {
                let mut doc = good.clone();
                doc[name] = replacement.clone();
                if value_verdict(&schema, &doc) {
                    valid += 1;
                } else {
                    invalid += 1;
                }
            }
            let mut doc = good.clone();
            doc.as_object_mut().unwrap().remove(name);
            value_verdict(&schema, &doc);
        }
        let mut doc = good.clone();
        doc["extra"] = json!(1);
        assert!(!value_verdict(&schema, &doc));
        assert!(value_verdict(&schema, &good));
        assert!(valid > 20 && invalid > 100, "{valid} {invalid}");
    }

    #[test]
    fn a_long_value_is_cut_short_in_a_message() {
        let schema = Schema::new(&json!({"maxLength": 3}), &[]).unwrap();
        // Two-byte characters: the cut falls inside one unless it finds a boundary.
        let long = "é".repeat(1000);
        let faults = schema.faults(&json!(long));
        let reason = &faults[0].reason;
        assert!(reason.contains("é…"), "{reason}");
        assert!(reason.len() < 300, "{}", reason.len());
    }

    #[test]
    fn a_missing_member_and_a_closed_object_are_named() {
        let schema = Schema::new(
            &json!({"properties": {"a": {"type": "string"}, "b/c": true}, "required": ["a", "b/c"],
                    "additionalProperties": false}),
            &[],
        )
        .unwrap();
        let faults = schema.faults(&json!({"x": 1}));
        let fields: Vec<String> = faults.iter().map(Fault::field).collect();
        assert_eq!(fields, ["/a", "/b~1c", ""]);
        assert_eq!(faults[0].missing.as_deref(), Some("a"));
        // The member's name is in the message as a JSON string (the Python tests look for it).
        assert!(
            faults[1].reason.contains(r#""b/c""#),
            "{}",
            faults[1].reason
        );
        assert_eq!(faults[2].missing, None);
        assert!(schema.faults(&json!({"a": "s", "b/c": 0})).is_empty());
        // Deeper: the member's pointer.
        let faults = schema.faults(&json!({"a": 1, "b/c": 0}));
        assert_eq!(faults.iter().map(Fault::field).collect::<Vec<_>>(), ["/a"]);
    }

    #[test]
    fn a_reference_names_another_document_by_its_id() {
        let other = json!({"$id": "https://example.invalid/o.json", "$defs": {"n": {"type": "integer"}},
                           "type": "object"});
        let root = json!({"$id": "https://example.invalid/r.json",
                          "properties": {"n": {"$ref": "https://example.invalid/o.json#/$defs/n"},
                                         "o": {"$ref": "https://example.invalid/o.json"}}});
        let schema = Schema::new(&root, &[&other]).unwrap();
        assert!(schema.faults(&json!({"n": 1, "o": {}})).is_empty());
        let fields: Vec<String> = schema
            .faults(&json!({"n": "1", "o": []}))
            .iter()
            .map(Fault::field)
            .collect();
        assert_eq!(fields, ["/n", "/o"]);
        // Not given, or not there: does not compile.
        assert!(Schema::new(&root, &[]).is_err());
        let missing = json!({"$ref": "https://example.invalid/o.json#/$defs/m"});
        assert!(Schema::new(&missing, &[&other]).is_err());
    }

    #[test]
    fn a_schema_beyond_its_keywords_does_not_compile() {
        for schema in [
            json!({"format": "date"}),
            json!({"minimum": 0.5}),
            json!({"exclusiveMinimum": 0}),
            json!({"items": [{"type": "string"}]}),
            json!({"$ref": "https://example.invalid/s"}),
            json!({"$ref": "#/$defs/missing"}),
            json!({"const": [1]}),
            json!({"enum": [{"a": 1}]}),
            json!({"pattern": "^[a-z]+$"}),
            json!({"type": "float"}),
            json!({"type": []}),
            json!({"properties": 1}),
            json!({"dependentRequired": {}}),
            json!({"uniqueItems": "yes"}),
            json!({"anyOf": []}),
            json!({"oneOf": []}),
            json!({"not": {}}),
            json!({"$ref": "#/$defs/a%20b", "$defs": {"a b": {}}}),
            json!({"$ref": "#$defs/a", "$defs": {"a": {}}}),
            json!({"minLength": -1}),
            json!({"required": [1]}),
            json!({"$ref": "#/$defs/a", "$defs": {"a": {"$id": "https://example.invalid/a"}}}),
            json!(1),
        ] {
            assert!(compiled(&schema).is_err(), "{schema}");
        }
    }

    #[test]
    fn a_schema_referring_to_itself_stops() {
        // Without descending into the value: "ask the full path", not a stack overflow.
        let schema =
            json!({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a", "type": "string"}}});
        let ours = compiled(&schema).unwrap();
        let tape = Tape::parse(br#""x""#).unwrap();
        assert_eq!(ours.is_valid("", tape.root()), Some(false));
        // Descending: each level is a level of the value.
        let list = json!({"$ref": "#/$defs/l", "$defs": {"l": {"type": "array", "items": {"$ref": "#/$defs/l"}}}});
        let (mine, engine) = verdicts(&list, "[[[],[[]]]]");
        assert!(mine && engine);
    }

    #[test]
    fn equality_is_json_equality() {
        let text = br#"{"a":"x","b":1,"c":[1,"y",[]],"d":{"e":null},"f":"q\"z\u00e9","g":-3,"h":true,"i":{}}"#;
        let tape = Tape::parse(text).unwrap();
        let values = [
            r#""x""#,
            r#""y""#,
            r#""q\"zé""#,
            "1",
            "-3",
            "true",
            "null",
            r#"[1,"y",[]]"#,
            r#"{"e":null}"#,
            "{}",
            r#"{"e":false}"#,
            "[1,\"y\"]",
        ];
        let others: Vec<Tape<'_>> = values
            .iter()
            .map(|v| Tape::parse(v.as_bytes()).unwrap())
            .collect();
        let whole: Value = serde_json::from_slice(text).unwrap();
        let object = tape.root().object().unwrap();
        let mut equals = 0;
        for (name, node) in object.members() {
            for (text, other) in values.iter().zip(&others) {
                let expected: Value = serde_json::from_str(text).unwrap();
                let same = whole[name] == expected;
                assert_eq!(equal(node, other.root()), same, "{name}: {text}");
                equals += usize::from(same);
            }
        }
        // Every member equals one value, and the three last equal none.
        assert_eq!(equals, 8);
    }
}
