//! STUB (replaced by the canonical helper's module)
use crate::Rule;
pub const MAX_DEPTH: usize = 32;
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value { Null, Bool(bool), Int(i64), Str(String), Array(Vec<Value>), Object(Object) }
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Object { m: Vec<(String, Value)> }
impl Object {
    pub fn new() -> Self { Self::default() }
    pub fn insert(&mut self, key: impl Into<String>, v: Value) -> Option<Value> { let k = key.into(); let i = self.m.iter().position(|(a, _)| *a == k); match i { Some(i) => Some(std::mem::replace(&mut self.m[i].1, v)), None => { self.m.push((k, v)); self.m.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16())); None } } }
    pub fn get(&self, key: &str) -> Option<&Value> { self.m.iter().find(|(a, _)| a == key).map(|(_, v)| v) }
    pub fn remove(&mut self, key: &str) -> Option<Value> { let i = self.m.iter().position(|(a, _)| a == key)?; Some(self.m.remove(i).1) }
    pub fn len(&self) -> usize { self.m.len() }
    pub fn is_empty(&self) -> bool { self.m.is_empty() }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> { self.m.iter().map(|(k, v)| (k.as_str(), v)) }
    pub fn keys(&self) -> impl Iterator<Item = &str> { self.m.iter().map(|(k, _)| k.as_str()) }
}
impl Value {
    pub fn as_str(&self) -> Option<&str> { if let Value::Str(s) = self { Some(s) } else { None } }
    pub fn as_i64(&self) -> Option<i64> { if let Value::Int(s) = self { Some(*s) } else { None } }
    pub fn as_bool(&self) -> Option<bool> { if let Value::Bool(s) = self { Some(*s) } else { None } }
    pub fn as_array(&self) -> Option<&[Value]> { if let Value::Array(s) = self { Some(s) } else { None } }
    pub fn as_object(&self) -> Option<&Object> { if let Value::Object(s) = self { Some(s) } else { None } }
    pub fn is_null(&self) -> bool { matches!(self, Value::Null) }
    pub fn type_name(&self) -> &'static str { "x" }
}
impl From<i64> for Value { fn from(v: i64) -> Self { Value::Int(v) } }
impl From<&str> for Value { fn from(v: &str) -> Self { Value::Str(v.into()) } }
impl From<String> for Value { fn from(v: String) -> Self { Value::Str(v) } }
impl From<bool> for Value { fn from(v: bool) -> Self { Value::Bool(v) } }
impl From<Object> for Value { fn from(v: Object) -> Self { Value::Object(v) } }
impl From<Vec<Value>> for Value { fn from(v: Vec<Value>) -> Self { Value::Array(v) } }
#[derive(Debug)]
pub struct Error { pub rule: Rule, pub offset: usize, pub detail: String }
impl std::fmt::Display for Error { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{} at byte {}: {}", self.rule, self.offset, self.detail) } }
impl std::error::Error for Error {}
pub fn parse(_input: &[u8]) -> Result<Value, Error> { todo!() }
pub fn parse_canonical(_input: &[u8]) -> Result<Value, Error> { todo!() }
pub fn encode(v: &Value) -> Vec<u8> { let mut o = Vec::new(); encode_into(v, &mut o); o }
pub fn encode_into(_v: &Value, _out: &mut Vec<u8>) { todo!() }
