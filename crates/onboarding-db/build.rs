// `sqlx::migrate!` embeds the migrations folder at compile time, but cargo
// only rebuilds when this crate's own files change; without this a new
// migration would be left out of every binary until something else changed
// (the build script sqlx documents, `sqlx migrate build-script`).
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
