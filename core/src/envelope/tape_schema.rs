//! The event schema compiled for tapes (the fast path of decoding a canonical line): each
//! kind's schema turned into a table of rules, read by one function, instead of `jsonschema`'s
//! general validator.
//!
//! It knows only the keywords `schemas/event.schema.json` uses (listed in [`Rules`]), and a
//! schema holding any other keyword, or a keyword's value of another shape, does not compile:
//! a new keyword in the schema cannot be passed over. Its only answers are "valid" and "ask
//! the full path" (`false`): the full path validates the `Value` tree with `jsonschema`, which
//! names the fault or accepts the event. So where this validator says "valid", `jsonschema`
//! must say so too, on every value; the tests compare both verdicts on thousands of mutated
//! events, and debug builds decode every event both ways.
//!
//! The semantics are JSON Schema 2020-12's, for values a tape holds (its numbers are integers):
//! a keyword about one type of value (`minLength`, `items`, `properties`, ...) passes every value
//! of another type; `$ref` to `#/$defs/<name>`; `if`/`then`/`else`; `anyOf`, `allOf`.

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
    /// `integer` and `number` alike: a tape's numbers are all integers.
    pub(super) const NUMBER: u8 = 4;
    pub(super) const STRING: u8 = 8;
    pub(super) const ARRAY: u8 = 16;
    pub(super) const OBJECT: u8 = 32;
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
    pattern: Option<Pattern>,
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
    /// `if`, `then`, `else`.
    condition: Option<(Id, Option<Id>, Option<Id>)>,
}

/// The schema of every kind's signed events, compiled.
pub(crate) struct Compiled {
    rules: Vec<Rules>,
    /// Per kind, sorted by kind: the rules of its signed events (`id` and `signatures`
    /// required).
    kinds: Vec<(Box<str>, Id)>,
}

impl Compiled {
    /// Compiles the signed events' schema of each of `kinds` (`$defs/event_<kind>`, with `id`
    /// and `signatures` required). An error names what is not known here.
    pub(crate) fn new(defs: &Value, kinds: &[String]) -> Result<Compiled, String> {
        let defs = defs.as_object().ok_or("`$defs` is not an object")?;
        let mut compiler = Compiler {
            defs,
            rules: Vec::new(),
            by_name: HashMap::new(),
        };
        let mut roots = Vec::new();
        for kind in kinds {
            let def = compiler.definition(&format!("event_{kind}"))?;
            // `allOf: [def, {required: [id, signatures]}]`, as one set of rules.
            let mut rules = compiler.rules(def)?.clone();
            for name in ["id", "signatures"] {
                require(&mut rules, name)?;
            }
            roots.push((kind.as_str().into(), compiler.push(rules)?));
        }
        roots.sort_by(|a: &(Box<str>, Id), b| a.0.cmp(&b.0));
        Ok(Compiled {
            rules: compiler.rules,
            kinds: roots,
        })
    }

    /// Whether a signed event of `kind` passes; `None` for a kind not compiled here.
    pub(crate) fn is_valid(&self, kind: &str, event: Node<'_>) -> Option<bool> {
        let place = self
            .kinds
            .binary_search_by(|(known, _)| known.as_ref().cmp(kind))
            .ok()?;
        let (_, root) = self.kinds.get(place)?;
        let root = *root;
        Some(self.valid(root, event, 0))
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
        if r.pattern.is_some_and(|p| !p.matches(s)) {
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

struct Compiler<'s> {
    defs: &'s Map<String, Value>,
    rules: Vec<Rules>,
    /// Each definition compiled so far, by name.
    by_name: HashMap<String, Id>,
}

impl Compiler<'_> {
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

    /// The rules of `$defs/<name>`, compiled when first asked for.
    fn definition(&mut self, name: &str) -> Result<Id, String> {
        if let Some(id) = self.by_name.get(name) {
            return Ok(*id);
        }
        let schema = self
            .defs
            .get(name)
            .ok_or_else(|| format!("no `$defs/{name}`"))?;
        // Placed before compiling, so that a definition referring to itself finds it.
        let id = self.push(Rules::default())?;
        self.by_name.insert(name.to_owned(), id);
        let rules = self.compile_rules(schema)?;
        if let Some(slot) = self.rules.get_mut(id as usize) {
            *slot = rules;
        }
        Ok(id)
    }

    fn reference(&mut self, target: &Value) -> Result<Id, String> {
        let name = target
            .as_str()
            .and_then(|t| t.strip_prefix("#/$defs/"))
            .filter(|name| !name.contains(['/', '~', '%']))
            .ok_or_else(|| format!("the reference {target}"))?;
        self.definition(name)
    }

    /// The rules of a subschema: a schema of only `$ref` is its target's.
    fn schema(&mut self, schema: &Value) -> Result<Id, String> {
        if let Some(map) = schema.as_object()
            && map.len() == 1
            && let Some(target) = map.get("$ref")
        {
            return self.reference(target);
        }
        let rules = self.compile_rules(schema)?;
        self.push(rules)
    }

    fn compile_rules(&mut self, schema: &Value) -> Result<Rules, String> {
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
                let id = self.schema(schema)?;
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
                "items" => r.items = Some(self.schema(value)?),
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
                    other => r.additional = Some(self.schema(other)?),
                },
                "$ref" => {
                    let id = self.reference(value)?;
                    r.all_of.push(id);
                }
                "allOf" | "anyOf" => {
                    let list = value.as_array().ok_or("`allOf` or `anyOf`")?;
                    if list.is_empty() {
                        return Err(format!("an empty `{keyword}`"));
                    }
                    for schema in list {
                        let id = self.schema(schema)?;
                        if keyword == "allOf" {
                            r.all_of.push(id);
                        } else {
                            r.any_of.push(id);
                        }
                    }
                }
                "if" => {
                    let test = self.schema(value)?;
                    let then = map.get("then").map(|s| self.schema(s)).transpose()?;
                    let otherwise = map.get("else").map(|s| self.schema(s)).transpose()?;
                    r.condition = Some((test, then, otherwise));
                }
                // Without `if`, `then` and `else` do nothing (JSON Schema ignores them).
                "then" | "else" => {}
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
            "integer" | "number" => ty::NUMBER,
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
            View::Int(_) => ty::NUMBER,
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

    /// `schema` compiled alone (its `$defs` as the definitions), under the kind "".
    fn compiled(schema: &Value) -> Result<Compiled, String> {
        let none = Map::new();
        let defs = schema
            .get("$defs")
            .and_then(Value::as_object)
            .unwrap_or(&none);
        let mut compiler = Compiler {
            defs,
            rules: Vec::new(),
            by_name: HashMap::new(),
        };
        let root = compiler.schema(schema)?;
        Ok(Compiled {
            rules: compiler.rules,
            kinds: vec![("".into(), root)],
        })
    }

    /// Both verdicts on `text` under `schema`: this validator's on its tape, and `jsonschema`'s
    /// (draft 2020-12) on its `Value`.
    fn verdicts(schema: &Value, text: &str) -> (bool, bool) {
        let ours = compiled(schema).unwrap();
        let tape = Tape::parse(text.as_bytes()).unwrap();
        let mine = ours.is_valid("", tape.root()).unwrap();
        let engine = jsonschema::draft202012::new(schema).unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        (mine, engine.is_valid(&value))
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
