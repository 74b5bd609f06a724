//! TODO(helper): replace with the real parser.

use crate::error::ParseError;
use crate::input::{Input, ParseResult};

pub fn parse(_input: &Input) -> ParseResult {
    Err(ParseError::new("this format is not implemented yet"))
}
