//! Rebuilds the server when a migration is added or changed: `sqlx::migrate!`
//! embeds the migrations at compile time but does not tell cargo to watch them.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
