pub mod bun;
pub mod package_lock;
pub mod pnpm;
pub mod yarn;

mod json;
mod shared;
mod yaml;
