pub mod pdm;
pub mod pipfile;
pub mod poetry;
pub mod pylock;
pub mod requirements;
pub mod uv;
