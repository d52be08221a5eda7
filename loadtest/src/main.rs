//! `loadtest`: run a named scenario against a deployment.

fn main() {
    eprintln!("the load test scenarios are not built yet");
    std::process::exit(2);
}
