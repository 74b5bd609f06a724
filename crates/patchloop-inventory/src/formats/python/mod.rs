pub mod pdm;
pub mod pipfile;
pub mod poetry;
pub mod pylock;
pub mod requirements;
pub mod uv;

mod pep440;
mod pep508;
mod project;
mod tomlscan;
