//! Placeholder: the image source.
