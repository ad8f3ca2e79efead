//! The text forms of the domain's words and identifiers, one way for all:
//! `Display` writes `as_str()`, and `FromStr` and `TryFrom<String>` (which
//! serde uses) go through the type's own `parse`, which holds its rule.

/// `text_forms!(Type, Error)` for a type with `as_str(&self)` and
/// `Type::parse(&str) -> Result<Type, Error>`.
///
/// `text_forms!(newtype Type, Error)` for `Type(String)`: `as_str` and
/// `String::from` as well.
///
/// `text_forms!(words Type, Error)` for an enum of words with `ALL` and
/// `as_str`: `parse` finds the word among `ALL`, else `Error(text)`.
macro_rules! text_forms {
    (words $type:ident, $error:ident) => {
        impl $type {
            pub fn parse(text: &str) -> Result<$type, $error> {
                $type::ALL
                    .into_iter()
                    .find(|word| word.as_str() == text)
                    .ok_or_else(|| $error(text.to_string()))
            }
        }

        $crate::text_forms::text_forms!($type, $error);
    };
    (newtype $type:ident, $error:ty) => {
        impl $type {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<$type> for String {
            fn from(value: $type) -> String {
                value.0
            }
        }

        $crate::text_forms::text_forms!($type, $error);
    };
    ($type:ty, $error:ty) => {
        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $type {
            type Err = $error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$type>::parse(text)
            }
        }

        impl TryFrom<String> for $type {
            type Error = $error;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                <$type>::parse(&text)
            }
        }
    };
}

pub(crate) use text_forms;
