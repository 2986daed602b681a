//! The argument names of a module, read from its typed `Args` struct (serde knows them), so
//! the names are written once: in the struct.

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A deserializer that only notes the field names a struct asks for.
struct Names<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for Names<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("names noted"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The field names (with serde aliases) of the struct `T`; empty for a struct that
/// `#[serde(flatten)]`s another (serde reads those as a map and names no fields).
pub(crate) fn of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(Names(&mut names));
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        #[serde(alias = "dest", alias = "name")]
        path: String,
        mode: Option<String>,
    }

    #[test]
    fn names_with_aliases() {
        assert_eq!(of::<Sample>(), &["dest", "name", "path", "mode"][..]);
    }
}
